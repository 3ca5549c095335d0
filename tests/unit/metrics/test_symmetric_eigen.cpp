// The Jacobi eigendecomposition against independent facts: the 2 x 2 closed form; matrices built
// from a known spectrum and a random orthogonal basis (Householder reflections), with repeated,
// zero and negative eigenvalues; A V = V diag(lambda) and V^T V = I; the PSD square root squared
// is the matrix; errors.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>
#include <vector>

#include "base/error.hpp"
#include "base/rng.hpp"
#include "metrics/symmetric_eigen.hpp"

using namespace diffuse;

namespace {

constexpr double u64 = 1.1102230246251565e-16;  // 2^-53

// A random orthogonal n x n matrix: a product of n Householder reflections I - 2 v v^T / v^T v.
Matrix64 random_orthogonal(std::size_t n, Rng& rng) {
  Matrix64 q = Matrix64::from_shape({n, n});
  q.fill(0.0);
  for (std::size_t i = 0; i < n; ++i) q(i, i) = 1.0;
  std::vector<double> v(n);
  for (std::size_t k = 0; k < n; ++k) {
    rng.fill_normal(v.data(), n);
    double vv = 0.0;
    for (double x : v) vv += x * x;
    for (std::size_t i = 0; i < n; ++i) {  // q = q (I - 2 v v^T / vv): each row minus its part on v
      double dot = 0.0;
      for (std::size_t j = 0; j < n; ++j) dot += q(i, j) * v[j];
      for (std::size_t j = 0; j < n; ++j) q(i, j) -= 2.0 * dot * v[j] / vv;
    }
  }
  return q;
}

// Q diag(lambda) Q^T
Matrix64 with_spectrum(const Matrix64& q, const std::vector<double>& lambda) {
  const std::size_t n = lambda.size();
  Matrix64 a = Matrix64::from_shape({n, n});
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      double s = 0.0;
      for (std::size_t k = 0; k < n; ++k) s += q(i, k) * lambda[k] * q(j, k);
      a(i, j) = s;
    }
  }
  for (std::size_t i = 0; i < n; ++i) {  // exactly symmetric
    for (std::size_t j = 0; j < i; ++j) a(i, j) = a(j, i);
  }
  return a;
}

double frobenius(const Matrix64& a) {
  double s = 0.0;
  for (double v : a) s += v * v;
  return std::sqrt(s);
}

// max |A V - V diag(lambda)| and max |V^T V - I|.
void check_decomposition(const Matrix64& a, const SymmetricEigen& e, double tolerance) {
  const std::size_t n = a.shape(0);
  double residual = 0.0, orthogonality = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      double av = 0.0, vtv = 0.0;
      for (std::size_t k = 0; k < n; ++k) {
        av += a(i, k) * e.vectors(k, j);
        vtv += e.vectors(k, i) * e.vectors(k, j);
      }
      residual = std::max(residual, std::abs(av - e.vectors(i, j) * e.values(j)));
      orthogonality = std::max(orthogonality, std::abs(vtv - (i == j ? 1.0 : 0.0)));
    }
  }
  INFO("residual " << residual << ", orthogonality " << orthogonality << ", tolerance "
                   << tolerance);
  CHECK(residual <= tolerance * frobenius(a));
  CHECK(orthogonality <= tolerance);
}

}  // namespace

TEST_CASE("symmetric_eigen: the 2 x 2 closed form") {
  // [[a, b], [b, c]]: (a + c) / 2 -+ sqrt(((a - c) / 2)^2 + b^2)
  for (const auto& [a, b, c] : {std::tuple{2.0, 1.0, 3.0}, std::tuple{1.0, 1e-9, 1.0},
                                std::tuple{-4.0, 2.5, 7.0}, std::tuple{5.0, 0.0, -1.0}}) {
    Matrix64 m = {{a, b}, {b, c}};
    const SymmetricEigen e = symmetric_eigen(m);
    const double mid = (a + c) / 2, radius = std::sqrt((a - c) * (a - c) / 4 + b * b);
    const double scale = std::abs(a) + std::abs(b) + std::abs(c);
    CHECK(std::abs(e.values(0) - (mid - radius)) <= 8 * u64 * scale);
    CHECK(std::abs(e.values(1) - (mid + radius)) <= 8 * u64 * scale);
    check_decomposition(m, e, 16 * u64);
  }
}

TEST_CASE("symmetric_eigen: a known spectrum in a random basis") {
  Rng rng(1);
  for (std::size_t n : {1u, 3u, 10u, 40u, 100u}) {
    INFO("n = " << n);
    std::vector<double> lambda(n);
    rng.fill_normal(lambda.data(), n);
    if (n >= 3) {
      lambda[1] = lambda[0];  // a repeated eigenvalue
      lambda[2] = 0.0;        // and a zero one
    }
    const Matrix64 a = with_spectrum(random_orthogonal(n, rng), lambda);
    const SymmetricEigen e = symmetric_eigen(a);
    std::sort(lambda.begin(), lambda.end());
    // Weyl: each eigenvalue moves by at most the perturbation's norm; building A and the
    // decomposition each contribute O(n u ||A||_F), so 8 n u ||A||_F bounds the difference.
    const double tolerance = 8.0 * static_cast<double>(n) * u64 * frobenius(a);
    for (std::size_t i = 0; i < n; ++i) CHECK(std::abs(e.values(i) - lambda[i]) <= tolerance);
    check_decomposition(a, e, 8.0 * static_cast<double>(n) * u64);
    const SymmetricEigen values_only = symmetric_eigen(a, false);
    CHECK(values_only.vectors.size() == 0);
    for (std::size_t i = 0; i < n; ++i)
      CHECK(std::abs(values_only.values(i) - lambda[i]) <= tolerance);
  }
}

TEST_CASE("symmetric_eigen: 256 dimensions converge in a few sweeps") {
  Rng rng(2);
  const std::size_t n = 256;
  std::vector<double> lambda(n);
  for (std::size_t i = 0; i < n; ++i)
    lambda[i] = std::exp(-0.05 * static_cast<double>(i));  // a covariance-like decay
  const Matrix64 a = with_spectrum(random_orthogonal(n, rng), lambda);
  const SymmetricEigen e = symmetric_eigen(a, false);
  CHECK(e.sweeps <= 15);  // quadratic convergence; the cap is 100
  std::sort(lambda.begin(), lambda.end());
  const double tolerance = 8.0 * static_cast<double>(n) * u64 * frobenius(a);
  for (std::size_t i = 0; i < n; ++i) CHECK(std::abs(e.values(i) - lambda[i]) <= tolerance);
}

TEST_CASE("symmetric_sqrt: its square is the matrix, also for a singular one") {
  Rng rng(3);
  for (std::size_t n : {1u, 5u, 30u}) {
    std::vector<double> lambda(n);
    for (std::size_t i = 0; i < n; ++i) lambda[i] = i % 3 == 0 ? 0.0 : 0.5 + rng.uniform();
    const Matrix64 a = with_spectrum(random_orthogonal(n, rng), lambda);
    const Matrix64 r = symmetric_sqrt(a);
    double error = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < n; ++j) {
        double s = 0.0;
        for (std::size_t k = 0; k < n; ++k) s += r(i, k) * r(k, j);
        error = std::max(error, std::abs(s - a(i, j)));
        CHECK(r(i, j) == r(j, i));
      }
    }
    // Zero eigenvalues come out as +-O(n u ||A||): their square roots O(sqrt(n u ||A||)), whose
    // squares are again O(n u ||A||), so the square's error stays O(n u ||A||).
    CHECK(error <= 32.0 * static_cast<double>(n) * u64 * (frobenius(a) + 1.0));
  }
  // Known roots: diag(4, 9) -> diag(2, 3); [[2, 1], [1, 2]] = Q diag(1, 3) Q^T -> Q diag(1, sqrt 3)
  // Q^T.
  const Matrix64 d = symmetric_sqrt(Matrix64{{4.0, 0.0}, {0.0, 9.0}});
  CHECK(d(0, 0) == Approx(2.0).epsilon(1e-15));
  CHECK(d(1, 1) == Approx(3.0).epsilon(1e-15));
  CHECK(d(0, 1) == 0.0);
  const Matrix64 m = symmetric_sqrt(Matrix64{{2.0, 1.0}, {1.0, 2.0}});
  CHECK(m(0, 0) == Approx((1.0 + std::sqrt(3.0)) / 2).epsilon(1e-15));
  CHECK(m(0, 1) == Approx((std::sqrt(3.0) - 1.0) / 2).epsilon(1e-15));
  // A rounding-negative eigenvalue counts as zero.
  const Matrix64 z = symmetric_sqrt(Matrix64{{-1e-18}});
  CHECK(z(0, 0) == 0.0);
}

TEST_CASE("symmetric_eigen: errors") {
  CHECK_THROWS_WITH(symmetric_eigen(Matrix64::from_shape({2, 3})),
                    Catch::Contains("2 x 3: it must be square"));
  CHECK_THROWS_AS(symmetric_eigen(Matrix64::from_shape({0, 0})), Error);
  Matrix64 m = {{1.0, std::nan("")}, {0.0, 1.0}};
  CHECK_THROWS_WITH(symmetric_eigen(m), Catch::Contains("element (0, 1) is nan"));
}
