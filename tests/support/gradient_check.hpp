#pragma once
// Finite-difference gradient checks (ARCHITECTURE lesson 10). The analytic gradient comes from the
// production float32 backward; the numerical one is a central difference of an independent
// float64 forward (tests/unit/nn/reference_nn.hpp), evaluated at exactly the same point (the
// float32 parameters and inputs read as doubles):
//
//   g_fd(i) = (L(theta + h e_i) - L(theta - h e_i)) / ((theta_i + h) - (theta_i - h))
//
// Error budget, per element i, with u32 = 2^-24 and u64 = 2^-53:
//  * finite difference: truncation h^2 |L'''| / 6 plus round-off of the two evaluations
//    ~ 2 k u64 |L| / (2 h) (k ~ 16 bounds the roundings inside L); with h = 1e-6, |L| <= 10 and
//    |L'''| <= 6 that is about 1e-12 + 2e-8 -- far below the float32 error, and added as fd_floor.
//  * analytic float32: each gradient element is a sum of n products at the end of a chain of d
//    rounded operations, so |error| <= (n + d) u32 * sum |terms| (Higham's gamma_n). The tests
//    keep n <= 64 (batch or fan-in) and d <= 32, so (n + d) u32 <= 6e-6; sum |terms| exceeds
//    |g_i| when terms cancel, so the bound is taken relative to |g_i| + rms(g) (the tensor's own
//    gradient scale), where sum|terms| / (|g_i| + rms(g)) stays below ~8 for random inputs:
//    5e-5. rtol = 2^-12 = 2.4e-4 keeps a further 5x margin.
// A wrong gradient (a missing term, a transposed index, a wrong factor) is off by O(1) relative,
// hundreds of times the tolerance; the helper's own test shows a 1% error on one element fails.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace diffuse::test {

struct GradientCheckCase {
  std::string name;            // reported on failure, e.g. "layers.1.weight"
  double step = 1e-6;          // h, in the units of the parameters
  double rtol = 1.0 / 4096.0;  // see the error budget above
};

struct GradientCheckResult {
  bool passed = true;
  std::size_t checked = 0;
  std::size_t worst = 0;     // index with the largest error / allowed ratio
  double worst_ratio = 0.0;  // error / allowed at that index (passed iff <= 1)
  double worst_analytic = 0.0, worst_numeric = 0.0;
  double max_relative = 0.0;  // max |analytic - numeric| / (|numeric| + rms), for reporting
  std::string message;
};

using ScalarFunction = std::function<double(const std::vector<double>&)>;

// The central-difference gradient of loss at theta, in double.
inline std::vector<double> numeric_gradient(const ScalarFunction& loss, std::vector<double> theta,
                                            double h) {
  std::vector<double> g(theta.size());
  for (std::size_t i = 0; i < theta.size(); ++i) {
    const double keep = theta[i];
    const double plus = keep + h, minus = keep - h;
    theta[i] = plus;
    const double l_plus = loss(theta);
    theta[i] = minus;
    const double l_minus = loss(theta);
    theta[i] = keep;
    g[i] = (l_plus - l_minus) / (plus - minus);
  }
  return g;
}

// Compares analytic (n floats) with the numeric gradient of loss at theta (n doubles).
inline GradientCheckResult gradient_check(const ScalarFunction& loss,
                                          const std::vector<double>& theta, const float* analytic,
                                          const GradientCheckCase& c) {
  const std::vector<double> numeric = numeric_gradient(loss, theta, c.step);
  const std::size_t n = theta.size();
  double sum_sq = 0.0;
  for (double g : numeric) sum_sq += g * g;
  const double rms = n == 0 ? 0.0 : std::sqrt(sum_sq / static_cast<double>(n));
  const double u64 = std::ldexp(1.0, -53);
  const double fd_floor = 32.0 * u64 * (std::abs(loss(theta)) + 1.0) / c.step + c.step * c.step;
  GradientCheckResult r;
  r.checked = n;
  for (std::size_t i = 0; i < n; ++i) {
    const double error = std::abs(static_cast<double>(analytic[i]) - numeric[i]);
    const double allowed = c.rtol * (std::abs(numeric[i]) + rms) + fd_floor;
    double ratio = error / allowed;
    if (std::isnan(ratio)) ratio = INFINITY;  // a NaN gradient fails
    if (i == 0 || ratio > r.worst_ratio) {
      r.worst = i;
      r.worst_ratio = ratio;
    }
    if (std::abs(numeric[i]) + rms > 0.0) {
      r.max_relative = std::max(r.max_relative, error / (std::abs(numeric[i]) + rms));
    }
  }
  r.passed = r.worst_ratio <= 1.0;
  if (n > 0) {
    r.worst_analytic = analytic[r.worst];
    r.worst_numeric = numeric[r.worst];
  }
  std::ostringstream out;
  out.precision(9);
  out << c.name << ": " << n << " elements, rms gradient " << rms << ", worst at [" << r.worst
      << "]: analytic " << r.worst_analytic << " vs numeric " << r.worst_numeric << " ("
      << r.worst_ratio << " x allowed), max relative error " << r.max_relative;
  r.message = out.str();
  return r;
}

}  // namespace diffuse::test
