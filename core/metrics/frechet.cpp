#include "metrics/frechet.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "base/error.hpp"

namespace diffuse {

GaussianFit gaussian_fit(const Tensor2& x) {
  const std::size_t n = x.shape(0), F = x.shape(1);
  if (n < 2 || F < 1) {
    fail("Gaussian fit: ", n, " points of dimension ", F, ": needs at least 2 points, F >= 1");
  }
  GaussianFit fit;
  fit.count = n;
  fit.mean = Table::from_shape({F});
  fit.mean.fill(0.0);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t f = 0; f < F; ++f) {
      const double v = x(i, f);
      if (!std::isfinite(v)) {
        fail("Gaussian fit: value (", i, ", ", f, ") is ", v, ": features must be finite");
      }
      fit.mean(f) += v;
    }
  }
  for (std::size_t f = 0; f < F; ++f) fit.mean(f) /= static_cast<double>(n);
  // The upper triangle of sum_i (x_i - mu)(x_i - mu)^T, then mirrored.
  fit.covariance = Matrix64::from_shape({F, F});
  fit.covariance.fill(0.0);
  std::vector<double> centered(F);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t f = 0; f < F; ++f) centered[f] = x(i, f) - fit.mean(f);
    for (std::size_t f = 0; f < F; ++f) {
      const double c = centered[f];
      double* row = &fit.covariance(f, 0);
      for (std::size_t g = f; g < F; ++g) row[g] += c * centered[g];
    }
  }
  const double divisor = static_cast<double>(n - 1);
  for (std::size_t f = 0; f < F; ++f) {
    for (std::size_t g = f; g < F; ++g) {
      fit.covariance(f, g) /= divisor;
      fit.covariance(g, f) = fit.covariance(f, g);
    }
  }
  return fit;
}

namespace {

// c (n, n) = a (n, n) b (n, n)
Matrix64 multiply(const Matrix64& a, const Matrix64& b) {
  const std::size_t n = a.shape(0);
  Matrix64 c = Matrix64::from_shape({n, n});
  c.fill(0.0);
  for (std::size_t i = 0; i < n; ++i) {
    double* c_row = &c(i, 0);
    for (std::size_t k = 0; k < n; ++k) {
      const double a_ik = a(i, k);
      const double* b_row = &b(k, 0);
      for (std::size_t j = 0; j < n; ++j) c_row[j] += a_ik * b_row[j];
    }
  }
  return c;
}

double trace(const Matrix64& a) {
  double sum = 0.0;
  for (std::size_t i = 0; i < a.shape(0); ++i) sum += a(i, i);
  return sum;
}

}  // namespace

FrechetDistance frechet_distance(const GaussianFit& a, const GaussianFit& b) {
  const std::size_t F = a.mean.size();
  if (b.mean.size() != F) {
    fail("Frechet distance: features of dimension ", F, " and ", b.mean.size(),
         ": both sets need the same dimension");
  }
  FrechetDistance out;
  for (std::size_t f = 0; f < F; ++f) {
    const double d = a.mean(f) - b.mean(f);
    out.mean_term += d * d;
  }
  const Matrix64 root = symmetric_sqrt(a.covariance);                   // S1^{1/2}
  const Matrix64 inner = multiply(multiply(root, b.covariance), root);  // S1^{1/2} S2 S1^{1/2}
  const SymmetricEigen e = symmetric_eigen(inner, false);
  double trace_root = 0.0;
  for (double mu : e.values) trace_root += mu > e.tolerance ? std::sqrt(mu) : 0.0;
  out.trace_term = trace(a.covariance) + trace(b.covariance) - 2.0 * trace_root;
  out.distance = out.mean_term + out.trace_term;
  return out;
}

FrechetDistance frechet_distance(const Tensor2& x, const Tensor2& y) {
  if (x.shape(1) != y.shape(1)) {
    fail("Frechet distance: features of dimension ", x.shape(1), " and ", y.shape(1),
         ": both sets need the same dimension");
  }
  return frechet_distance(gaussian_fit(x), gaussian_fit(y));
}

}  // namespace diffuse
