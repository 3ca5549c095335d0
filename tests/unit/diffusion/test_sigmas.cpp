// The sigma view of a schedule (diffusion/sigmas.hpp) against its definitions computed here
// independently: sigma_t = sqrt((1 - ab) / ab) from the closed-form linear-schedule alpha_bar,
// np.interp's linear interpolation, the inverse map by bisection, and Karras et al.'s eq. 5.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "diffusion/sigmas.hpp"

using namespace diffuse;

TEST_CASE("schedule sigmas are sqrt((1 - ab) / ab), with 2^-24 for a zero alpha_bar") {
  const NoiseSchedule sch = schedule_make({});
  const std::vector<double> sigmas = schedule_sigmas(sch);
  REQUIRE(sigmas.size() == 1000);
  // alpha_bar of the linear schedule as a product written out here.
  double ab = 1.0;
  for (int t = 0; t < 1000; ++t) {
    ab *= 1.0 - (1e-4 + (0.02 - 1e-4) * t / 999.0);
    CHECK(sigmas[static_cast<std::size_t>(t)] == Approx(std::sqrt((1 - ab) / ab)).epsilon(1e-12));
  }
  ScheduleConfig zero;
  zero.zero_terminal_snr = true;
  const std::vector<double> z = schedule_sigmas(schedule_make(zero));
  CHECK(z.back() == Approx(std::sqrt((1 - zero_snr_alpha_bar) / zero_snr_alpha_bar)));  // 4096
  CHECK(z.back() == Approx(4096.0).epsilon(1e-6));
  CHECK(alpha_bar_of_sigma(z.back()) == Approx(zero_snr_alpha_bar).epsilon(1e-9));
  CHECK(alpha_bar_of_sigma(0.0) == 1.0);
}

TEST_CASE("sigma_interpolate is np.interp over the steps, clamped at both ends") {
  const std::vector<double> s = {0.5, 1.0, 4.0, 10.0};
  CHECK(sigma_interpolate(s, 0.0) == 0.5);
  CHECK(sigma_interpolate(s, 3.0) == 10.0);
  CHECK(sigma_interpolate(s, -2.0) == 0.5);
  CHECK(sigma_interpolate(s, 7.5) == 10.0);
  CHECK(sigma_interpolate(s, 1.25) == Approx(1.0 + 0.25 * 3.0));
  CHECK(sigma_interpolate(s, 2.0) == 4.0);
}

TEST_CASE("sigma_to_t inverts the log-linear interpolation of the table and clamps") {
  const NoiseSchedule sch = schedule_make({});
  const std::vector<double> sigmas = schedule_sigmas(sch);
  std::vector<double> logs;
  for (double s : sigmas) logs.push_back(std::log(s));
  // At every table entry, and between two: the step whose log-linear sigma is the given one.
  for (int t : {0, 1, 17, 500, 998, 999}) CHECK(sigma_to_t(sigmas[static_cast<std::size_t>(t)], logs) == Approx(t).margin(1e-9));
  for (double t : {0.25, 10.5, 777.125, 998.9}) {
    const auto i = static_cast<std::size_t>(std::floor(t));
    const double w = t - std::floor(t);
    const double sigma = std::exp((1 - w) * logs[i] + w * logs[i + 1]);
    CHECK(sigma_to_t(sigma, logs) == Approx(t).margin(1e-9));
  }
  CHECK(sigma_to_t(1e-30, logs) == 0.0);       // below the table: t = 0
  CHECK(sigma_to_t(1e9, logs) == Approx(999.0));  // above: t = T - 1
}

TEST_CASE("sigma_to_t takes the last bracketing step when the table is not monotone") {
  // Zero terminal SNR with linear betas: sigma_998 > sigma_999 = 4096 (diffusers' 2^-24).
  const std::vector<double> logs = {std::log(1.0), std::log(5.0), std::log(20.0), std::log(8.0)};
  // log 10 lies between steps 1 and 2 (rising) and between 2 and 3 (falling). diffusers takes the
  // last index whose log sigma is <= log 10, step 3, clipped to T - 2 = 2, then interpolates
  // between steps 2 and 3: w = (log 20 - log 10) / (log 20 - log 8) = log 2 / log 2.5. (A binary
  // search would have answered from the rising part, 1 + log 2 / log 4 = 1.5.)
  CHECK(sigma_to_t(10.0, logs) == Approx(2.0 + std::log(2.0) / std::log(2.5)).epsilon(1e-12));
}

TEST_CASE("karras_sigmas: eq. 5 with rho 7, from sigma_max to sigma_min") {
  const std::vector<double> s = karras_sigmas(0.002, 80.0, 5);
  REQUIRE(s.size() == 5);
  CHECK(s.front() == Approx(80.0).epsilon(1e-12));
  CHECK(s.back() == Approx(0.002).epsilon(1e-12));
  for (int i = 0; i < 5; ++i) {
    const double r = i / 4.0;
    const double want = std::pow(std::pow(80.0, 1 / 7.0) + r * (std::pow(0.002, 1 / 7.0) - std::pow(80.0, 1 / 7.0)), 7.0);
    CHECK(s[static_cast<std::size_t>(i)] == Approx(want).epsilon(1e-12));
  }
  REQUIRE(karras_sigmas(0.1, 10.0, 1).size() == 1);
  CHECK(karras_sigmas(0.1, 10.0, 1)[0] == Approx(10.0).epsilon(1e-12));
}
