// The scalar twins of the fused linear kernels: the unfused sequence of reference kernels
// (gemm_ref accumulating in double, the element-wise twins), written without xsimd.
#include <vector>

#include "kernels/gemm.hpp"
#include "kernels/linear.hpp"

namespace diffuse::kernels {
namespace {

// pre (B, out) = x weight^T + bias.
void pre_activation_ref(float* pre, const float* x, const float* weight, const float* bias, std::size_t B,
                        std::size_t in, std::size_t out) {
  gemm_ref(Transpose::no, Transpose::yes, B, out, in, 1.0f, x, in, weight, in, 0.0f, pre, out);
  if (bias != nullptr) add_bias_rows_ref(pre, bias, B, out);
}

// g * act'(pre) given d = act'(pre), as linear.hpp defines the training backward's multiply: relu
// passes g where d > 0 and 0 elsewhere (also for a non-finite g), identity passes g and reads no d.
float times_derivative_ref(Activation act, float g, const float* d, std::size_t i) {
  switch (act) {
    case Activation::identity: return g;
    case Activation::relu: return d[i] > 0.0f ? g : 0.0f;
    case Activation::silu:
    case Activation::gelu: return g * d[i];
  }
  return g;
}

}  // namespace

void linear_forward_ref(Activation act, float* y, const float* x, const float* weight, const float* bias,
                        std::size_t B, std::size_t in, std::size_t out) {
  std::vector<float> pre(B * out);
  pre_activation_ref(pre.data(), x, weight, bias, B, in, out);
  activation_forward_ref(act, y, pre.data(), B * out);
}

void linear_forward_keep_derivative_ref(Activation act, float* y, float* dact, const float* x,
                                        const float* weight, const float* bias, std::size_t B,
                                        std::size_t in, std::size_t out) {
  std::vector<float> pre(B * out);
  pre_activation_ref(pre.data(), x, weight, bias, B, in, out);
  activation_forward_ref(act, y, pre.data(), B * out);
  activation_derivative_ref(act, dact, pre.data(), B * out);
}

void linear_backward_from_derivative_ref(Activation act, float* dx, float* dweight, float* dbias,
                                         float* dpre, const float* dy, const float* dact,
                                         const float* x, const float* weight, std::size_t B,
                                         std::size_t in, std::size_t out, const BelowLayer& below) {
  for (std::size_t i = 0; i < B * out; ++i) dpre[i] = times_derivative_ref(act, dy[i], dact, i);
  if (dbias != nullptr) sum_rows_accumulate_ref(dbias, dpre, B, out);
  gemm_ref(Transpose::yes, Transpose::no, out, in, B, 1.0f, dpre, out, x, in, 1.0f, dweight, in);
  if (dx == nullptr) return;
  gemm_ref(Transpose::no, Transpose::no, B, in, out, 1.0f, dpre, out, weight, in, 0.0f, dx, in);
  if (below.dact == nullptr) return;
  for (std::size_t i = 0; i < B * in; ++i) dx[i] = times_derivative_ref(below.act, dx[i], below.dact, i);
}

}  // namespace diffuse::kernels
