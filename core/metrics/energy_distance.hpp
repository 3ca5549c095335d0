#pragma once
// The energy distance between two distributions P and Q (Szekely and Rizzo 2013):
//   D^2(P, Q) = 2 E|X - Y| - E|X - X'| - E|Y - Y'|,   X, X' ~ P and Y, Y' ~ Q independent,
// with |.| the Euclidean norm; D^2 >= 0, and 0 only if P = Q. From samples x (n, D), y (m, D):
//
//   u_statistic = 2 A - B - C with A = mean over all (i, j) of |x_i - y_j|,
//                 B = mean over i != i' of |x_i - x_i'|, C likewise for y:
//                 unbiased for D^2 (E u = D^2), hence can be slightly negative when P = Q.
//   v_statistic = 2 A - (n - 1)/n B - (m - 1)/m C: the energy distance between the two empirical
//                 distributions (the diagonal pairs count, with distance 0); always >= 0, biased
//                 upwards by E|X - X'| / n + E|Y - Y'| / m. For D = 1,
//                 scipy.stats.energy_distance(x, y) is sqrt(v_statistic).
//
// O(n m D) time in blocks (metrics/pair_sums.hpp), O((n + m) D) memory.
#include "base/tensor.hpp"

namespace diffuse {

struct EnergyDistance {
  double u_statistic = 0;  // unbiased estimate of D^2
  double v_statistic = 0;  // D^2 of the empirical distributions
  double cross_mean = 0;   // A = mean |x_i - y_j|
  double x_mean = 0;       // B = mean over i != i' of |x_i - x_i'|
  double y_mean = 0;       // C = mean over j != j' of |y_j - y_j'|
};

// Throws Error unless both sets have >= 2 points of the same dimension D >= 1.
//                                                                      x: (n, D), y: (m, D)
EnergyDistance energy_distance(const Tensor2& x, const Tensor2& y);

}  // namespace diffuse
