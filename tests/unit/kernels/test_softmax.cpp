// softmax_rows and its backward against their double twins on every tail length, with the bounds
// derived below; large score ranges (every exponent but one underflows) and equal scores.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "base/rng.hpp"
#include "kernels/softmax.hpp"

using namespace diffuse;

namespace {

constexpr double u = 1.0 / (1 << 24);

// Forward, relative to p: the argument m - s is rounded (u |m - s|, which exp turns into as much
// relative error), the vector exp is within 4 u, the sum of cols positive terms within (cols + 4)
// u, the division and the twin's rounding one u each: p u (|m - s| + cols + 10), plus cols 1.25e-38
// for exponents below -87.3.
void check_forward(const std::vector<float>& s, std::size_t rows, std::size_t cols) {
  std::vector<float> p(s.size()), ref(s.size());
  kernels::softmax_rows(p.data(), s.data(), rows, cols);
  kernels::softmax_rows_ref(ref.data(), s.data(), rows, cols);
  for (std::size_t r = 0; r < rows; ++r) {
    double m = s[r * cols], total = 0;
    for (std::size_t j = 0; j < cols; ++j) m = std::max(m, static_cast<double>(s[r * cols + j]));
    for (std::size_t j = 0; j < cols; ++j) {
      const std::size_t i = r * cols + j;
      const double tol = ref[i] * u * (m - s[i] + static_cast<double>(cols) + 10) + cols * 1.25e-38;
      INFO("rows " << rows << " cols " << cols << " at " << i);
      CHECK(std::abs(static_cast<double>(p[i]) - ref[i]) <= tol);
      total += p[i];
    }
    CHECK(total == Approx(1.0).epsilon(1e-5));
  }
}

}  // namespace

TEST_CASE("softmax_rows equals its twin on 1 .. 70 columns, random and wide-ranging scores") {
  Rng rng(2);
  for (std::size_t cols = 1; cols <= 70; ++cols) {
    const std::size_t rows = 3;
    std::vector<float> s(rows * cols);
    rng.fill_normal(s.data(), s.size());
    check_forward(s, rows, cols);
    for (float& v : s) v *= 60.0f;  // most exponents far below -87.3
    check_forward(s, rows, cols);
  }
  std::vector<float> flat(10, 3.0f), p(10);
  kernels::softmax_rows(p.data(), flat.data(), 1, 10);
  for (float v : p) CHECK(v == Approx(0.1).epsilon(1e-6));
}

TEST_CASE("softmax_rows_backward equals its twin on 1 .. 70 columns, and works in place") {
  Rng rng(3);
  for (std::size_t cols = 1; cols <= 70; ++cols) {
    const std::size_t rows = 3;
    std::vector<float> s(rows * cols), dp(rows * cols), p(rows * cols);
    rng.fill_normal(s.data(), s.size());
    rng.fill_normal(dp.data(), dp.size());
    kernels::softmax_rows(p.data(), s.data(), rows, cols);
    std::vector<float> ds(p.size()), ref(p.size());
    kernels::softmax_rows_backward(ds.data(), dp.data(), p.data(), rows, cols);
    kernels::softmax_rows_backward_ref(ref.data(), dp.data(), p.data(), rows, cols);
    // dot = sum p dp within (cols + 2) u sum |p dp|; dp - dot and the product one u each, and
    // the twin's rounding: |dds| <= p ((cols + 2) u sum|p dp| + 2 u |dp - dot|) + u |ds|.
    for (std::size_t r = 0; r < rows; ++r) {
      double dot = 0, mag = 0;
      for (std::size_t j = 0; j < cols; ++j) {
        dot += static_cast<double>(p[r * cols + j]) * dp[r * cols + j];
        mag += std::abs(static_cast<double>(p[r * cols + j]) * dp[r * cols + j]);
      }
      for (std::size_t j = 0; j < cols; ++j) {
        const std::size_t i = r * cols + j;
        const double tol =
            p[i] * ((cols + 2) * u * mag + 2 * u * std::abs(dp[i] - dot)) + u * std::abs(ref[i]);
        INFO("cols " << cols << " at " << i);
        CHECK(std::abs(static_cast<double>(ds[i]) - ref[i]) <= tol);
      }
    }
    std::vector<float> inplace = dp;
    kernels::softmax_rows_backward(inplace.data(), inplace.data(), p.data(), rows, cols);
    CHECK(inplace == ds);
  }
}
