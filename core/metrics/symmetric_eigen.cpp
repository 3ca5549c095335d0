#include "metrics/symmetric_eigen.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "base/error.hpp"

namespace diffuse {
namespace {

constexpr int max_sweeps = 100;

// (A + A^T) / 2, after checking that A is square, non-empty and finite.
Matrix64 symmetrized(const Matrix64& a) {
  const std::size_t n = a.shape(0);
  if (n == 0 || a.shape(1) != n) {
    fail("symmetric eigendecomposition: the matrix is ", a.shape(0), " x ", a.shape(1),
         ": it must be square and non-empty");
  }
  Matrix64 s = Matrix64::from_shape({n, n});
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      if (!std::isfinite(a(i, j))) {
        fail("symmetric eigendecomposition: element (", i, ", ", j, ") is ", a(i, j),
             ": the matrix must be finite");
      }
      s(i, j) = 0.5 * (a(i, j) + a(j, i));
    }
  }
  return s;
}

double off_diagonal_norm(const Matrix64& a) {
  const std::size_t n = a.shape(0);
  double sum = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      if (i != j) sum += a(i, j) * a(i, j);
    }
  }
  return std::sqrt(sum);
}

// Rotates rows (and, mirrored, columns) p and q of the symmetric a so that a(p, q) = 0, and rows p
// and q of vt (V transposed: row j is eigenvector j) alike if vt is not null.
void rotate(Matrix64& a, Matrix64* vt, std::size_t p, std::size_t q) {
  const std::size_t n = a.shape(0);
  const double apq = a(p, q);
  // t = tan(phi), the smaller root of t^2 + 2 theta t - 1 = 0, theta = cot(2 phi).
  const double theta = (a(q, q) - a(p, p)) / (2.0 * apq);
  double t = 1.0 / (std::abs(theta) + std::sqrt(theta * theta + 1.0));
  if (std::isinf(theta * theta)) t = 0.5 / std::abs(theta);  // theta^2 overflows: t ~ 1 / (2 theta)
  if (theta < 0.0) t = -t;
  const double c = 1.0 / std::sqrt(t * t + 1.0), s = t * c, tau = s / (1.0 + c);
  a(p, p) -= t * apq;
  a(q, q) += t * apq;
  a(p, q) = a(q, p) = 0.0;
  double* row_p = &a(p, 0);
  double* row_q = &a(q, 0);
  for (std::size_t r = 0; r < n; ++r) {
    if (r == p || r == q) continue;
    const double g = row_p[r], h = row_q[r];
    row_p[r] = g - s * (h + g * tau);
    row_q[r] = h + s * (g - h * tau);
    a(r, p) = row_p[r];
    a(r, q) = row_q[r];
  }
  if (vt != nullptr) {
    double* v_p = &(*vt)(p, 0);
    double* v_q = &(*vt)(q, 0);
    for (std::size_t r = 0; r < n; ++r) {
      const double g = v_p[r], h = v_q[r];
      v_p[r] = g - s * (h + g * tau);
      v_q[r] = h + s * (g - h * tau);
    }
  }
}

}  // namespace

SymmetricEigen symmetric_eigen(const Matrix64& input, bool want_vectors) {
  Matrix64 a = symmetrized(input);
  const std::size_t n = a.shape(0);
  Matrix64 vt;
  if (want_vectors) {
    vt = Matrix64::from_shape({n, n});
    vt.fill(0.0);
    for (std::size_t i = 0; i < n; ++i) vt(i, i) = 1.0;
  }
  double norm = 0.0;
  for (double v : a) norm += v * v;
  const double tolerance = static_cast<double>(n) * std::ldexp(1.0, -53) * std::sqrt(norm);
  SymmetricEigen out;
  out.tolerance = tolerance;
  while (off_diagonal_norm(a) > tolerance) {
    if (out.sweeps == max_sweeps) {
      fail("symmetric eigendecomposition: no convergence after ", max_sweeps, " Jacobi sweeps");
    }
    for (std::size_t p = 0; p + 1 < n; ++p) {
      for (std::size_t q = p + 1; q < n; ++q) {
        if (a(p, q) != 0.0) rotate(a, want_vectors ? &vt : nullptr, p, q);
      }
    }
    ++out.sweeps;
  }
  // Ascending eigenvalues, the eigenvectors in the same order as columns.
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t i, std::size_t j) { return a(i, i) < a(j, j); });
  out.values = Table::from_shape({n});
  if (want_vectors) out.vectors = Matrix64::from_shape({n, n});
  for (std::size_t j = 0; j < n; ++j) {
    out.values(j) = a(order[j], order[j]);
    if (want_vectors) {
      for (std::size_t r = 0; r < n; ++r) out.vectors(r, j) = vt(order[j], r);
    }
  }
  return out;
}

Matrix64 symmetric_sqrt(const Matrix64& a) {
  const SymmetricEigen e = symmetric_eigen(a);
  const std::size_t n = e.values.size();
  std::vector<double> root(n);
  for (std::size_t j = 0; j < n; ++j) {
    root[j] = e.values(j) > e.tolerance ? std::sqrt(e.values(j)) : 0.0;
  }
  Matrix64 out = Matrix64::from_shape({n, n});
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t k = i; k < n; ++k) {
      double sum = 0.0;
      for (std::size_t j = 0; j < n; ++j) sum += e.vectors(i, j) * root[j] * e.vectors(k, j);
      out(i, k) = out(k, i) = sum;
    }
  }
  return out;
}

}  // namespace diffuse
