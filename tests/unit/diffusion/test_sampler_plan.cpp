// The plans of diffusion/sampler_plan.hpp against diffusers' set_timesteps formulas written out
// here with numbers worked by hand (and, in tests/cli/test_samplers_match_reference.py, against the
// separately written Python reference for every sampler and spacing).
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "diffusion/sampler_plan.hpp"
#include "diffusion/sigmas.hpp"

using namespace diffuse;

namespace {

SamplerConfig config(SamplerKind kind, int steps, std::optional<TimestepSpacing> spacing = {},
                     bool karras = false) {
  SamplerConfig c;
  c.kind = kind;
  c.steps = steps;
  c.spacing = spacing;
  c.karras = karras;
  return c;
}

}  // namespace

TEST_CASE("euler's linspace steps are fractional and its sigmas interpolate the table") {
  const NoiseSchedule sch = schedule_make({});
  const std::vector<double> table = schedule_sigmas(sch);
  const SamplerPlan plan = sampler_plan(sch, config(SamplerKind::euler, 5));
  // np.linspace(0, 999, 5) reversed: 999, 749.25, 499.5, 249.75, 0.
  CHECK(plan.timesteps == std::vector<double>{999, 749.25, 499.5, 249.75, 0});
  REQUIRE(plan.sigmas.size() == 6);
  CHECK(plan.sigmas[1] == Approx(0.75 * table[749] + 0.25 * table[750]).epsilon(1e-7));
  CHECK(plan.sigmas[4] == Approx(table[0]).epsilon(1e-7));
  CHECK(plan.sigmas[5] == 0.0);
  CHECK(plan.sigma_space);
  CHECK(plan.init_noise_sigma == plan.sigmas[0]);  // linspace: the largest sigma itself
  CHECK(plan.level(2).t == 499.5);
  CHECK(plan.level(2).alpha_bar == Approx(1 / (1 + plan.sigmas[2] * plan.sigmas[2])));
  // leading: sqrt(sigma_max^2 + 1), so that x_T = z as for DDIM.
  const SamplerPlan leading = sampler_plan(sch, config(SamplerKind::euler, 4, TimestepSpacing::leading));
  CHECK(leading.timesteps == std::vector<double>{750, 500, 250, 0});
  CHECK(leading.init_noise_sigma ==
        Approx(std::sqrt(leading.sigmas[0] * leading.sigmas[0] + 1)).epsilon(1e-12));
}

TEST_CASE("heun repeats every level after the first: 2N - 1 model calls") {
  const NoiseSchedule sch = schedule_make({});
  const SamplerPlan plan = sampler_plan(sch, config(SamplerKind::heun, 3));
  CHECK(plan.timesteps == std::vector<double>{999, 499.5, 499.5, 0, 0});
  REQUIRE(plan.sigmas.size() == 6);
  CHECK(plan.sigmas[1] == plan.sigmas[2]);
  CHECK(plan.sigmas[3] == plan.sigmas[4]);
  CHECK(plan.sigmas[5] == 0.0);
  CHECK(plan.calls() == 5);
}

TEST_CASE("the multistep solvers drop the last of N + 1 rounded linspace steps") {
  const NoiseSchedule sch = schedule_make({});
  const std::vector<double> table = schedule_sigmas(sch);
  // round(np.linspace(0, 999, 6)) = 0, 200 (199.8), 400 (399.6), 599 (599.4), 799 (799.2), 999.
  for (SamplerKind kind : {SamplerKind::dpmpp_2m, SamplerKind::dpmpp_2m_sde, SamplerKind::unipc}) {
    const SamplerPlan plan = sampler_plan(sch, config(kind, 5));
    CHECK(plan.timesteps == std::vector<double>{999, 799, 599, 400, 200});
    CHECK(plan.sigmas[3] == static_cast<double>(static_cast<float>(table[400])));
    CHECK(plan.sigmas.back() == 0.0);
    CHECK(plan.init_noise_sigma == 1.0);
    CHECK_FALSE(plan.sigma_space);
  }
  // leading: k * (1000 // 6) for k = 5..1.
  CHECK(sampler_plan(sch, config(SamplerKind::unipc, 5, TimestepSpacing::leading)).timesteps ==
        std::vector<double>{830, 664, 498, 332, 166});
}

TEST_CASE("karras sigmas: the spacing's ends for the Euler family, the table's for the others") {
  const NoiseSchedule sch = schedule_make({});
  const std::vector<double> table = schedule_sigmas(sch);
  std::vector<double> logs;
  for (double s : table) logs.push_back(std::log(s));
  const SamplerPlan euler = sampler_plan(sch, config(SamplerKind::euler, 6, TimestepSpacing::leading, true));
  // leading 6 steps: t = 830 .. 0, so Karras runs from sigma(830) down to sigma(0).
  const std::vector<double> want = karras_sigmas(table[0], table[830], 6);
  for (std::size_t k = 0; k < 6; ++k) {
    CHECK(euler.sigmas[k] == Approx(want[k]).epsilon(1e-7));
    CHECK(euler.timesteps[k] == Approx(sigma_to_t(want[k], logs)).epsilon(1e-7));
  }
  const SamplerPlan dpm = sampler_plan(sch, config(SamplerKind::dpmpp_2m, 6, TimestepSpacing::leading, true));
  const std::vector<double> whole = karras_sigmas(table.front(), table.back(), 6);
  for (std::size_t k = 0; k < 6; ++k) {
    CHECK(dpm.sigmas[k] == Approx(whole[k]).epsilon(1e-7));
    CHECK(dpm.timesteps[k] == std::round(sigma_to_t(whole[k], logs)));  // integers
  }
}

TEST_CASE("plans refuse Karras where diffusers offers none, and repeated levels") {
  const NoiseSchedule sch = schedule_make({});
  CHECK_THROWS_WITH(sampler_plan(sch, config(SamplerKind::euler_a, 10, {}, true)),
                    Catch::Contains("karras") && Catch::Contains("euler_a"));
  CHECK_THROWS_WITH(sampler_plan(sch, config(SamplerKind::ddim, 10, {}, true)),
                    Catch::Contains("karras"));
  // T = 1000, N = 1000 with linspace: round(np.linspace(0, 999, 1001)) repeats 500 (499.5, 500.5).
  CHECK_THROWS_WITH(sampler_plan(sch, config(SamplerKind::dpmpp_2m, 1000)),
                    Catch::Contains("repeat") && Catch::Contains("fewer steps"));
  CHECK_NOTHROW(sampler_plan(sch, config(SamplerKind::dpmpp_2m, 999)));
  CHECK_NOTHROW(sampler_plan(sch, config(SamplerKind::euler, 1000)));
}

TEST_CASE("ddpm and ddim plans are today's integer lists with the table's alpha_bar") {
  const NoiseSchedule sch = schedule_make({});
  const SamplerPlan plan = sampler_plan(sch, config(SamplerKind::ddim, 10));
  CHECK(plan.timesteps == std::vector<double>{999, 899, 799, 699, 599, 499, 399, 299, 199, 99});
  CHECK(plan.alpha_bars[3] == sch.alpha_bar(699));
  CHECK(plan.init_noise_sigma == 1.0);
  CHECK(sampler_plan(sch, config(SamplerKind::ddpm, 0)).calls() == 1000);
}
