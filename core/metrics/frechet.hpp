#pragma once
// The Fréchet distance between two sets of feature vectors (Dowson and Landau 1982; Heusel et al.
// 2017, "FID", with the classifier's penultimate activations in place of Inception's,
// nn/classifier.hpp): the squared 2-Wasserstein distance between the Gaussians fitted to them,
//   d^2 = ||mu1 - mu2||^2 + tr(S1 + S2 - 2 (S1^{1/2} S2 S1^{1/2})^{1/2}),
// in float64. S1^{1/2} S2 S1^{1/2} is symmetric positive semi-definite, so both square roots come
// from symmetric eigendecompositions (metrics/symmetric_eigen.hpp): tr((S1^{1/2} S2
// S1^{1/2})^{1/2}) is the sum of the square roots of its eigenvalues (those within the
// eigendecomposition's error bound of zero, or below, count as 0: see symmetric_sqrt). This equals
// tr((S1 S2)^{1/2}) of the usual statement (same eigenvalues) without its non-symmetric matrix
// square root, and holds for singular covariances too (fewer points than features).
//
// Accuracy: with full-rank covariances the result is good to a first-order rounding bound (about
// 1e-13 relative against numpy in tests/cli/test_frechet_numpy.py). With fewer points than
// features the covariances are singular, where tr(M^{1/2}) is not Lipschitz in M: rounding of
// O(u ||M||) could move it by O(sqrt(u ||M||)) per zero eigenvalue in the worst case. Zeroing the
// eigenvalues within the decomposition's bound keeps it far below that in practice (1e-13 relative
// against an SVD of the cross Gram matrix, which has no such problem, for 148 points in 256
// features).
//
// Like FID it is biased upwards at finite sample sizes, so compare distances at equal sizes: the
// distance between two halves of held-out data is the baseline a perfect model would score.
#include <cstddef>

#include "base/tensor.hpp"
#include "metrics/symmetric_eigen.hpp"

namespace diffuse {

struct GaussianFit {
  Table mean;             // (F,)
  Matrix64 covariance;    // (F, F) the sample covariance, divisor n - 1 (numpy.cov's default)
  std::size_t count = 0;  // n
};

// The mean and covariance of the rows of x (n, F), two passes in float64. Throws Error unless
// n >= 2, F >= 1 and every value is finite.
GaussianFit gaussian_fit(const Tensor2& x);

struct FrechetDistance {
  double distance = 0;    // d^2 = mean_term + trace_term
  double mean_term = 0;   // ||mu1 - mu2||^2
  double trace_term = 0;  // tr(S1) + tr(S2) - 2 tr((S1^{1/2} S2 S1^{1/2})^{1/2})
};

// Throws Error unless both fits have the same dimension F.
FrechetDistance frechet_distance(const GaussianFit& a, const GaussianFit& b);
// The same for the fits of x (n, F) and y (m, F).
FrechetDistance frechet_distance(const Tensor2& x, const Tensor2& y);

}  // namespace diffuse
