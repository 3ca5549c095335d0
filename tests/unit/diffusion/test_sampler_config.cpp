// Sampler configuration (diffusion/sampler_config.hpp): validation messages, defaults, and the
// step coefficients against the textbook formulas written out independently here: DDPM's
// posterior mean (seed 004 eq. 11-12) from beta and alpha_bar, and DDIM's update (Song et al.
// 2021 eq. 12) in its eps form.
#include <catch2/catch.hpp>

#include <cmath>

#include "base/error.hpp"
#include "diffusion/sampler_config.hpp"

using namespace diffuse;

namespace {

// x_prev = c.x0 * x0_hat + c.xt * x_t + noise_std * z, evaluated at one (x0_hat, x_t).
double apply(const SamplerStepCoefficients& c, double x0_hat, double x_t) {
  return c.x0 * x0_hat + c.xt * x_t;
}

// DDIM in eps form: sqrt(ab_prev) x0 + sqrt(1 - ab_prev - sigma^2) eps + sigma z.
double ddim_mean(double ab, double ab_prev, double sigma, double x0_hat, double x_t) {
  const double eps = (x_t - std::sqrt(ab) * x0_hat) / std::sqrt(1 - ab);
  return std::sqrt(ab_prev) * x0_hat + std::sqrt(1 - ab_prev - sigma * sigma) * eps;
}

}  // namespace

TEST_CASE("sampler names round-trip and bad configurations name the value and what is allowed") {
  for (const std::string& name : sampler_kinds.names()) {
    CHECK(sampler_kinds.name(sampler_kinds.value(name)) == name);
  }
  for (const std::string& name : reverse_variances.names()) {
    CHECK(reverse_variances.name(reverse_variances.value(name)) == name);
  }
  CHECK_THROWS_WITH(sampler_kinds.value("plms"),
                    Catch::Contains("'plms'") && Catch::Contains("ddpm, ddim, euler, euler_a, heun, "
                                                                  "dpmpp_2m, dpmpp_2m_sde, unipc"));
  CHECK_THROWS_WITH(reverse_variances.value("learned"),
                    Catch::Contains("'learned'") && Catch::Contains("fixed_small, fixed_large"));

  SamplerConfig c;
  c.steps = 1001;
  CHECK_THROWS_WITH(sampler_config_validate(c, 1000),
                    Catch::Contains("steps = 1001") && Catch::Contains("[1, 1000]"));
  c.steps = -3;
  CHECK_THROWS_WITH(sampler_config_validate(c, 1000), Catch::Contains("steps = -3"));
  c = SamplerConfig{};
  c.kind = SamplerKind::ddim;  // default 50 steps do not fit T = 20
  CHECK_THROWS_WITH(sampler_config_validate(c, 20),
                    Catch::Contains("steps = 50 (the default)") && Catch::Contains("[1, 20]"));
  c.steps = 10;
  c.eta = 1.5;
  CHECK_THROWS_WITH(sampler_config_validate(c, 20), Catch::Contains("eta = 1.5"));
  c.eta = std::nan("");
  CHECK_THROWS_WITH(sampler_config_validate(c, 20), Catch::Contains("[0, 1]"));
  c.eta = 0.0;
  c.clip_sample = true;
  c.clip_range = 0.0;
  CHECK_THROWS_WITH(sampler_config_validate(c, 20), Catch::Contains("clip_range = 0"));
  c.clip_sample = false;
  c.record_every = -1;
  CHECK_THROWS_WITH(sampler_config_validate(c, 20), Catch::Contains("record_every = -1"));
  c.record_every = 0;
  c.spacing = static_cast<TimestepSpacing>(7);
  CHECK_THROWS_WITH(sampler_config_validate(c, 20), Catch::Contains("leading, trailing, linspace"));
}

TEST_CASE("default steps: all T for DDPM, 50 trailing for DDIM") {
  SamplerConfig ddpm;
  CHECK(sampler_timesteps(ddpm, 1000).size() == 1000);
  CHECK(sampler_timesteps(ddpm, 1000).front() == 999);
  CHECK(sampler_timesteps(ddpm, 1000).back() == 0);
  SamplerConfig ddim;
  ddim.kind = SamplerKind::ddim;
  const std::vector<int> list = sampler_timesteps(ddim, 1000);
  REQUIRE(list.size() == 50);
  CHECK(list.front() == 999);
  CHECK(list.back() == 19);
}

TEST_CASE("DDPM coefficients are the posterior mean and variance (seed 004 eq. 11-12)") {
  for (bool zero_snr : {false, true}) {
    ScheduleConfig sc;
    sc.zero_terminal_snr = zero_snr;
    const NoiseSchedule s = schedule_make(sc);
    for (auto variance : {ReverseVariance::fixed_small, ReverseVariance::fixed_large}) {
      SamplerConfig config;
      config.variance = variance;
      for (int t : {0, 1, 2, 100, 500, 998, 999}) {
        const double beta = s.beta(t), ab = s.alpha_bar(t);
        const double ab_prev = t > 0 ? s.alpha_bar(t - 1) : 1.0;
        const double c1 = std::sqrt(ab_prev) * beta / (1 - ab);
        const double c2 = std::sqrt(1 - beta) * (1 - ab_prev) / (1 - ab);
        const double var = variance == ReverseVariance::fixed_small
                               ? (1 - ab_prev) / (1 - ab) * beta
                               : beta;
        const SamplerStepCoefficients c = sampler_step_coefficients(s, config, t, t - 1);
        CHECK(c.x0 == Approx(c1).epsilon(1e-12).margin(1e-15));
        CHECK(c.xt == Approx(c2).epsilon(1e-12).margin(1e-15));
        // No noise on the last step (t = 0).
        CHECK(c.noise_std == Approx(t == 0 ? 0.0 : std::sqrt(var)).epsilon(1e-12));
      }
    }
  }
}

TEST_CASE("respaced DDPM steps are the posterior of the chain over the visited steps") {
  // Steps t -> prev of the respaced chain: alpha'_t = ab_t / ab_prev, so q(x_t | x_prev) =
  // N(sqrt(alpha') x_prev, (1 - alpha') I), and Bayes gives the eq. 11-12 forms with
  // beta' = 1 - alpha'.
  const NoiseSchedule s = schedule_make({});
  SamplerConfig config;
  for (auto [t, prev] : {std::pair{999, 979}, std::pair{500, 333}, std::pair{19, -1}}) {
    const double ab = s.alpha_bar(t), ab_prev = prev >= 0 ? s.alpha_bar(prev) : 1.0;
    // Conditioning the joint Gaussian of (x_prev, x_t) given x_0: Var(x_prev) = 1 - ab_prev,
    // Cov = sqrt(ab / ab_prev) (1 - ab_prev), Var(x_t) = 1 - ab.
    const double cov = std::sqrt(ab / ab_prev) * (1 - ab_prev);
    const double gain = cov / (1 - ab);           // on x_t - sqrt(ab) x_0
    const double c_xt = gain;
    const double c_x0 = std::sqrt(ab_prev) - gain * std::sqrt(ab);
    const double var = (1 - ab_prev) - cov * cov / (1 - ab);
    const SamplerStepCoefficients c = sampler_step_coefficients(s, config, t, prev);
    CHECK(c.x0 == Approx(c_x0).epsilon(1e-10).margin(1e-13));
    CHECK(c.xt == Approx(c_xt).epsilon(1e-10).margin(1e-13));
    CHECK(c.noise_std == Approx(prev < 0 ? 0.0 : std::sqrt(var)).epsilon(1e-9));
  }
}

TEST_CASE("DDIM coefficients are Song et al.'s eq. 12, previous step from the actual list") {
  ScheduleConfig sc;
  sc.zero_terminal_snr = true;
  const NoiseSchedule s = schedule_make(sc);
  for (double eta : {0.0, 0.3, 1.0}) {
    SamplerConfig config;
    config.kind = SamplerKind::ddim;
    config.eta = eta;
    // linspace 7 of 1000: 999, 832, 666, ...: a stride of T / K = 142 would land elsewhere.
    config.steps = 7;
    config.spacing = TimestepSpacing::linspace;
    const std::vector<int> list = sampler_timesteps(config, 1000);
    for (std::size_t k = 0; k < list.size(); ++k) {
      const int t = list[k], prev = k + 1 < list.size() ? list[k + 1] : -1;
      const double ab = s.alpha_bar(t), ab_prev = prev >= 0 ? s.alpha_bar(prev) : 1.0;
      const double sigma =
          eta * std::sqrt((1 - ab_prev) / (1 - ab)) * std::sqrt(1 - ab / ab_prev);
      const SamplerStepCoefficients c = sampler_step_coefficients(s, config, t, prev);
      CHECK(c.noise_std == Approx(sigma).margin(1e-12));
      for (auto [x0_hat, x_t] : {std::pair{0.7, -1.2}, std::pair{-2.0, 0.4}}) {
        CHECK(apply(c, x0_hat, x_t) ==
              Approx(ddim_mean(ab, ab_prev, sigma, x0_hat, x_t)).epsilon(1e-10).margin(1e-12));
      }
    }
  }
}

TEST_CASE("DDIM with eta = 1 over all T steps is DDPM fixed_small, step for step") {
  // sigma^2 = (1 - ab_prev) / (1 - ab) (1 - ab / ab_prev) = beta~_t, and the means agree.
  const NoiseSchedule s = schedule_make({});
  SamplerConfig ddpm, ddim;
  ddim.kind = SamplerKind::ddim;
  ddim.eta = 1.0;
  ddim.steps = 1000;
  for (int t = 0; t < 1000; ++t) {
    const SamplerStepCoefficients a = sampler_step_coefficients(s, ddpm, t, t - 1);
    const SamplerStepCoefficients b = sampler_step_coefficients(s, ddim, t, t - 1);
    REQUIRE(a.x0 == Approx(b.x0).epsilon(1e-9).margin(1e-12));
    REQUIRE(a.xt == Approx(b.xt).epsilon(1e-9).margin(1e-12));
    REQUIRE(a.noise_std == Approx(b.noise_std).epsilon(1e-7).margin(1e-12));
  }
}
