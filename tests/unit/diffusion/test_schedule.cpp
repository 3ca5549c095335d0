// The schedule tables against independent computations: running products in long double, the
// diffusers formulas written out term by term, and every invalid parameter rejected by name.
// Also the schedule's JSON (schedule_json.cpp) and the per-step coefficients derived from it
// (timestep_coefficients.hpp).
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "diffusion/gaussian.hpp"
#include "diffusion/schedule.hpp"

using namespace diffuse;
using Catch::Matchers::Contains;

namespace {

ScheduleConfig config_of(ScheduleKind kind, int T, bool zero_snr = false) {
  ScheduleConfig c;
  c.kind = kind;
  c.timesteps = T;
  if (kind == ScheduleKind::scaled_linear) {
    c.beta_start = 0.00085;
    c.beta_end = 0.012;
  }
  c.zero_terminal_snr = zero_snr;
  return c;
}

const ScheduleKind all_kinds[] = {ScheduleKind::linear, ScheduleKind::scaled_linear,
                                  ScheduleKind::cosine, ScheduleKind::sigmoid};

}  // namespace

TEST_CASE("alpha_bar is the running product of alpha and strictly decreasing") {
  for (ScheduleKind kind : all_kinds) {
    for (bool zero_snr : {false, true}) {
      const NoiseSchedule s = schedule_make(config_of(kind, 1000, zero_snr));
      long double product = 1.0L;
      for (int t = 0; t < s.T; ++t) {
        product *= 1.0L - static_cast<long double>(s.beta(t));
        // Each factor adds at most one rounding of relative size 2^-53 to the float64 product.
        CHECK(std::abs(s.alpha_bar(t) - double(product)) <= 1e-13 * double(product) + 1e-300);
        CHECK(s.alpha(t) == 1.0 - s.beta(t));
        CHECK(s.alpha_bar_prev(t) == (t == 0 ? 1.0 : s.alpha_bar(t - 1)));
        if (t > 0) CHECK(s.alpha_bar(t) < s.alpha_bar(t - 1));
      }
    }
  }
}

TEST_CASE("each kind follows its diffusers definition") {
  const int T = 50;
  SECTION("linear: evenly spaced from beta_start to beta_end") {
    const NoiseSchedule s = schedule_make(config_of(ScheduleKind::linear, T));
    for (int t = 0; t < T; ++t) CHECK(s.beta(t) == Approx(1e-4 + (0.02 - 1e-4) * t / (T - 1)).epsilon(1e-14));
  }
  SECTION("scaled_linear: evenly spaced in sqrt(beta)") {
    const NoiseSchedule s = schedule_make(config_of(ScheduleKind::scaled_linear, T));
    for (int t = 0; t < T; ++t) {
      const double root = std::sqrt(0.00085) + (std::sqrt(0.012) - std::sqrt(0.00085)) * t / (T - 1);
      CHECK(s.beta(t) == Approx(root * root).epsilon(1e-14));
    }
  }
  SECTION("sigmoid: sigmoid(linspace(-6, 6)) scaled into [beta_start, beta_end]") {
    const NoiseSchedule s = schedule_make(config_of(ScheduleKind::sigmoid, T));
    for (int t = 0; t < T; ++t) {
      const double x = -6.0 + 12.0 * t / (T - 1);
      CHECK(s.beta(t) == Approx(1e-4 + (0.02 - 1e-4) / (1.0 + std::exp(-x))).epsilon(1e-14));
    }
  }
  SECTION("cosine: alpha_bar follows cos^2 until the 0.999 cap") {
    const NoiseSchedule s = schedule_make(config_of(ScheduleKind::cosine, T));
    const double pi = std::acos(-1.0);
    auto f = [pi](double u) { return std::pow(std::cos((u + 0.008) / 1.008 * pi / 2), 2); };
    for (int t = 0; t < T - 1; ++t) CHECK(s.alpha_bar(t) == Approx(f((t + 1.0) / T) / f(0.0)).epsilon(1e-12));
  }
}

TEST_CASE("cosine betas are clipped at 0.999") {
  // The last step would be 1 - alpha_bar(1) / alpha_bar((T-1)/T) = 1 - cos^2(pi/2) / ... = 1,
  // so every T clips it; with T = 2 the first step is far from the cap.
  for (int T : {2, 10, 1000}) {
    const NoiseSchedule s = schedule_make(config_of(ScheduleKind::cosine, T));
    CHECK(s.beta(T - 1) == 0.999);
    for (int t = 0; t < T; ++t) CHECK(s.beta(t) <= 0.999);
  }
  const NoiseSchedule s = schedule_make(config_of(ScheduleKind::cosine, 1000));
  CHECK(s.beta(0) < 0.999);
}

TEST_CASE("zero terminal SNR: last beta 1, last alpha_bar 0, first alpha_bar unchanged") {
  for (ScheduleKind kind : all_kinds) {
    const NoiseSchedule plain = schedule_make(config_of(kind, 1000));
    const NoiseSchedule z = schedule_make(config_of(kind, 1000, true));
    CHECK(z.beta(z.T - 1) == 1.0);
    CHECK(z.alpha_bar(z.T - 1) == 0.0);
    CHECK(z.snr(z.T - 1) == 0.0);
    CHECK(z.alpha_bar(0) == Approx(plain.alpha_bar(0)).epsilon(1e-12));
    // Lin et al.: sqrt(alpha_bar) is mapped affinely, s' = (s - s_last) * s_first / (s_first - s_last).
    const double first = plain.sqrt_alpha_bar(0), last = plain.sqrt_alpha_bar(plain.T - 1);
    for (int t = 0; t < z.T; t += 37) {
      CHECK(z.sqrt_alpha_bar(t) ==
            Approx((plain.sqrt_alpha_bar(t) - last) * first / (first - last)).epsilon(1e-9).margin(1e-15));
    }
    for (int t = 0; t < z.T; ++t) {
      CHECK(std::isfinite(z.posterior_variance(t)));
      CHECK(std::isfinite(z.posterior_log_variance_clipped(t)));
      CHECK(std::isfinite(z.posterior_mean_coef1(t)));
      CHECK(std::isfinite(z.posterior_mean_coef2(t)));
    }
  }
}

TEST_CASE("posterior tables follow seed 004 eq. 11-12 and their edge cases") {
  const NoiseSchedule s = schedule_make(ScheduleConfig{});
  CHECK(s.posterior_variance(0) == 0.0);
  CHECK(s.posterior_log_variance_clipped(0) == std::log(s.posterior_variance(1)));
  // At t = 0 the posterior is a point mass at x_0: coef1 = 1, coef2 = 0.
  CHECK(s.posterior_mean_coef1(0) == Approx(1.0).epsilon(1e-12));
  CHECK(s.posterior_mean_coef2(0) == 0.0);
  for (int t = 1; t < s.T; ++t) {
    CHECK(s.posterior_variance(t) < s.beta(t));  // beta~ <= beta (seed 004, the two fixed choices)
    CHECK(s.posterior_log_variance_clipped(t) == Approx(std::log(s.posterior_variance(t))).epsilon(1e-14));
    CHECK(s.snr(t) == Approx(s.alpha_bar(t) / (1 - s.alpha_bar(t))).epsilon(1e-14));
  }
}

TEST_CASE("the prior-matching term L_T is below 1e-4 nats per dimension for linear T = 1000") {
  // seed 004 Force 2: KL(q(x_T | x_0) || N(0, 1)) per dimension, worst case over x_0 in [-1, 1].
  const NoiseSchedule s = schedule_make(ScheduleConfig{});
  const int last = s.T - 1;
  for (double x0 : {-1.0, -0.5, 0.0, 0.3, 1.0}) {
    const double kl = normal_kl(s.sqrt_alpha_bar(last) * x0, std::log1p(-s.alpha_bar(last)), 0.0, 0.0);
    CHECK(kl >= 0.0);
    CHECK(kl < 1e-4);
  }
}

TEST_CASE("every invalid schedule parameter throws an Error naming it, its value and the rule") {
  auto expect_error = [](ScheduleConfig c, const std::string& name, const std::string& value) {
    try {
      schedule_make(c);
      FAIL("no error for " << name << " = " << value);
    } catch (const Error& e) {
      CHECK_THAT(e.what(), Contains(name) && Contains(value) && Contains("must"));
    }
  };
  ScheduleConfig c;
  c.timesteps = 1;
  expect_error(c, "timesteps", "1");
  c.timesteps = -5;
  expect_error(c, "timesteps", "-5");
  c = {};
  c.beta_start = 0.0;
  expect_error(c, "beta_start", "0");
  c.beta_start = -0.1;
  expect_error(c, "beta_start", "-0.1");
  c.beta_start = std::numeric_limits<double>::quiet_NaN();
  expect_error(c, "beta_start", "nan");
  c = {};
  c.beta_end = 1.0;
  expect_error(c, "beta_end", "1");
  c.beta_end = std::numeric_limits<double>::infinity();
  expect_error(c, "beta_end", "inf");
  c = {};
  c.beta_start = 0.03;
  c.beta_end = 0.02;
  expect_error(c, "beta_start", "0.03");
  c = {};
  c.kind = static_cast<ScheduleKind>(17);
  expect_error(c, "schedule kind", "17");

  CHECK_THROWS_WITH(schedule_kinds.value("quadratic"),
                    Contains("quadratic") && Contains("linear, scaled_linear, cosine, sigmoid"));
  CHECK(schedule_kinds.value("squaredcos_cap_v2") == ScheduleKind::cosine);
}

TEST_CASE("any T >= 2 builds finite tables") {
  for (ScheduleKind kind : all_kinds) {
    for (int T : {2, 3, 17, 4000}) {
      for (bool zero_snr : {false, true}) {
        const NoiseSchedule s = schedule_make(config_of(kind, T, zero_snr));
        REQUIRE(s.beta.size() == static_cast<std::size_t>(T));
        for (const auto& column : schedule_columns(s)) {
          for (double v : *column.values) CHECK(std::isfinite(v));
        }
      }
    }
  }
}

TEST_CASE("the schedule's JSON refuses timesteps outside the range before narrowing them") {
  nlohmann::json json = schedule_config_to_json(ScheduleConfig{});
  CHECK(schedule_config_from_json(json).timesteps == ScheduleConfig{}.timesteps);
  // 4294968296 = 2^32 + 1000: a 32-bit read would wrap it to a valid 1000.
  for (const nlohmann::json& bad : {nlohmann::json(4294968296ULL), nlohmann::json(2000000000),
                                   nlohmann::json(-1000), nlohmann::json(1000.5), nlohmann::json("1000")}) {
    json["timesteps"] = bad;
    CHECK_THROWS_WITH(schedule_config_from_json(json), Catch::Contains("timesteps"));
  }
}
