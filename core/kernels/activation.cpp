#include "kernels/activation.hpp"

namespace diffuse::kernels {

// Placeholders until the xsimd versions land: the scalar twins.
void activation_forward(Activation act, float* y, const float* x, std::size_t n) {
  activation_forward_ref(act, y, x, n);
}
void activation_backward(Activation act, float* dx, const float* dy, const float* x, std::size_t n) {
  activation_backward_ref(act, dx, dy, x, n);
}
void add_bias_rows(float* y, const float* bias, std::size_t B, std::size_t N) {
  add_bias_rows_ref(y, bias, B, N);
}
void sum_rows_accumulate(float* db, const float* dy, std::size_t B, std::size_t N) {
  sum_rows_accumulate_ref(db, dy, B, N);
}

}  // namespace diffuse::kernels
