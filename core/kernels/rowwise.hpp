#pragma once
// Row-wise affine combinations, the shape of every per-timestep formula in the forward process,
// the posterior and the parameterizations: each row b has its own two coefficients.
#include <cstddef>

namespace diffuse::kernels {

// out(b, d) = a(b) * x(b, d) + c(b) * y(b, d)       out, x, y: (B, D) row-major; a, c: (B,)
// out may alias x or y.
void rows_axpby(float* out, const float* a, const float* x, const float* c, const float* y,
                std::size_t B, std::size_t D);
void rows_axpby_ref(float* out, const float* a, const float* x, const float* c, const float* y,
                    std::size_t B, std::size_t D);

}  // namespace diffuse::kernels
