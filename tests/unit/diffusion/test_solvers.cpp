// The update rules of diffusion/solvers.hpp (solvers.cpp, solver_discrete.cpp, solver_euler.cpp,
// solver_heun.cpp, solver_dpm.cpp, solver_unipc.cpp), run through the Sampler with the exact
// denoiser of a Gaussian mixture, against independent computations:
// - the probability-flow ODE solved separately here with classical Runge-Kutta (RK4) in
//   u = log sigma, dy/du = y - E[x_0 | x_t] for y = x_t / sqrt(ab) (Karras et al. 2022 eq. 1 in
//   the sigma parameterization), many times finer than any sampler: each deterministic sampler
//   converges to it, and the slope of log error against log N is its order;
// - identities that follow from the definitions: on leading spacing Euler is DDIM with eta = 0 and
//   Euler ancestral is DDPM (fixed_small) draw for draw; eps, x0 and v models give the same
//   samples; a step to sigma = 0 gives x0_hat.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "diffusion/mixture_denoiser.hpp"
#include "diffusion/sampler.hpp"
#include "diffusion/sigmas.hpp"
#include "base/rng.hpp"

using namespace diffuse;

namespace {

// gaussians8, as the samplers see it: x_0 in data units (radius 2, std 0.02 per component);
// here with a wider std so that the denoiser is smooth enough for asymptotic orders at small N.
GaussianMixture smooth_mixture() {
  Table weights = {0.3, 0.5, 0.2};
  MixtureMatrix means = {{-1.0, 0.5}, {1.0, -0.5}, {0.2, 1.2}};
  MixtureMatrix stds = {{0.4, 0.3}, {0.35, 0.5}, {0.3, 0.3}};
  return gaussian_mixture_make(weights, means, stds);
}

Tensor2 run(Denoiser& model, const NoiseSchedule& sch, SamplerConfig c, const Tensor2& z,
            std::uint64_t seed = 3) {
  Sampler sampler(model, sch, c, z, seed);
  while (!sampler.done()) sampler.step();
  return sampler.x();
}

Tensor2 standard_normal(std::size_t n, std::size_t D, std::uint64_t seed) {
  Tensor2 z = Tensor2::from_shape({n, D});
  Rng rng(seed);
  rng.fill_normal(z.data(), z.size());
  return z;
}

// E[x_0 | x_t] at level sigma for rows y (sigma space), in double.
void x0_at(std::vector<double>& out, MixtureDenoiser& model, const std::vector<double>& y,
           double sigma, std::size_t D) {
  const std::size_t n = y.size() / D;
  const double ab = alpha_bar_of_sigma(sigma);
  Tensor2 x = Tensor2::from_shape({n, D}), pred;
  for (std::size_t i = 0; i < y.size(); ++i) x.data()[i] = static_cast<float>(y[i] * std::sqrt(ab));
  model.predict_at_level(pred, x, {0.0, ab}, nullptr, serial_executor());
  out.assign(pred.begin(), pred.end());
}

// The ODE's exact output from z: y(sigma_max) = z sigma_max (init_noise_sigma of Karras sigmas,
// which start at the table's largest), RK4 in u = log sigma down to sigma_min, then E[x_0 | x_t]
// there (the samplers' last step to sigma = 0 returns exactly that estimate).
Tensor2 ode_solution(MixtureDenoiser& x0_model, const Tensor2& z, double sigma_max, double sigma_min,
                     double init_sigma, int steps) {
  const std::size_t D = z.shape(1);
  std::vector<double> y(z.begin(), z.end()), k1, k2, k3, k4, tmp(y.size()), x0;
  for (double& v : y) v *= init_sigma;
  const double u0 = std::log(sigma_max), u1 = std::log(sigma_min), du = (u1 - u0) / steps;
  auto slope = [&](std::vector<double>& k, const std::vector<double>& at, double u) {
    x0_at(x0, x0_model, at, std::exp(u), D);
    k.resize(at.size());
    for (std::size_t i = 0; i < at.size(); ++i) k[i] = at[i] - x0[i];
  };
  for (int s = 0; s < steps; ++s) {
    const double u = u0 + s * du;
    slope(k1, y, u);
    for (std::size_t i = 0; i < y.size(); ++i) tmp[i] = y[i] + du / 2 * k1[i];
    slope(k2, tmp, u + du / 2);
    for (std::size_t i = 0; i < y.size(); ++i) tmp[i] = y[i] + du / 2 * k2[i];
    slope(k3, tmp, u + du / 2);
    for (std::size_t i = 0; i < y.size(); ++i) tmp[i] = y[i] + du * k3[i];
    slope(k4, tmp, u + du);
    for (std::size_t i = 0; i < y.size(); ++i) y[i] += du / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
  }
  x0_at(x0, x0_model, y, sigma_min, D);
  Tensor2 out = Tensor2::from_shape(z.shape());
  for (std::size_t i = 0; i < x0.size(); ++i) out.data()[i] = static_cast<float>(x0[i]);
  return out;
}

double max_abs_diff(const Tensor2& a, const Tensor2& b) {
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(double(a.data()[i]) - b.data()[i]));
  return m;
}

}  // namespace

TEST_CASE("deterministic samplers converge to the probability-flow ODE at their order") {
  const NoiseSchedule sch = schedule_make({});
  MixtureDenoiser eps_model(smooth_mixture(), sch, Prediction::eps);
  MixtureDenoiser x0_model(smooth_mixture(), sch, Prediction::x0);
  const Tensor2 z = standard_normal(64, 2, 11);
  const std::vector<double> table = schedule_sigmas(sch);
  // Karras sigmas span the whole table for the multistep solvers and the endpoints of the linspace
  // steps (t = 999 and t = 0, the same whatever N) for Euler and Heun: both the table's ends.
  // x_T = z sigma_max in sigma space for Euler and Heun (init_noise_sigma), x_T = z in x_t space
  // (y = z sqrt(1 + sigma_max^2)) for the multistep solvers.
  const double s_max = table.back(), s_min = table.front();
  const Tensor2 exact_euler = ode_solution(x0_model, z, s_max, s_min, s_max, 4000);
  const Tensor2 exact_multistep =
      ode_solution(x0_model, z, s_max, s_min, std::sqrt(1 + s_max * s_max), 4000);
  // The RK4 solution is itself converged: halving its step changes it by far less than any error
  // measured below.
  const Tensor2 half = ode_solution(x0_model, z, s_max, s_min, s_max, 2000);
  REQUIRE(max_abs_diff(exact_euler, half) < 1e-5);

  struct Case {
    SamplerKind kind;
    double order;
  };
  // UniPC's corrector raises its order-2 predictor to 3 (Zhao et al. 2023, Theorem 3.1).
  for (const Case& c : {Case{SamplerKind::euler, 1}, Case{SamplerKind::heun, 2},
                        Case{SamplerKind::dpmpp_2m, 2}, Case{SamplerKind::unipc, 3}}) {
    SamplerConfig config;
    config.kind = c.kind;
    config.karras = true;
    std::vector<double> errors;
    const std::vector<int> Ns = {20, 40, 80, 160};  // Heun: 2N - 1 model calls
    for (int N : Ns) {
      config.steps = N;
      const bool multistep = c.kind == SamplerKind::dpmpp_2m || c.kind == SamplerKind::unipc;
      errors.push_back(max_abs_diff(run(eps_model, sch, config, z), multistep ? exact_multistep : exact_euler));
    }
    // The order from the last halving (80 -> 160); UniPC's third order shows only from about 80
    // steps (measured: 2.54 from 20 to 40, 2.77 from 40 to 80, 3.11 from 80 to 160).
    const double slope = std::log2(errors[2] / errors[3]);
    INFO(sampler_kinds.name(c.kind) << ": errors " << errors[0] << ", " << errors[1] << ", "
                                    << errors[2] << ", " << errors[3] << "; order " << slope);
    for (std::size_t i = 1; i < errors.size(); ++i) CHECK(errors[i] < errors[i - 1]);
    // An order-p method's error is C N^-p (1 + c1 / N + ...): the slope of one halving at N = 80
    // differs from p by about c1 / (2N), a few hundredths for the c1 of order p seen here. Measured:
    // euler 1.01, heun 2.05, dpmpp_2m 1.94, unipc 3.11; 0.25 leaves room for another platform's
    // rounding, while a method of the wrong order (one less) fails by 0.75 or more.
    CHECK(std::fabs(slope - c.order) < 0.25);
  }
}

TEST_CASE("on leading spacing Euler is DDIM (eta 0) and Euler ancestral is DDPM, draw for draw") {
  // Both pairs are the same discretization of the same chain written in two spaces: Euler's step
  // from sigma to sigma' in y = x_t / sqrt(ab) is DDIM's from ab to ab', and Euler ancestral's
  // (sigma_down, sigma_up) make DDPM's posterior mean and fixed_small variance. Leading spacing
  // starts both at x_T = z (init_noise_sigma sqrt(sigma_max^2 + 1)) and ends both at t = 0.
  const NoiseSchedule sch = schedule_make({});
  MixtureDenoiser model(smooth_mixture(), sch, Prediction::eps);
  const Tensor2 z = standard_normal(32, 2, 5);
  for (int N : {1, 7, 25}) {
    SamplerConfig euler, ddim, euler_a, ddpm;
    euler.kind = SamplerKind::euler;
    ddim.kind = SamplerKind::ddim;
    euler_a.kind = SamplerKind::euler_a;
    ddpm.kind = SamplerKind::ddpm;
    for (SamplerConfig* c : {&euler, &ddim, &euler_a, &ddpm}) {
      c->steps = N;
      c->spacing = TimestepSpacing::leading;
    }
    INFO("N = " << N);
    // float32 states and sigmas (diffusers' float32 tables) against float64 tables: 1e-5 relative
    // on values of order 1.
    CHECK(max_abs_diff(run(model, sch, euler, z), run(model, sch, ddim, z)) < 2e-5);
    CHECK(max_abs_diff(run(model, sch, euler_a, z, 9), run(model, sch, ddpm, z, 9)) < 2e-5);
  }
}

TEST_CASE("eps, x0 and v models of the same denoiser give the same samples with every sampler") {
  const NoiseSchedule sch = schedule_make({});
  MixtureDenoiser eps(smooth_mixture(), sch, Prediction::eps), x0(smooth_mixture(), sch, Prediction::x0),
      v(smooth_mixture(), sch, Prediction::v);
  const Tensor2 z = standard_normal(16, 2, 8);
  for (const std::string& name : sampler_kinds.names()) {
    SamplerConfig c;
    c.kind = sampler_kinds.value(name);
    c.steps = 12;
    INFO(name);
    const Tensor2 a = run(eps, sch, c, z), b = run(x0, sch, c, z), d = run(v, sch, c, z);
    // The three outputs are float32 roundings of one E[x_0 | x_t]; the conversions to x0_hat lose
    // up to sigma_max (157) times a float32 ulp at the first step, which the chain then contracts.
    CHECK(max_abs_diff(a, b) < 1e-4);
    CHECK(max_abs_diff(a, d) < 1e-4);
  }
}

TEST_CASE("a step to sigma = 0 returns the call's x_0 estimate for every sampler") {
  const NoiseSchedule sch = schedule_make({});
  MixtureDenoiser model(smooth_mixture(), sch, Prediction::x0);
  const Tensor2 z = standard_normal(8, 2, 2);
  for (const std::string& name : sampler_kinds.names()) {
    SamplerConfig c;
    c.kind = sampler_kinds.value(name);
    c.steps = 5;
    c.spacing = TimestepSpacing::leading;  // ends at t = 0 for every sampler
    Sampler sampler(model, sch, c, z, 1);
    while (sampler.steps_taken() + 1 < sampler.steps_total()) sampler.step();
    sampler.step();
    INFO(name);
    CHECK(max_abs_diff(sampler.x(), sampler.predicted_x0()) < 1e-6);
  }
}
