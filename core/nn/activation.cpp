#include "nn/activation.hpp"

#include "kernels/activation.hpp"

namespace diffuse {

void activation_layer_forward(float* y, float* dact, const float* x, std::size_t n,
                              kernels::Activation act) {
  if (dact != nullptr) kernels::activation_derivative(act, dact, x, n);  // before y may overwrite x
  kernels::activation_forward(act, y, x, n);
}

void activation_layer_backward(float* dx, const float* dy, const float* dact, std::size_t n) {
  // dy * act'(x) is the identity's backward with dact as the derivative.
  for (std::size_t i = 0; i < n; ++i) dx[i] = dy[i] * dact[i];
}

}  // namespace diffuse
