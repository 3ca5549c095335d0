// The gradient-check helper itself: exact on a function with a known gradient, and it fails on
// gradients that are slightly wrong (so a passing layer check means something).
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "support/gradient_check.hpp"

using namespace diffuse::test;

namespace {
// L(a) = sum_i sin(a_i) a_{i+1} + a_i^3 / 3, gradient known in closed form.
double f(const std::vector<double>& a) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    s += a[i] * a[i] * a[i] / 3 + (i + 1 < a.size() ? std::sin(a[i]) * a[i + 1] : 0.0);
  }
  return s;
}
std::vector<float> exact(const std::vector<double>& a) {
  std::vector<float> g(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    double v = a[i] * a[i];
    if (i + 1 < a.size()) v += std::cos(a[i]) * a[i + 1];
    if (i > 0) v += std::sin(a[i - 1]);
    g[i] = static_cast<float>(v);
  }
  return g;
}
}  // namespace

TEST_CASE("gradient_check passes the exact gradient rounded to float") {
  const std::vector<double> a = {0.3, -1.2, 2.0, 0.7, -0.1};
  const std::vector<float> g = exact(a);
  const auto r = gradient_check(f, a, g.data(), {"exact"});
  INFO(r.message);
  CHECK(r.passed);
  CHECK(r.max_relative < 1e-7);  // float rounding of g plus the 1e-9 of the difference
}

TEST_CASE("gradient_check fails a 1% error on one element, a swap and a NaN") {
  const std::vector<double> a = {0.3, -1.2, 2.0, 0.7, -0.1};
  const std::vector<float> good = exact(a);
  std::vector<float> g = good;
  g[2] *= 1.01f;
  CHECK_FALSE(gradient_check(f, a, g.data(), {"one percent"}).passed);
  CHECK(gradient_check(f, a, g.data(), {"one percent"}).worst == 2);
  g = good;
  std::swap(g[0], g[1]);
  CHECK_FALSE(gradient_check(f, a, g.data(), {"swap"}).passed);
  g = good;
  g[4] = std::numeric_limits<float>::quiet_NaN();
  CHECK_FALSE(gradient_check(f, a, g.data(), {"nan"}).passed);
}
