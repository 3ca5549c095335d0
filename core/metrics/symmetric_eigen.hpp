#pragma once
// The eigendecomposition of a real symmetric matrix, A = V diag(lambda) V^T, by cyclic Jacobi
// rotations in float64 (Golub and Van Loan, "Matrix Computations", 4th ed., sections 8.5.2-8.5.3,
// with Rutishauser's rounding-friendly update as in Numerical Recipes section 11.1), written here
// so that neither build needs LAPACK. Each sweep rotates every off-diagonal pair (p, q) to zero;
// sweeps repeat until the off-diagonal part's Frobenius norm is at most n u ||A||_F (u = 2^-53),
// which bounds every eigenvalue's error by that much (Weyl), the accuracy of a backward-stable
// method. Convergence is quadratic: about 6 to 10 sweeps for n = 256, O(n^3) each, fine for the
// metrics' feature dimensions (<= a few hundred).
//
// The matrix must be symmetric up to rounding: the computation uses (A + A^T) / 2.
#include <cstddef>
#include <xtensor/xtensor.hpp>

#include "base/tensor.hpp"

namespace diffuse {

using Matrix64 = xt::xtensor<double, 2>;  // float64 (n, n), row-major

struct SymmetricEigen {
  Table values;      // (n,) the eigenvalues, ascending
  Matrix64 vectors;  // (n, n) column j is a unit eigenvector of values(j); empty if not asked for
  int sweeps = 0;    // Jacobi sweeps done
  double tolerance = 0;  // n u ||A||_F: every eigenvalue is within this of an exact one
};

// Throws Error unless the matrix is square (n >= 1) and finite. With want_vectors false only the
// eigenvalues are computed (no rotation of V: about a third of the work).
SymmetricEigen symmetric_eigen(const Matrix64& a, bool want_vectors = true);

// The positive semi-definite square root V diag(sqrt(lambda+)) V^T of a PSD matrix (a covariance):
// lambda+ = lambda if lambda > tolerance, else 0. Eigenvalues within the decomposition's error
// bound of zero (or below it) cannot be told from zero, and their square roots would turn
// rounding noise of O(n u ||A||) into errors of O(sqrt(n u ||A||)). (n, n)
Matrix64 symmetric_sqrt(const Matrix64& a);

}  // namespace diffuse
