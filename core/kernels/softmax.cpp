// The vector softmax: per row a max, the exponentials with their sum, and a division; the tail of
// a row runs the same vector code on a padded copy (max: padded with the row's first value; exp:
// its padding lanes are dropped before summing).
#include "kernels/softmax.hpp"

#include <algorithm>
#include <cmath>

#include "kernels/activation_simd.hpp"

namespace diffuse::kernels {

using detail::Batch;
using detail::lanes;

namespace {

// The first n (1 .. lanes) floats at p, the other lanes set to fill.
inline Batch load_filled(const float* p, std::size_t n, float fill) {
  if (n == lanes) return Batch::load_unaligned(p);
  alignas(64) float tmp[lanes];
  for (std::size_t i = 0; i < lanes; ++i) tmp[i] = i < n ? p[i] : fill;
  return Batch::load_aligned(tmp);
}

}  // namespace

void softmax_rows(float* p, const float* s, std::size_t rows, std::size_t cols) {
  for (std::size_t r = 0; r < rows; ++r) {
    const float* in = s + r * cols;
    float* out = p + r * cols;
    Batch vmax(in[0]);
    for (std::size_t j = 0; j < cols; j += lanes) {
      vmax = xsimd::max(vmax, load_filled(in + j, std::min(lanes, cols - j), in[0]));
    }
    alignas(64) float lane_max[lanes];
    vmax.store_aligned(lane_max);
    float m = lane_max[0];
    for (std::size_t i = 1; i < lanes; ++i) m = lane_max[i] > m ? lane_max[i] : m;
    const Batch vm(m);
    Batch sum(0.0f);
    for (std::size_t j = 0; j < cols; j += lanes) {
      const std::size_t n = std::min(lanes, cols - j);
      // exp(s - m) = exp(-(m - s)), m - s >= 0; padding lanes hold m, whose exp(0) = 1 is dropped
      Batch e = detail::exp_negative(vm - load_filled(in + j, n, m));
      if (n < lanes) {
        alignas(64) float tmp[lanes];
        e.store_aligned(tmp);
        for (std::size_t i = n; i < lanes; ++i) tmp[i] = 0.0f;
        e = Batch::load_aligned(tmp);
      }
      sum += e;
      detail::store_n(out + j, e, n);
    }
    const Batch total(xsimd::hadd(sum));
    for (std::size_t j = 0; j < cols; j += lanes) {
      const std::size_t n = std::min(lanes, cols - j);
      detail::store_n(out + j, detail::load_n(out + j, n) / total, n);
    }
  }
}

void softmax_rows_backward(float* ds, const float* dp, const float* p, std::size_t rows,
                           std::size_t cols) {
  for (std::size_t r = 0; r < rows; ++r) {
    const float* g = dp + r * cols;
    const float* pr = p + r * cols;
    float* out = ds + r * cols;
    Batch dot(0.0f);
    for (std::size_t j = 0; j < cols; j += lanes) {
      const std::size_t n = std::min(lanes, cols - j);
      dot = detail::fma(detail::load_n(pr + j, n), detail::load_n(g + j, n), dot);  // tails: 0 * 0
    }
    const Batch vdot(xsimd::hadd(dot));
    for (std::size_t j = 0; j < cols; j += lanes) {
      const std::size_t n = std::min(lanes, cols - j);
      detail::store_n(out + j, detail::load_n(pr + j, n) * (detail::load_n(g + j, n) - vdot), n);
    }
  }
}

void softmax_rows_ref(float* p, const float* s, std::size_t rows, std::size_t cols) {
  for (std::size_t r = 0; r < rows; ++r) {
    const float* in = s + r * cols;
    double m = in[0], sum = 0;
    for (std::size_t j = 1; j < cols; ++j) m = in[j] > m ? in[j] : m;
    for (std::size_t j = 0; j < cols; ++j) sum += std::exp(in[j] - m);
    for (std::size_t j = 0; j < cols; ++j)
      p[r * cols + j] = static_cast<float>(std::exp(in[j] - m) / sum);
  }
}

void softmax_rows_backward_ref(float* ds, const float* dp, const float* p, std::size_t rows,
                               std::size_t cols) {
  for (std::size_t r = 0; r < rows; ++r) {
    double dot = 0;
    for (std::size_t j = 0; j < cols; ++j)
      dot += static_cast<double>(p[r * cols + j]) * dp[r * cols + j];
    for (std::size_t j = 0; j < cols; ++j) {
      ds[r * cols + j] = static_cast<float>(p[r * cols + j] * (dp[r * cols + j] - dot));
    }
  }
}

}  // namespace diffuse::kernels
