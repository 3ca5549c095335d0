#pragma once
// Tolerances for counts, derived the same way as statistics.hpp (z = 5 standard errors, a
// ~1-in-3.5-million false failure at a fixed seed):
//   - a count of a category of probability p among n draws is Binomial(n, p): standard error
//     sqrt(n p (1 - p));
//   - Pearson's chi-square statistic over k categories has k - 1 degrees of freedom; its bound is
//     the upper quantile at the probability of a z-sigma normal event, by Wilson and Hilferty's
//     cube-root approximation: (X / k)^(1/3) ~ N(1 - 2 / (9k), 2 / (9k)) (accurate to a few percent
//     of the quantile for k >= 3; we use it as a bound, not an exact test).
#include <cmath>
#include <cstddef>
#include <vector>

#include "support/statistics.hpp"

namespace diffuse::test {

inline double binomial_tolerance(std::size_t n, double p, double z = z_bound) {
  return z * std::sqrt(static_cast<double>(n) * p * (1.0 - p));
}

inline double chi_square_bound(std::size_t dof, double z = z_bound) {
  const double k = static_cast<double>(dof);
  const double c = 2.0 / (9.0 * k);
  return k * std::pow(1.0 - c + z * std::sqrt(c), 3.0);
}

// Pearson's statistic sum (observed - expected)^2 / expected for counts against probabilities.
inline double chi_square_statistic(const std::vector<std::size_t>& counts,
                                   const std::vector<double>& probabilities) {
  std::size_t n = 0;
  for (std::size_t c : counts) n += c;
  double statistic = 0.0;
  for (std::size_t k = 0; k < counts.size(); ++k) {
    const double expected = static_cast<double>(n) * probabilities[k];
    const double diff = static_cast<double>(counts[k]) - expected;
    statistic += diff * diff / expected;
  }
  return statistic;
}

}  // namespace diffuse::test
