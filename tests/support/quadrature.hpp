#pragma once
// Numeric integration for tests that check closed forms against an independent computation.
#include <functional>

namespace diffuse::test {

// Composite Simpson's rule with n (even) intervals: error (b - a) h^4 max|f''''| / 180.
inline double simpson(const std::function<double(double)>& f, double a, double b, int n) {
  const double h = (b - a) / n;
  double sum = f(a) + f(b);
  for (int i = 1; i < n; ++i) sum += (i % 2 ? 4.0 : 2.0) * f(a + i * h);
  return sum * h / 3.0;
}

}  // namespace diffuse::test
