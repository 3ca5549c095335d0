#pragma once
// Shared pieces of the layer tests: random float inputs, the gradient-check call with its report,
// and the float32 forward tolerance.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "base/rng.hpp"
#include "reference_nn.hpp"
#include "support/gradient_check.hpp"

namespace diffuse::test {

inline std::vector<float> random_floats(Rng& rng, std::size_t n, float scale = 1.0f,
                                        float shift = 0.0f) {
  std::vector<float> v(n);
  rng.fill_normal(v.data(), n);
  for (float& x : v) x = shift + scale * x;
  return v;
}

inline Vec as_double(const std::vector<float>& v) {
  return Vec(v.begin(), v.end());
}

// Checks one gradient and records the measured error (visible with -s) for the budget in
// gradient_check.hpp.
inline void expect_gradient(const std::string& name, const ScalarFunction& loss, const Vec& theta,
                            const float* analytic, double step = 1e-6) {
  GradientCheckCase c;
  c.name = name;
  c.step = step;
  const GradientCheckResult r = gradient_check(loss, theta, analytic, c);
  INFO(r.message);
  CHECK(r.passed);
  CHECK(r.checked == theta.size());
}

// A float32 result y against its float64 reference: |y - ref| <= k u32 (|ref| + scale), where
// scale is the magnitude of what was summed (sum |terms|) and k the number of rounded operations.
inline void expect_close(const std::vector<float>& y, const Vec& ref, double scale, double k) {
  REQUIRE(y.size() == ref.size());
  const double u32 = std::ldexp(1.0, -24);
  for (std::size_t i = 0; i < y.size(); ++i) {
    INFO("element " << i);
    CHECK(std::abs(y[i] - ref[i]) <= k * u32 * (std::abs(ref[i]) + scale));
  }
}

}  // namespace diffuse::test
