// The scalar twins of the fused linear kernels: the unfused sequence of reference kernels.
#include <vector>

#include "kernels/gemm.hpp"
#include "kernels/linear.hpp"

namespace diffuse::kernels {

void linear_forward_ref(Activation act, float* y, float* pre, const float* x, const float* weight,
                        const float* bias, std::size_t B, std::size_t in, std::size_t out) {
  std::vector<float> own;
  if (pre == nullptr) {
    own.resize(B * out);
    pre = own.data();
  }
  gemm_ref(Transpose::no, Transpose::yes, B, out, in, 1.0f, x, in, weight, in, 0.0f, pre, out);
  if (bias != nullptr) add_bias_rows_ref(pre, bias, B, out);
  activation_forward_ref(act, y, pre, B * out);
}

void linear_backward_ref(Activation act, float* dx, float* dweight, float* dbias, float* dpre,
                         const float* dy, const float* pre, const float* x, const float* weight,
                         std::size_t B, std::size_t in, std::size_t out) {
  activation_backward_ref(act, dpre, dy, pre, B * out);
  if (dbias != nullptr) sum_rows_accumulate_ref(dbias, dpre, B, out);
  gemm_ref(Transpose::yes, Transpose::no, out, in, B, 1.0f, dpre, out, x, in, 1.0f, dweight, in);
  if (dx != nullptr) {
    gemm_ref(Transpose::no, Transpose::no, B, in, out, 1.0f, dpre, out, weight, in, 0.0f, dx, in);
  }
}

}  // namespace diffuse::kernels
