#pragma once
// The squared maximum mean discrepancy with a Gaussian (RBF) kernel (Gretton et al. 2012):
//   k(a, b) = exp(-|a - b|^2 / (2 h^2)),
//   MMD^2(P, Q) = E k(X, X') + E k(Y, Y') - 2 E k(X, Y),
// estimated from x (n, D) and y (m, D) by the unbiased U-statistic (Gretton et al. eq. 3):
//   mmd2 = sum_{i != i'} k(x_i, x_i') / (n (n - 1)) + sum_{j != j'} k(y_j, y_j') / (m (m - 1))
//          - 2 sum_{i, j} k(x_i, y_j) / (n m),
// which can be slightly negative when P = Q.
//
// Bandwidth h: given, or by the median heuristic: the median of the Euclidean distances between
// distinct points of the pooled set (x then y), over at most `median_points` of them taken evenly
// spaced through the pooled set (index floor(k N / K) for k < K, no randomness); the median of an
// even number of distances is the mean of the middle two.
//
// O(n m D) time in blocks (metrics/pair_sums.hpp), O((n + m) D) memory.
#include <cstddef>

#include "base/tensor.hpp"

namespace diffuse {

struct MmdOptions {
  double bandwidth = 0.0;            // h > 0, or 0 for the median heuristic
  std::size_t median_points = 1000;  // subsample size for the median heuristic (>= 2)
};

struct Mmd {
  double mmd2 = 0;       // the unbiased estimate of MMD^2
  double bandwidth = 0;  // the h that was used
};

// Throws Error unless both sets have >= 2 points of the same dimension D >= 1, the bandwidth is
// 0 or positive and finite, and (for the heuristic) the median distance is positive.
//                                                                      x: (n, D), y: (m, D)
Mmd mmd_rbf(const Tensor2& x, const Tensor2& y, const MmdOptions& options = {});

// The median heuristic alone.                                          x: (n, D), y: (m, D)
double mmd_median_bandwidth(const Tensor2& x, const Tensor2& y, std::size_t median_points = 1000);

}  // namespace diffuse
