#include "metrics/pair_sums.hpp"

#include <algorithm>
#include <vector>

#include "base/check.hpp"
#include "kernels/pairwise.hpp"

namespace diffuse {
namespace {

// Columns of a block of the second set: about 64 KiB of floats, at least 64 points.
std::size_t block_points(std::size_t D) {
  return std::max<std::size_t>(64, 16384 / D);
}

// b transposed to column-major: coordinate d of point j at out[d * m + j].      (D, m)
std::vector<float> columns(const Tensor2& b) {
  const std::size_t m = b.shape(0), D = b.shape(1);
  std::vector<float> out(D * m);
  for (std::size_t j = 0; j < m; ++j) {
    for (std::size_t d = 0; d < D; ++d) out[d * m + j] = b(j, d);
  }
  return out;
}

double row_sum(const float* p, const float* Y, std::size_t ld, std::size_t D, std::size_t m,
               PairFunction f) {
  if (f.kind == PairFunction::Kind::distance) return kernels::distance_row_sum(p, Y, ld, D, m);
  return kernels::rbf_row_sum(p, Y, ld, D, m, f.gamma);
}

// sum over i < n and j in [j0, j1) with j > i when `upper` (a and b the same set).
double block_sum(const Tensor2& a, const std::vector<float>& bt, std::size_t m, std::size_t j0,
                 std::size_t j1, bool upper, PairFunction f) {
  const std::size_t n = upper ? std::min(a.shape(0), j1) : a.shape(0), D = a.shape(1);
  double sum = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t start = upper ? std::max(j0, i + 1) : j0;
    if (start >= j1) continue;
    sum += row_sum(&a(i, 0), bt.data() + start, m, D, j1 - start, f);
  }
  return sum;
}

double pair_sum(const Tensor2& a, const Tensor2& b, bool upper, PairFunction f) {
  DIFFUSE_ASSERT(a.shape(1) == b.shape(1));
  const std::size_t m = b.shape(0), block = block_points(b.shape(1));
  if (m == 0 || a.shape(0) == 0 || b.shape(1) == 0) return 0.0;
  const std::vector<float> bt = columns(b);
  double sum = 0.0;
  for (std::size_t j0 = 0; j0 < m; j0 += block) {
    sum += block_sum(a, bt, m, j0, std::min(m, j0 + block), upper, f);
  }
  return sum;
}

}  // namespace

double pair_sum_cross(const Tensor2& a, const Tensor2& b, PairFunction f) {
  return pair_sum(a, b, false, f);
}

double pair_sum_within(const Tensor2& a, PairFunction f) {
  return pair_sum(a, a, true, f);
}

}  // namespace diffuse
