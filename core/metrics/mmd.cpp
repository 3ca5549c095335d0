#include "metrics/mmd.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "base/error.hpp"
#include "base/median.hpp"
#include "metrics/pair_sums.hpp"

namespace diffuse {
namespace {

void check_sets(const Tensor2& x, const Tensor2& y) {
  if (x.shape(1) != y.shape(1) || x.shape(1) == 0) {
    fail("MMD between points of dimension ", x.shape(1), " and ", y.shape(1),
         ": expected the same dimension, at least 1");
  }
  if (x.shape(0) < 2 || y.shape(0) < 2) {
    fail("MMD between ", x.shape(0), " and ", y.shape(0),
         " points: expected at least 2 in each set");
  }
}

// Pooled point k (x then y).
const float* pooled_point(const Tensor2& x, const Tensor2& y, std::size_t k) {
  return k < x.shape(0) ? &x(k, 0) : &y(k - x.shape(0), 0);
}

}  // namespace

double mmd_median_bandwidth(const Tensor2& x, const Tensor2& y, std::size_t median_points) {
  check_sets(x, y);
  if (median_points < 2) fail("median_points = ", median_points, ": expected at least 2");
  const std::size_t N = x.shape(0) + y.shape(0), K = std::min(N, median_points), D = x.shape(1);
  std::vector<const float*> points(K);
  for (std::size_t k = 0; k < K; ++k) {  // in 64 bits: k N overflows a 32-bit size_t (WASM)
    points[k] = pooled_point(x, y, static_cast<std::size_t>(std::uint64_t{k} * N / K));
  }
  std::vector<double> distances;
  distances.reserve(K * (K - 1) / 2);
  for (std::size_t a = 0; a < K; ++a) {
    for (std::size_t b = a + 1; b < K; ++b) {
      double d2 = 0;
      for (std::size_t d = 0; d < D; ++d) {
        const double diff = static_cast<double>(points[a][d]) - points[b][d];
        d2 += diff * diff;
      }
      distances.push_back(std::sqrt(d2));
    }
  }
  return median_in_place(distances);
}

Mmd mmd_rbf(const Tensor2& x, const Tensor2& y, const MmdOptions& options) {
  check_sets(x, y);
  if (!(options.bandwidth >= 0.0) || !std::isfinite(options.bandwidth)) {
    fail("MMD bandwidth = ", options.bandwidth,
         ": expected a positive finite number, or 0 for the median heuristic");
  }
  Mmd result;
  result.bandwidth = options.bandwidth;
  if (result.bandwidth == 0.0) {
    result.bandwidth = mmd_median_bandwidth(x, y, options.median_points);
    if (!(result.bandwidth > 0.0)) {
      fail("MMD median-heuristic bandwidth is 0: more than half of the pooled pairs coincide; ",
           "give a positive bandwidth");
    }
  }
  const PairFunction kernel{PairFunction::Kind::rbf,
                            static_cast<float>(1.0 / (2.0 * result.bandwidth * result.bandwidth))};
  const double n = static_cast<double>(x.shape(0)), m = static_cast<double>(y.shape(0));
  // Within-set sums visit each unordered pair once: twice that is the sum over i != i'.
  const double xx = 2 * pair_sum_within(x, kernel) / (n * (n - 1));
  const double yy = 2 * pair_sum_within(y, kernel) / (m * (m - 1));
  const double xy = pair_sum_cross(x, y, kernel) / (n * m);
  result.mmd2 = xx + yy - 2 * xy;
  return result;
}

}  // namespace diffuse
