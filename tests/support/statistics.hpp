#pragma once
// Tolerances derived from the sample size rather than tuned: with n independent draws of a
// variable with variance s2, the sample mean has standard error sqrt(s2 / n), and for a Gaussian
// the sample variance has standard error s2 * sqrt(2 / (n - 1)). Tests allow `z` standard errors;
// z = 5 makes a false failure a ~1-in-3.5-million event per check at a fixed seed that never
// changes (so it either always passes or always fails, and a failure means a real change).
#include <cmath>
#include <cstddef>

namespace diffuse::test {

constexpr double z_bound = 5.0;

inline double mean_tolerance(double variance, std::size_t n, double z = z_bound) {
  return z * std::sqrt(variance / static_cast<double>(n));
}

inline double gaussian_variance_tolerance(double variance, std::size_t n, double z = z_bound) {
  return z * variance * std::sqrt(2.0 / static_cast<double>(n - 1));
}

}  // namespace diffuse::test
