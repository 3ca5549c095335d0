// The forward process in distribution: q_sample's empirical moments against
// N(sqrt(alpha_bar) x_0, 1 - alpha_bar), and t composed single steps against the jump.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "base/rng.hpp"
#include "diffusion/forward_process.hpp"
#include "support/statistics.hpp"

using namespace diffuse;

namespace {

struct Sample {
  double mean, variance;
};

Sample moments(const Tensor2& x, std::size_t d) {
  const std::size_t n = x.shape(0);
  double m = 0;
  for (std::size_t b = 0; b < n; ++b) m += x(b, d);
  m /= n;
  double v = 0;
  for (std::size_t b = 0; b < n; ++b) v += (x(b, d) - m) * (x(b, d) - m);
  return {m, v / (n - 1)};
}

Tensor2 normal_rows(Rng& rng, std::size_t n, std::size_t D) {
  Tensor2 out = Tensor2::from_shape({n, D});
  rng.fill_normal(out.data(), out.size());
  return out;
}

// Two-sample Kolmogorov-Smirnov statistic.
double ks_statistic(std::vector<double> a, std::vector<double> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  std::size_t i = 0, j = 0;
  double d = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i] <= b[j]) ++i; else ++j;
    d = std::max(d, std::abs(double(i) / a.size() - double(j) / b.size()));
  }
  return d;
}

}  // namespace

TEST_CASE("q_sample has mean sqrt(alpha_bar) x0 and variance 1 - alpha_bar") {
  const NoiseSchedule s = schedule_make(ScheduleConfig{});
  const std::size_t n = 200000;
  const float x0_values[2] = {0.8f, -1.5f};
  Rng rng(11);
  for (int t : {0, 10, 100, 500, 999}) {
    Tensor2 x0 = Tensor2::from_shape({n, 2});
    for (std::size_t b = 0; b < n; ++b) {
      x0(b, 0) = x0_values[0];
      x0(b, 1) = x0_values[1];
    }
    const Tensor2 eps = normal_rows(rng, n, 2);
    Steps steps = Steps::from_shape({n});
    steps.fill(t);
    Tensor2 x_t;
    q_sample(x_t, x0, eps, steps, s);
    const double var = 1.0 - s.alpha_bar(t);
    for (std::size_t d = 0; d < 2; ++d) {
      const Sample m = moments(x_t, d);
      CHECK(std::abs(m.mean - s.sqrt_alpha_bar(t) * x0_values[d]) < test::mean_tolerance(var, n));
      CHECK(std::abs(m.variance - var) < test::gaussian_variance_tolerance(var, n));
    }
  }
}

TEST_CASE("composing t single steps matches the closed-form jump in distribution") {
  ScheduleConfig config;
  config.timesteps = 200;
  config.beta_end = 0.05;
  const NoiseSchedule s = schedule_make(config);
  const std::size_t n = 40000;
  Rng rng(12);
  for (int t : {0, 1, 9, 60, 199}) {
    Tensor2 x = Tensor2::from_shape({n, 1});
    x.fill(1.25f);
    const Tensor2 x0 = x;
    for (int k = 0; k <= t; ++k) {
      Steps steps = Steps::from_shape({n});
      steps.fill(k);
      Tensor2 next;
      q_step(next, x, normal_rows(rng, n, 1), steps, s);
      x = next;
    }
    Steps steps = Steps::from_shape({n});
    steps.fill(t);
    Tensor2 jumped;
    q_sample(jumped, x0, normal_rows(rng, n, 1), steps, s);

    const double var = 1.0 - s.alpha_bar(t);
    const Sample m = moments(x, 0);
    CHECK(std::abs(m.mean - s.sqrt_alpha_bar(t) * 1.25) < test::mean_tolerance(var, n));
    CHECK(std::abs(m.variance - var) < test::gaussian_variance_tolerance(var, n));
    // Same distribution: the KS statistic of two samples of n stays below
    // c(alpha) sqrt(2 / n) with c = 1.95 for alpha = 0.001.
    std::vector<double> a(x.begin(), x.end()), b(jumped.begin(), jumped.end());
    CHECK(ks_statistic(a, b) < 1.95 * std::sqrt(2.0 / n));
  }
}
