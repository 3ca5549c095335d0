#include "kernels/pairwise.hpp"

#include <algorithm>
#include <cmath>

// GCC 12 reports its own AVX-512 intrinsics (_mm512_undefined_ps in the masked sqrt, roundscale
// and convert that xsimd::sqrt and xsimd::exp use) as (maybe-)uninitialized once they are inlined
// into a loop: a false positive located in the compiler's header, silenced for that header only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <xsimd/xsimd.hpp>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#include "kernels/simd_fma.hpp"

namespace diffuse::kernels {
namespace {

using batch = xsimd::batch<float>;
constexpr std::size_t lanes = batch::size;
// Vectors summed per lane in float before the float64 total: 16 terms of relative error 2^-24.
constexpr std::size_t flush_every = 16;

batch squared_distances(const float* p, const float* Y, std::size_t ld, std::size_t D,
                        std::size_t j) {
  batch d2(0.0f);
  for (std::size_t d = 0; d < D; ++d) {
    const batch diff = batch(p[d]) - batch::load_unaligned(Y + d * ld + j);
    d2 = detail::fma(diff, diff, d2);
  }
  return d2;
}

float squared_distance(const float* p, const float* Y, std::size_t ld, std::size_t D,
                       std::size_t j) {
  float d2 = 0.0f;
  for (std::size_t d = 0; d < D; ++d) {
    const float diff = p[d] - Y[d * ld + j];
    d2 += diff * diff;
  }
  return d2;
}

// sum_j f(|p - y_j|^2) with f applied to whole vectors, then a scalar tail.
template <typename VectorF, typename ScalarF>
double row_sum(const float* p, const float* Y, std::size_t ld, std::size_t D, std::size_t m,
               VectorF f, ScalarF f_scalar) {
  const std::size_t vec_end = m - m % lanes;
  double total = 0.0;
  std::size_t j = 0;
  while (j < vec_end) {
    const std::size_t chunk_end = std::min(vec_end, j + flush_every * lanes);
    batch acc(0.0f);
    for (; j < chunk_end; j += lanes) acc += f(squared_distances(p, Y, ld, D, j));
    total += static_cast<double>(xsimd::hadd(acc));
  }
  for (; j < m; ++j) total += static_cast<double>(f_scalar(squared_distance(p, Y, ld, D, j)));
  return total;
}

}  // namespace

double distance_row_sum(const float* p, const float* Y, std::size_t ld, std::size_t D,
                        std::size_t m) {
  return row_sum(
      p, Y, ld, D, m, [](const batch& d2) { return xsimd::sqrt(d2); },
      [](float d2) { return std::sqrt(d2); });
}

double rbf_row_sum(const float* p, const float* Y, std::size_t ld, std::size_t D, std::size_t m,
                   float gamma) {
  const batch minus_gamma(-gamma);
  return row_sum(
      p, Y, ld, D, m, [&](const batch& d2) { return xsimd::exp(minus_gamma * d2); },
      [&](float d2) { return std::exp(-gamma * d2); });
}

}  // namespace diffuse::kernels
