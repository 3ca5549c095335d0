// Samplers (diffusion/sampler.hpp) with the exact denoiser of known data distributions, checked
// against independent computations:
// - for Gaussian data (one component) every step is affine in x_t plus Gaussian noise, so the law
//   of the output is Gaussian with a mean and variance obtained by pushing (mean, variance) of
//   x_T ~ N(0, 1) through the steps (written out here from the textbook formulas); that makes the
//   discretization bias of each sampler an exact number, and the sample moments must match it
//   within tolerances derived from the sample size (tests/support/statistics.hpp);
// - DDIM with eta = 0 is that affine map with no noise: checked sample by sample, and against the
//   probability-flow map x_0 = m + s (x_T - sqrt(ab) m) / sqrt(ab s^2 + 1 - ab);
// - on gaussians8, component proportions (binomial tolerances) and per-component spreads.
// The reverse step's variance and prediction checks (reverse_step.hpp), the row tasks that split the
// work (row_tasks.hpp) and the Denoiser interface (denoiser.hpp) are exercised here too.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

#include "base/error.hpp"
#include "diffusion/mixture_denoiser.hpp"
#include "diffusion/sampler.hpp"
#include "support/statistics.hpp"
#include "support/reverse_executor.hpp"

using namespace diffuse;

namespace {

struct Moments {
  double mean, variance;
};

GaussianMixture gaussian_1d(double m, double s) {
  return gaussian_mixture_make(Table{1.0}, MixtureMatrix{{m}}, MixtureMatrix{{s}});
}

// One step t -> prev (-1: x_0) of the sampler on Gaussian data N(m, s^2), as the affine map
// x_prev = A x_t + B + noise_std z, from the textbook formulas.
struct Affine {
  double A, B, noise_std;
};
Affine gaussian_step(const NoiseSchedule& sch, const SamplerConfig& c, double m, double s, int t,
                     int prev) {
  const double ab = sch.alpha_bar(t), ab_prev = prev >= 0 ? sch.alpha_bar(prev) : 1.0;
  // E[x_0 | x_t] = m + g (x_t - sqrt(ab) m), g = sqrt(ab) s^2 / (ab s^2 + 1 - ab): a x_t + b.
  const double g = std::sqrt(ab) * s * s / (ab * s * s + 1 - ab);
  const double a = g, b = m - g * std::sqrt(ab) * m;
  double on_x0, on_xt, noise;
  if (c.kind == SamplerKind::ddpm) {  // seed 004 eq. 11-12 for the chain over the visited steps
    const double beta = 1 - ab / ab_prev;
    on_x0 = std::sqrt(ab_prev) * beta / (1 - ab);
    on_xt = std::sqrt(1 - beta) * (1 - ab_prev) / (1 - ab);
    noise = c.variance == ReverseVariance::fixed_small ? (1 - ab_prev) / (1 - ab) * beta : beta;
  } else {  // DDIM: sqrt(ab_prev) x0 + sqrt(1 - ab_prev - sigma^2) eps, eps from x_t and x0
    const double sigma2 = c.eta * c.eta * (1 - ab_prev) / (1 - ab) * (1 - ab / ab_prev);
    const double dir = std::sqrt(std::max(0.0, 1 - ab_prev - sigma2)) / std::sqrt(1 - ab);
    on_x0 = std::sqrt(ab_prev) - dir * std::sqrt(ab);
    on_xt = dir;
    noise = sigma2;
  }
  if (prev < 0) noise = 0;
  return {on_x0 * a + on_xt, on_x0 * b, std::sqrt(noise)};
}

// The exact law of the output for x_T ~ N(0, 1), or the composed map when noise is zero.
Affine compose(const NoiseSchedule& sch, const SamplerConfig& c, double m, double s) {
  const std::vector<int> list = sampler_timesteps(c, sch.T);
  Affine total{1.0, 0.0, 0.0};  // x = A x_T + B + noise with variance noise_std^2
  for (std::size_t k = 0; k < list.size(); ++k) {
    const int prev = k + 1 < list.size() ? list[k + 1] : -1;
    const Affine step = gaussian_step(sch, c, m, s, list[k], prev);
    total = {step.A * total.A, step.A * total.B + step.B,
             std::sqrt(step.A * step.A * total.noise_std * total.noise_std +
                       step.noise_std * step.noise_std)};
  }
  return total;
}
Moments predicted_law(const NoiseSchedule& sch, const SamplerConfig& c, double m, double s) {
  const Affine f = compose(sch, c, m, s);
  return {f.B, f.A * f.A + f.noise_std * f.noise_std};
}

Moments column_moments(const Tensor2& x, std::size_t d) {
  const std::size_t n = x.shape(0);
  double sum = 0, sum_sq = 0;
  for (std::size_t b = 0; b < n; ++b) sum += x(b, d);
  const double mean = sum / n;
  for (std::size_t b = 0; b < n; ++b) sum_sq += (x(b, d) - mean) * (x(b, d) - mean);
  return {mean, sum_sq / (n - 1)};
}

// Sample moments equal the exact law within z standard errors (the law is Gaussian).
void check_moments(const Tensor2& x, std::size_t d, Moments law) {
  const Moments got = column_moments(x, d);
  INFO("law mean " << law.mean << " variance " << law.variance << "; sample " << got.mean << ", "
                   << got.variance);
  CHECK(std::abs(got.mean - law.mean) <= test::mean_tolerance(law.variance, x.shape(0)));
  CHECK(std::abs(got.variance - law.variance) <=
        test::gaussian_variance_tolerance(law.variance, x.shape(0)));
}

Tensor2 run(Denoiser& denoiser, const NoiseSchedule& sch, const SamplerConfig& c, std::size_t n,
            std::uint64_t seed) {
  Tensor2 x;
  sample(x, nullptr, denoiser, sch, c, n, seed);
  return x;
}

}  // namespace

TEST_CASE("DDPM with the exact denoiser of a Gaussian samples its law; the bias is tiny") {
  const NoiseSchedule sch = schedule_make({});
  const double m = 0.8, s = 0.6;
  MixtureDenoiser oracle(gaussian_1d(m, s), sch, Prediction::eps);
  for (auto variance : {ReverseVariance::fixed_small, ReverseVariance::fixed_large}) {
    SamplerConfig c;
    c.variance = variance;
    const Moments law = predicted_law(sch, c, m, s);
    check_moments(run(oracle, sch, c, 20000, 11), 0, law);
    // The discretization bias, exact: fixed_small with T = 1000 gives variance ratio 0.9868 and
    // mean bias -1.2e-5 here (a numpy Monte Carlo of the same chain, 400k draws: 0.990 +- 0.002).
    // beta~_t is the reverse variance for a point mass; Gaussian data of width 0.6 needs more
    // (beta~_t + coef1^2 Var(x_0 | x_t)), so fixed_small undershoots and fixed_large overshoots.
    INFO("variance ratio " << law.variance / (s * s) << ", mean bias " << law.mean - m);
    if (variance == ReverseVariance::fixed_small) {
      CHECK(law.variance < s * s);
      CHECK(law.variance > 0.98 * s * s);
      CHECK(std::abs(law.mean - m) < 1e-4);
    } else {
      CHECK(law.variance > s * s);
    }
  }
}

TEST_CASE("DDPM on an anisotropic 2D Gaussian matches each dimension's law") {
  const NoiseSchedule sch = schedule_make({});
  const GaussianMixture data = gaussian_mixture_make(Table{1.0}, MixtureMatrix{{1.0, -0.5}},
                                                     MixtureMatrix{{0.5, 1.5}});
  MixtureDenoiser oracle(data, sch, Prediction::x0);
  SamplerConfig c;
  const Tensor2 x = run(oracle, sch, c, 20000, 5);
  check_moments(x, 0, predicted_law(sch, c, 1.0, 0.5));
  check_moments(x, 1, predicted_law(sch, c, -0.5, 1.5));
  // Dimensions stay independent: the sample correlation of independent columns has standard
  // error 1 / sqrt(n).
  const Moments a = column_moments(x, 0), b = column_moments(x, 1);
  double cov = 0;
  for (std::size_t i = 0; i < x.shape(0); ++i) cov += (x(i, 0) - a.mean) * (x(i, 1) - b.mean);
  cov /= x.shape(0) - 1;
  CHECK(std::abs(cov / std::sqrt(a.variance * b.variance)) <= test::z_bound / std::sqrt(20000.0));
}

TEST_CASE("respaced DDPM and DDIM (eta 0.5) sample their exact Gaussian laws") {
  const NoiseSchedule sch = schedule_make({});
  const double m = -0.4, s = 1.3;
  MixtureDenoiser oracle(gaussian_1d(m, s), sch, Prediction::v);
  SamplerConfig ddpm;
  ddpm.steps = 100;
  ddpm.spacing = TimestepSpacing::linspace;
  check_moments(run(oracle, sch, ddpm, 20000, 3), 0, predicted_law(sch, ddpm, m, s));
  SamplerConfig ddim;
  ddim.kind = SamplerKind::ddim;
  ddim.eta = 0.5;
  ddim.steps = 20;
  check_moments(run(oracle, sch, ddim, 20000, 4), 0, predicted_law(sch, ddim, m, s));
}

TEST_CASE("DDIM eta = 0 is deterministic and maps N(0,1) quantiles to the data's quantiles") {
  const NoiseSchedule sch = schedule_make({});
  const double m = 0.8, s = 0.6;
  MixtureDenoiser oracle(gaussian_1d(m, s), sch, Prediction::eps);
  // x_T at the 1%, 10%, 30%, 50%, 70%, 90%, 99% quantiles of N(0, 1).
  const Tensor2 x_T = {{-2.3263479f}, {-1.2815516f}, {-0.5244005f}, {0.0f},
                       {0.5244005f},  {1.2815516f},  {2.3263479f}};
  // The probability-flow ODE's map from q(x_T) = N(sqrt(ab) m, ab s^2 + 1 - ab) to N(m, s^2):
  // it sends the quantiles of x_T to the data's.
  const double ab = sch.alpha_bar(999);
  const double slope = s / std::sqrt(ab * s * s + 1 - ab), offset = m - slope * std::sqrt(ab) * m;
  for (int steps : {50, 1000}) {
    SamplerConfig c;
    c.kind = SamplerKind::ddim;
    c.steps = steps;
    Sampler a(oracle, sch, c, x_T, 1), b(oracle, sch, c, x_T, 99);  // different seeds
    while (!a.done()) a.step();
    while (!b.done()) b.step();
    CHECK(bool(a.x() == b.x()));

    // DDIM's map, composed exactly from its steps: affine, no noise.
    const Affine map = compose(sch, c, m, s);
    REQUIRE(map.noise_std == 0.0);
    for (std::size_t i = 0; i < x_T.shape(0); ++i) {
      // float arithmetic: ~1 ulp of values of size ~2 per step, accumulating like sqrt(steps).
      CHECK(a.x()(i, 0) == Approx(map.A * x_T(i, 0) + map.B).margin(2e-5));
    }
    // Each step shrinks the spread by the cosine of the angle between (sqrt(ab) s, sqrt(1 - ab))
    // at t and at prev (Cauchy-Schwarz), so the slope falls short of the flow's: by 4.98% for 50
    // trailing steps and 0.26% for all 1000 (a numpy composition gives the same numbers).
    INFO(steps << "-step DDIM slope " << map.A << " vs the flow's " << slope);
    CHECK(map.A < slope);
    CHECK(map.A > (steps == 50 ? 0.945 : 0.997) * slope);
    if (steps == 1000) {
      for (std::size_t i = 0; i < x_T.shape(0); ++i) {
        // Within the slope shortfall (0.3%) of the flow, and within 1% of the data's scale of the
        // data's quantile m + s z (the flow starts from q(x_T), which is N(0, 1) only up to
        // sqrt(ab_999) = 0.0064).
        const double z = x_T(i, 0);
        CHECK(a.x()(i, 0) == Approx(slope * z + offset).margin(0.003 * slope * std::abs(z) + 1e-5));
        CHECK(a.x()(i, 0) == Approx(m + s * z).margin(0.01 * s * (1 + std::abs(z))));
      }
    }
  }
}

TEST_CASE("DDIM eta = 1 over all T steps equals DDPM fixed_small step for step") {
  const NoiseSchedule sch = schedule_make({});
  MixtureDenoiser oracle(gaussian_mixture_gaussians8(), sch, Prediction::eps);
  SamplerConfig ddpm, ddim;
  ddim.kind = SamplerKind::ddim;
  ddim.eta = 1.0;
  ddim.steps = 1000;
  Sampler a(oracle, sch, ddpm, 64, 21), b(oracle, sch, ddim, 64, 21);
  REQUIRE(bool(a.x() == b.x()));  // the same x_T from the same seed
  while (!a.done()) {
    a.step();
    b.step();
    for (std::size_t i = 0; i < a.x().size(); ++i) {
      // The same formula and noise; the coefficients are computed two ways, so allow rounding.
      REQUIRE(a.x().data()[i] == Approx(b.x().data()[i]).margin(1e-4));
    }
  }
}

// gaussians8 in the normalized space (each component's std 0.1 / 1.418 = 0.0705 per dimension).
GaussianMixture normalized_gaussians8() {
  const GaussianMixture raw = gaussian_mixture_gaussians8();
  Table std_dev = gaussian_mixture_variance(raw);
  for (auto& v : std_dev) v = std::sqrt(v);
  return gaussian_mixture_normalized(raw, gaussian_mixture_mean(raw), std_dev);
}

// Robust per-dimension variance of points about a centre in 2D: r^2 / var ~ chi^2_2 (exponential
// with mean 2) for a Gaussian, whose median is 2 ln 2; so var_hat = median(r^2) / (2 ln 2). Its
// standard error: the median of n draws has sd 1 / (2 f(median) sqrt(n)) with
// f(median) = 1 / (4 var), giving var / (ln 2 sqrt(n)). Robust, because points left between modes
// would dominate a plain variance.
double robust_variance(std::vector<double> r2) {
  std::nth_element(r2.begin(), r2.begin() + r2.size() / 2, r2.end());
  return r2[r2.size() / 2] / (2 * std::log(2.0));
}

TEST_CASE("gaussians8: DDPM and DDIM reproduce the component proportions and spreads") {
  const GaussianMixture data = normalized_gaussians8();
  const NoiseSchedule sch = schedule_make({});
  MixtureDenoiser oracle(data, sch, Prediction::eps);
  const double s = data.stds(0, 0);
  SamplerConfig ddpm, ddim1000, ddim50;
  ddim1000.kind = ddim50.kind = SamplerKind::ddim;
  ddim1000.steps = 1000;
  for (const SamplerConfig& c : {ddpm, ddim1000, ddim50}) {
    const std::size_t n = 16000;
    const Tensor2 x = run(oracle, sch, c, n, 8);
    std::vector<int> component;
    gaussian_mixture_assign(component, data, x);
    std::vector<double> pooled;
    for (int k = 0; k < 8; ++k) {
      std::vector<double> r2;
      for (std::size_t b = 0; b < n; ++b) {
        if (component[b] != k) continue;
        const double u = x(b, 0) - data.means(k, 0), v = x(b, 1) - data.means(k, 1);
        r2.push_back(u * u + v * v);
      }
      pooled.insert(pooled.end(), r2.begin(), r2.end());
      // The count is Binomial(n, 1/8).
      INFO(sampler_kinds.name(c.kind) << " " << sampler_steps(c, 1000) << " steps, component " << k);
      CHECK(std::abs(double(r2.size()) - n / 8.0) <= test::z_bound * std::sqrt(n / 8.0 * 7 / 8));
    }
    if (c.steps == 0 && c.kind == SamplerKind::ddim) continue;  // 50 steps: see below
    // The spread of an isolated component of width s under this sampler, exactly (the law of the
    // Gaussian case): 0.898 s^2 for DDPM, 0.949 s^2 for 1000-step DDIM (numpy agrees). Neighbours
    // 15 s apart barely interact, so the pooled robust spread must match it within its error.
    const double law = predicted_law(sch, c, 0.0, s).variance;
    const double got = robust_variance(pooled);
    INFO(sampler_kinds.name(c.kind) << ": robust variance / s^2 " << got / (s * s) << ", law "
                                   << law / (s * s));
    CHECK(std::abs(got - law) <= test::z_bound * law / (std::log(2.0) * std::sqrt(double(n))));
  }
  // With the default 50 DDIM steps the isolated-component law is 0.41 s^2 (the last jump, from
  // t = 19 where sqrt(1 - ab) = 0.05 is comparable to s, collapses the spread) and the mixture's
  // is measured at ~0.49 s^2: few-step DDIM under-disperses small-scale structure.
}

TEST_CASE("zero terminal SNR with v-prediction samples fine; eps-prediction is refused") {
  ScheduleConfig sc;
  sc.zero_terminal_snr = true;
  const NoiseSchedule sch = schedule_make(sc);
  const double m = 0.8, s = 0.6;
  MixtureDenoiser v_model(gaussian_1d(m, s), sch, Prediction::v);
  SamplerConfig ddpm, ddim;
  ddim.kind = SamplerKind::ddim;
  ddim.steps = 25;  // trailing: starts at t = 999, where alpha_bar = 0
  for (const SamplerConfig& c : {ddpm, ddim}) {
    const Tensor2 x = run(v_model, sch, c, 20000, 2);
    for (float v : x) REQUIRE(std::isfinite(v));
    check_moments(x, 0, predicted_law(sch, c, m, s));
  }
  MixtureDenoiser eps_model(gaussian_1d(m, s), sch, Prediction::eps);
  CHECK_THROWS_WITH(Sampler(eps_model, sch, ddim, 10, 1),
                    Catch::Contains("t = 999") && Catch::Contains("use a v or x0 model"));
}

TEST_CASE("trajectories record every k steps and the end") {
  const NoiseSchedule sch = schedule_make({});
  MixtureDenoiser oracle(gaussian_mixture_gaussians8(), sch, Prediction::eps);
  SamplerConfig c;
  c.kind = SamplerKind::ddim;
  c.steps = 10;
  c.record_every = 3;
  Sampler sampler(oracle, sch, c, 5, 4);
  const Tensor2 x_T = sampler.x();
  CHECK(sampler.timestep() == 999);
  CHECK(sampler.predicted_x0().size() == 0);
  while (!sampler.done()) sampler.step();
  const Trajectory& tr = sampler.trajectory();
  // Steps 0, 3, 6, 9 and the end: ceil(10 / 3) + 1 = 5 frames.
  const std::vector<double> list = sampler.timesteps();
  CHECK(tr.timesteps == std::vector<double>{list[0], list[3], list[6], list[9], -1});
  REQUIRE(tr.x.size() == 5);
  REQUIRE(tr.x0_hat.size() == 5);
  CHECK(bool(tr.x.front() == x_T));
  CHECK(bool(tr.x.back() == sampler.x()));
  CHECK(bool(tr.x0_hat.back() == sampler.x()));
  CHECK(tr.x0_hat[1].shape(0) == 5);
  CHECK(sampler.progress() == 1.0);
  CHECK(sampler.timestep() == -1);
  CHECK_THROWS_WITH(sampler.step(), Catch::Contains("done"));

  Tensor2 x;
  Trajectory none;
  c.record_every = 0;
  sample(x, &none, oracle, sch, c, 5, 4);
  CHECK(none.x.empty());
  CHECK(bool(x == sampler.x()));  // sample() is the same run
}

TEST_CASE("a row's sample depends only on the seed and its index, not on n or the executor") {
  const NoiseSchedule sch = schedule_make({});
  MixtureDenoiser oracle(gaussian_mixture_gaussians8(), sch, Prediction::eps);
  SamplerConfig c;
  c.steps = 40;
  Tensor2 small, large, reversed;
  sample(small, nullptr, oracle, sch, c, 300, 17);
  sample(large, nullptr, oracle, sch, c, 700, 17);
  sample(reversed, nullptr, oracle, sch, c, 700, 17, test::ReverseExecutor());
  CHECK(std::equal(small.begin(), small.end(), large.begin()));  // the first 300 rows
  CHECK(bool(reversed == large));
  Tensor2 other;
  sample(other, nullptr, oracle, sch, c, 300, 18);
  CHECK(bool(other != small));
}

TEST_CASE("row chunks sampled with first_row are exactly the rows of the whole run") {
  const NoiseSchedule sch = schedule_make({});
  MixtureDenoiser oracle(gaussian_mixture_gaussians8(), sch, Prediction::eps);
  SamplerConfig c;
  c.steps = 40;
  Tensor2 whole;
  sample(whole, nullptr, oracle, sch, c, 700, 17);
  Sampler head(oracle, sch, c, 300, 17), tail(oracle, sch, c, 400, 17, 300);
  while (!head.done()) head.step();
  while (!tail.done()) tail.step();
  CHECK(std::equal(head.x().begin(), head.x().end(), whole.begin()));
  CHECK(std::equal(tail.x().begin(), tail.x().end(), whole.begin() + 300 * 2));
}

TEST_CASE("clip_sample keeps x0_hat, and so the last DDPM step's output, within the range") {
  const NoiseSchedule sch = schedule_make({});
  MixtureDenoiser oracle(gaussian_1d(0.8, 0.6), sch, Prediction::eps);
  SamplerConfig c;
  c.clip_sample = true;
  c.clip_range = 0.5;
  const Tensor2 x = run(oracle, sch, c, 2000, 6);
  for (float v : x) REQUIRE(std::abs(v) <= 0.5f);
  // Without clipping, most of N(0.8, 0.36) lies above 0.5.
  c.clip_sample = false;
  const Tensor2 y = run(oracle, sch, c, 2000, 6);
  std::size_t above = 0;
  for (float v : y) above += v > 0.5f;
  CHECK(above > 1000);
}

TEST_CASE("a denoiser without a real-t path takes integer levels only; levels are validated") {
  // The Denoiser default (denoiser.cpp): integer t goes to predict_at, a fractional t is refused.
  struct Constant final : Denoiser {
    std::size_t data_dim() const override { return 2; }
    Prediction prediction() const override { return Prediction::eps; }
    void predict(Tensor2& out, const Tensor2& x_t, const Steps& t, const Labels*,
                 const Executor&) override {
      out = x_t;
      last_t = t(0);
    }
    int last_t = -1;
  } model;
  Tensor2 x = Tensor2::from_shape({3, 2}), out;
  x.fill(1.0f);
  model.predict_at_level(out, x, {17.0, 0.5}, nullptr, serial_executor());
  CHECK(model.last_t == 17);
  CHECK_THROWS_WITH(model.predict_at_level(out, x, {17.5, 0.5}, nullptr, serial_executor()),
                    Catch::Contains("integer steps only") && Catch::Contains("17.5"));
  CHECK_THROWS_WITH(noise_level_validate({1.0, 1.5}), Catch::Contains("alpha_bar = 1.5"));
  CHECK_THROWS_WITH(noise_level_validate({std::nan(""), 0.5}), Catch::Contains("finite"));
}

TEST_CASE("given draws z start the chain as x_T = z * init_noise_sigma, in x_t units") {
  const NoiseSchedule sch = schedule_make({});
  MixtureDenoiser oracle(gaussian_mixture_gaussians8(), sch, Prediction::eps);
  Tensor2 z = Tensor2::from_shape({4, 2});
  for (std::size_t i = 0; i < z.size(); ++i) z.data()[i] = 0.25f * static_cast<float>(i) - 1.0f;
  SamplerConfig euler;
  euler.kind = SamplerKind::euler;
  euler.steps = 10;
  Sampler sampler(oracle, sch, euler, z, 0);
  // linspace: init_noise_sigma = sigma_max, so x_T = z sigma_max / sqrt(1 + sigma_max^2).
  const double s = sampler.plan().sigmas[0];
  for (std::size_t i = 0; i < z.size(); ++i) {
    CHECK(sampler.x().data()[i] == Approx(z.data()[i] * s / std::sqrt(1 + s * s)).epsilon(1e-6));
  }
  SamplerConfig ddim;
  ddim.kind = SamplerKind::ddim;
  CHECK(bool(Sampler(oracle, sch, ddim, z, 0).x() == z));  // x_T = z
  Tensor2 bad = z;
  bad(1, 1) = std::numeric_limits<float>::infinity();
  CHECK_THROWS_WITH(Sampler(oracle, sch, ddim, bad, 0), Catch::Contains("non-finite"));
}
