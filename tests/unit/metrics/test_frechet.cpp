// The Fréchet distance against independent computations: the 1-D closed form (mu1 - mu2)^2 +
// (s1 - s2)^2; diagonal covariances, sum (s1_i - s2_i)^2; covariances sharing eigenvectors, sum
// (sqrt(a_i) - sqrt(b_i))^2; zero for identical sets; symmetry and invariance under rotating and
// translating both sets; singular covariances (fewer points than features); the fit against its
// definition on exact data; errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "base/error.hpp"
#include "base/rng.hpp"
#include "metrics/frechet.hpp"

using namespace diffuse;

namespace {

constexpr double u64 = 1.1102230246251565e-16;  // 2^-53

Tensor2 random_points(std::size_t n, std::size_t F, Rng& rng, double scale = 1.0,
                      double shift = 0.0) {
  Tensor2 x = Tensor2::from_shape({n, F});
  rng.fill_normal(x.data(), x.size());
  for (float& v : x) v = static_cast<float>(shift + scale * v);
  return x;
}

GaussianFit fit_of(const std::vector<double>& mean, const Matrix64& covariance) {
  GaussianFit f;
  f.mean = Table::from_shape({mean.size()});
  std::copy(mean.begin(), mean.end(), f.mean.begin());
  f.covariance = covariance;
  f.count = 100;
  return f;
}

Matrix64 diagonal(const std::vector<double>& d) {
  Matrix64 m = Matrix64::from_shape({d.size(), d.size()});
  m.fill(0.0);
  for (std::size_t i = 0; i < d.size(); ++i) m(i, i) = d[i];
  return m;
}

// x (n, F) Q^T + t: every point rotated by the orthogonal Q (a Givens rotation of each pair of
// neighbouring coordinates, applied in turn) and shifted by t.
Tensor2 rotate_shift(const Tensor2& x, double angle, const std::vector<double>& t) {
  const std::size_t n = x.shape(0), F = x.shape(1);
  std::vector<double> row(F);
  Tensor2 out = Tensor2::from_shape({n, F});
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t f = 0; f < F; ++f) row[f] = x(i, f);
    for (std::size_t f = 0; f + 1 < F; ++f) {
      const double a = row[f], b = row[f + 1];
      row[f] = std::cos(angle) * a - std::sin(angle) * b;
      row[f + 1] = std::sin(angle) * a + std::cos(angle) * b;
    }
    for (std::size_t f = 0; f < F; ++f) out(i, f) = static_cast<float>(row[f] + t[f]);
  }
  return out;
}

}  // namespace

TEST_CASE("gaussian_fit: the mean and the covariance with divisor n - 1") {
  // Small integers: every sum is exact, so the fit is exactly its definition.
  Tensor2 x = {{1, 2}, {3, 0}, {5, 4}, {-1, 2}};
  const GaussianFit f = gaussian_fit(x);
  CHECK(f.count == 4);
  CHECK(f.mean(0) == 2.0);
  CHECK(f.mean(1) == 2.0);
  // deviations (-1, 0), (1, -2), (3, 2), (-3, 0): sums 20, 4 and 8, over 3
  CHECK(f.covariance(0, 0) == 20.0 / 3);
  CHECK(f.covariance(0, 1) == 4.0 / 3);
  CHECK(f.covariance(1, 0) == 4.0 / 3);
  CHECK(f.covariance(1, 1) == 8.0 / 3);
}

TEST_CASE("frechet_distance: 1-D closed form (mu1 - mu2)^2 + (s1 - s2)^2") {
  Rng rng(1);
  const Tensor2 x = random_points(500, 1, rng, 2.0, 1.0), y = random_points(300, 1, rng, 0.5, -1.0);
  const GaussianFit fx = gaussian_fit(x), fy = gaussian_fit(y);
  const double s1 = std::sqrt(fx.covariance(0, 0)), s2 = std::sqrt(fy.covariance(0, 0));
  const double expected = std::pow(fx.mean(0) - fy.mean(0), 2) + std::pow(s1 - s2, 2);
  const FrechetDistance d = frechet_distance(x, y);
  CHECK(d.distance == Approx(expected).epsilon(1e-13));
  CHECK(d.mean_term == Approx(std::pow(fx.mean(0) - fy.mean(0), 2)).epsilon(1e-15));
}

TEST_CASE("frechet_distance: diagonal covariances give sum (s1_i - s2_i)^2") {
  const std::vector<double> v1 = {4.0, 1.0, 0.25, 9.0, 0.0}, v2 = {1.0, 1.0, 1.0, 16.0, 2.0};
  const std::vector<double> m1 = {0.0, 1.0, 2.0, 3.0, 4.0}, m2 = {1.0, 1.0, 0.0, 3.0, -1.0};
  double expected = 0.0;
  for (std::size_t i = 0; i < 5; ++i) {
    expected += std::pow(m1[i] - m2[i], 2) + std::pow(std::sqrt(v1[i]) - std::sqrt(v2[i]), 2);
  }
  const FrechetDistance d = frechet_distance(fit_of(m1, diagonal(v1)), fit_of(m2, diagonal(v2)));
  CHECK(d.distance == Approx(expected).epsilon(1e-14));
  CHECK(d.mean_term == 1.0 + 4.0 + 25.0);
}

TEST_CASE("frechet_distance: covariances with common eigenvectors, sum (sqrt a_i - sqrt b_i)^2") {
  // S1 = Q diag(a) Q^T, S2 = Q diag(b) Q^T with Q the 45-degree rotation of each pair (1, 2), (3,
  // 4).
  const double r = std::sqrt(0.5);
  const Matrix64 q = {{r, -r, 0, 0}, {r, r, 0, 0}, {0, 0, r, -r}, {0, 0, r, r}};
  const std::vector<double> a = {3.0, 0.5, 2.0, 0.0}, b = {1.0, 2.0, 2.0, 4.0};
  auto build = [&](const std::vector<double>& d) {
    Matrix64 m = Matrix64::from_shape({4, 4});
    for (std::size_t i = 0; i < 4; ++i)
      for (std::size_t j = 0; j < 4; ++j) {
        double s = 0.0;
        for (std::size_t k = 0; k < 4; ++k) s += q(i, k) * d[k] * q(j, k);
        m(i, j) = s;
      }
    return m;
  };
  double expected = 0.0;
  for (std::size_t i = 0; i < 4; ++i) expected += std::pow(std::sqrt(a[i]) - std::sqrt(b[i]), 2);
  const std::vector<double> zero(4, 0.0);
  const FrechetDistance d = frechet_distance(fit_of(zero, build(a)), fit_of(zero, build(b)));
  // The zero eigenvalue of S1 makes its square root's error O(sqrt(u)): about 1e-8 absolute.
  CHECK(d.distance == Approx(expected).margin(1e-7));
}

TEST_CASE("frechet_distance: zero for one set, symmetric, invariant under rotating both") {
  Rng rng(2);
  const std::size_t F = 12;
  // Correlated features: x W for a random W, so the covariance is full and not diagonal.
  Tensor2 base = random_points(400, F, rng), other = random_points(250, F, rng, 1.3, 0.2);
  const FrechetDistance self = frechet_distance(base, base);
  const GaussianFit f = gaussian_fit(base);
  double trace = 0.0;
  for (std::size_t i = 0; i < F; ++i) trace += f.covariance(i, i);
  // tr(S) - tr((S^{1/2} S S^{1/2})^{1/2}): two eigendecompositions, each good to O(F u tr(S)).
  CHECK(std::abs(self.distance) <= 64.0 * F * u64 * trace);
  const FrechetDistance xy = frechet_distance(base, other), yx = frechet_distance(other, base);
  CHECK(xy.distance == Approx(yx.distance).epsilon(1e-12));
  const std::vector<double> shift = {1, -2, 3, 0.5, 0, 0, 1, 1, -1, 2, 0, 4};
  const FrechetDistance rotated =
      frechet_distance(rotate_shift(base, 0.7, shift), rotate_shift(other, 0.7, shift));
  // Rotating and shifting float32 points rounds each coordinate once (relative 2^-24), which
  // moves the distance by about that relative amount of the features' scale.
  CHECK(rotated.distance == Approx(xy.distance).epsilon(1e-5));
  CHECK(rotated.mean_term == Approx(xy.mean_term).epsilon(1e-5));
}

TEST_CASE("frechet_distance: fewer points than features (singular covariances)") {
  Rng rng(3);
  const Tensor2 x = random_points(20, 64, rng), y = random_points(30, 64, rng, 1.0, 0.1);
  const FrechetDistance d = frechet_distance(x, y);
  CHECK(std::isfinite(d.distance));
  CHECK(d.distance > 0.0);
  // One set against itself: S has 64 - 19 zero eigenvalues. Those within the decomposition's
  // bound count as 0 exactly; the rest are as for a full covariance, O(F u tr(S)) each, plus the
  // square root of a rounding-level eigenvalue just above the bound: sqrt(F u) ||S||_F at most,
  // for each of the F eigenvalues of S^{1/2} S S^{1/2}, and twice that in the trace term.
  const GaussianFit f = gaussian_fit(x);
  double norm = 0.0;
  for (double v : f.covariance) norm += v * v;
  norm = std::sqrt(norm);
  CHECK(std::abs(frechet_distance(x, x).distance) <= 2.0 * 64 * std::sqrt(64 * u64) * norm);
}

TEST_CASE("frechet_distance: errors") {
  Rng rng(4);
  CHECK_THROWS_WITH(gaussian_fit(random_points(1, 3, rng)),
                    Catch::Contains("needs at least 2 points"));
  CHECK_THROWS_WITH(frechet_distance(random_points(5, 3, rng), random_points(5, 4, rng)),
                    Catch::Contains("dimension 3 and 4"));
  Tensor2 x = random_points(5, 3, rng);
  x(2, 1) = std::nanf("");
  CHECK_THROWS_WITH(gaussian_fit(x), Catch::Contains("value (2, 1) is nan"));
}
