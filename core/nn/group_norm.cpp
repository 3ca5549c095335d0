#include "nn/group_norm.hpp"

namespace diffuse {

using kernels::Activation;

void group_norm_forward(float* y, float* mean, float* rstd, const float* x, const float* weight,
                        const float* bias, const kernels::GroupNormShape& shape,
                        const Executor& executor) {
  kernels::group_norm_forward(Activation::identity, y, nullptr, mean, rstd, x, weight, bias, shape,
                              executor);
}

void group_norm_backward(float* dx, float* dweight, float* dbias, const float* mean,
                         const float* rstd, const float* dy, const float* x, const float* weight,
                         const kernels::GroupNormShape& shape, const Executor& executor) {
  kernels::group_norm_backward(Activation::identity, dx, dweight, dbias, nullptr, mean, rstd, dy, x,
                               weight, shape, executor);
}

void group_norm_silu_forward(float* y, float* dact, float* mean, float* rstd, const float* x,
                             const float* weight, const float* bias,
                             const kernels::GroupNormShape& shape, const Executor& executor) {
  kernels::group_norm_forward(Activation::silu, y, dact, mean, rstd, x, weight, bias, shape,
                              executor);
}

void group_norm_silu_backward(float* dx, float* dweight, float* dbias, const float* dact,
                              const float* mean, const float* rstd, const float* dy, const float* x,
                              const float* weight, const kernels::GroupNormShape& shape,
                              const Executor& executor) {
  kernels::group_norm_backward(Activation::silu, dx, dweight, dbias, dact, mean, rstd, dy, x,
                               weight, shape, executor);
}

}  // namespace diffuse
