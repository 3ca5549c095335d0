// The probability-flow ODE likelihood (diffusion/ode_likelihood.hpp) with the exact (oracle)
// denoiser of data whose density is known:
// - one Gaussian: the ODE is linear, y(sigma) = m + (x - m) sqrt((s^2 + sigma^2) / (s^2 +
// sigma_min^2))
//   and A = sum_d log((s_d^2 + sigma_max^2) / (s_d^2 + sigma_min^2)) / 2 in closed form, so the
//   NLL under the evaluator's own prior is known exactly: only the solver and the finite
//   differences err;
// - gaussians8 (normalized, as training sees it): the NLL equals -log p_min(x), the mixture
//   convolved with N(0, sigma_min^2 I), within the stated error budget: the solver's (bounded by
//   the local tolerance times the steps), the finite differences' (1e-4 D) and the prior's (the
//   largest |log p_max - log prior| over draws of p_max, measured here);
// - Hutchinson's estimate agrees with the exact divergence within its standard error, and its
//   reported probe standard error matches the observed spread.
#include <catch2/catch.hpp>

#include <cmath>
#include <set>

#include <xtensor/xview.hpp>

#include "base/error.hpp"
#include "base/rng.hpp"
#include "diffusion/mixture_denoiser.hpp"
#include "diffusion/ode_likelihood.hpp"
#include "diffusion/sigmas.hpp"
#include "support/statistics.hpp"

using namespace diffuse;

namespace {

constexpr double pi = 3.14159265358979323846;

GaussianMixture normalized_gaussians8() {
  const GaussianMixture raw = gaussian_mixture_gaussians8();
  Table std_dev = gaussian_mixture_variance(raw);
  for (auto& v : std_dev) v = std::sqrt(v);
  return gaussian_mixture_normalized(raw, gaussian_mixture_mean(raw), std_dev);
}

// The mixture convolved with N(0, sigma^2 I): the distribution of y = x_0 + sigma eps.
GaussianMixture smoothed(GaussianMixture mixture, double sigma) {
  for (auto& s : mixture.stds) s = std::sqrt(s * s + sigma * sigma);
  return mixture;
}

Table true_nll(const GaussianMixture& data, double sigma, const Tensor2& x) {
  Table log_p;
  gaussian_mixture_log_density(log_p, smoothed(data, sigma), x);
  return -log_p;
}

Tensor2 draw(const GaussianMixture& data, std::size_t n, std::uint64_t seed) {
  Rng rng(seed);
  Tensor2 x;
  gaussian_mixture_sample(x, nullptr, data, n, rng);
  return x;
}

// The largest |log p_max(y) - log N(y; 0, (1 + sigma_max^2) I)| over n draws y of p_max: the
// prior's error where the ODE ends.
double prior_error(const GaussianMixture& data, double sigma_max, std::size_t n) {
  const GaussianMixture at_max = smoothed(data, sigma_max);
  const Tensor2 y = draw(at_max, n, 99);
  Table log_p;
  gaussian_mixture_log_density(log_p, at_max, y);
  const double var = 1 + sigma_max * sigma_max, D = static_cast<double>(data.dims());
  double worst = 0;
  for (std::size_t i = 0; i < n; ++i) {
    double sq = 0;
    for (std::size_t d = 0; d < data.dims(); ++d) sq += static_cast<double>(y(i, d)) * y(i, d);
    const double log_prior = -0.5 * sq / var - 0.5 * D * std::log(2 * pi * var);
    worst = std::max(worst, std::fabs(log_p(i) - log_prior));
  }
  return worst;
}

}  // namespace

TEST_CASE("one Gaussian: the NLL under the model's prior is the closed form, for eps, x0 and v") {
  const NoiseSchedule schedule = schedule_make({});
  const std::vector<double> sigmas = schedule_sigmas(schedule);
  const double lo = sigmas.front(), hi = sigmas.back();
  const GaussianMixture data =
      gaussian_mixture_make(Table{1.0}, MixtureMatrix{{0.3, -0.5}}, MixtureMatrix{{0.4, 1.3}});
  const Tensor2 x{{0.3f, -0.5f}, {1.1f, 0.7f}, {-0.6f, -3.1f}, {0.0f, 2.5f}};
  // The field is linear, so central differences are exact up to rounding (1e-4 D at most) and
  // the solver errs by at most its local tolerance per step (|A| <= 10 here); at rtol 1e-9 only
  // rounding is left.
  for (const double tolerance : {1e-5, 1e-9})
    for (Prediction prediction : {Prediction::eps, Prediction::x0, Prediction::v}) {
      MixtureDenoiser denoiser(data, schedule, prediction);
      OdeLikelihoodConfig config;
      config.rtol = config.atol = tolerance;
      const OdeLikelihoodResult r = ode_likelihood_evaluate(denoiser, schedule, config, x, 0);
      REQUIRE(r.per_example.size() == 4);
      const double budget = (r.steps + r.rejected) * tolerance * 11 + 2e-4;
      for (std::size_t i = 0; i < 4; ++i) {
        double expected = 0;  // -log N(y_max; 0, (1 + hi^2) I) - A
        for (std::size_t d = 0; d < 2; ++d) {
          const double m = data.means(0, d), s2 = data.stds(0, d) * data.stds(0, d);
          const double y = m + (x(i, d) - m) * std::sqrt((s2 + hi * hi) / (s2 + lo * lo));
          const double var = 1 + hi * hi;
          expected += 0.5 * y * y / var + 0.5 * std::log(2 * pi * var);
          expected -= 0.5 * std::log((s2 + hi * hi) / (s2 + lo * lo));
        }
        INFO(predictions.name(prediction)
             << " rtol " << tolerance << " example " << i << ": " << r.per_example(i) << " vs "
             << expected << ", " << r.steps << " steps");
        CHECK(std::fabs(r.per_example(i) - expected) < (tolerance < 1e-6 ? 2e-5 : budget));
      }
      CHECK(r.sigma_min == lo);
      CHECK(r.sigma_max == hi);
      CHECK(r.nfe == 1 + 6 * (r.steps + r.rejected));
      CHECK(r.rows_per_evaluation == 5);
    }
}

TEST_CASE(
    "gaussians8: the ODE NLL is -log of the data smoothed to sigma_min, within its error budget") {
  const GaussianMixture data = normalized_gaussians8();
  for (bool zero_snr : {false, true}) {
    ScheduleConfig config;
    config.zero_terminal_snr = zero_snr;
    const NoiseSchedule schedule = schedule_make(config);
    const std::vector<double> sigmas = schedule_sigmas(schedule);
    // Data points, and points off the data by 0.7 component widths (0.05 in normalized units).
    Tensor2 x = draw(data, 48, 3);
    Tensor2 off = x;
    Rng rng(5);
    for (auto& v : off) v += 0.05f * rng.normal();
    x = xt::concatenate(xt::xtuple(x, off), 0);
    MixtureDenoiser denoiser(data, schedule, Prediction::eps);
    OdeLikelihoodConfig ode;
    const OdeLikelihoodResult r = ode_likelihood_evaluate(denoiser, schedule, ode, x, 0);
    const Table truth = true_nll(data, sigmas.front(), x);
    // The solver: each accepted step's local error is at most (atol + rtol |A|) per component
    // (|A| <= 20 here); the finite differences: 1e-4 per dimension; the prior: measured.
    const double budget = (r.steps + r.rejected) * (ode.atol + ode.rtol * 20) + 2e-4 +
                          prior_error(data, sigmas.back(), 20000);
    double worst = 0, worst_on_data = 0;
    for (std::size_t i = 0; i < x.shape(0); ++i) {
      const double error = std::fabs(r.per_example(i) - truth(i));
      worst = std::max(worst, error);
      if (i < 48) worst_on_data = std::max(worst_on_data, error);
    }
    INFO("zero snr " << zero_snr << ": worst error " << worst << " (on data " << worst_on_data
                     << ") of budget " << budget << ", " << r.steps << " steps, " << r.rejected
                     << " rejected; mean NLL " << r.nll_nats);
    CHECK(worst < budget);
    CHECK(budget < 0.05);         // the budget itself is tight enough to mean something
    CHECK(worst_on_data < 1e-3);  // in practice the error is far below the bound
  }
}

namespace {

// The exact flow-matching velocity of Gaussian data N(m_d, s_d^2) (diffusion/flow.hpp's path
// x_s = (1 - s) x_0 + s eps): with v = (1 - s)^2 s_d^2 + s^2 and c = x_s - (1 - s) m,
//   E[x_0 | x_s] = m + (1 - s) s_d^2 c / v,   E[eps | x_s] = s c / v,   u = E[eps] - E[x_0].
// The network's step is t = s T.
class GaussianFlow final : public Denoiser {
 public:
  GaussianFlow(std::vector<double> mean, std::vector<double> sd, int T)
      : mean_(std::move(mean)), sd_(std::move(sd)), T_(T) {}
  std::size_t data_dim() const override { return mean_.size(); }
  Prediction prediction() const override { return Prediction::eps; }  // unused by a flow
  using Denoiser::predict;
  void predict(Tensor2&, const Tensor2&, const Steps&, const Labels*, const Executor&) override {
    fail("GaussianFlow takes levels only");
  }
  void predict_at_level(Tensor2& out, const Tensor2& x, const NoiseLevel& level, const Labels*,
                        const Executor&) override {
    const double s = level.t / T_;
    out.resize(x.shape());
    for (std::size_t b = 0; b < x.shape(0); ++b) {
      for (std::size_t d = 0; d < x.shape(1); ++d) {
        const double s2 = sd_[d] * sd_[d], v = (1 - s) * (1 - s) * s2 + s * s;
        const double c = x(b, d) - (1 - s) * mean_[d];
        out(b, d) = static_cast<float>(s * c / v - (mean_[d] + (1 - s) * s2 * c / v));
      }
    }
  }

 private:
  std::vector<double> mean_, sd_;
  int T_;
};

}  // namespace

// A flow model's ODE carries N(0, I) at s = 1 exactly to the data at s = 0, so for Gaussian data
// its NLL is -log N(x; m, s^2) in closed form; the field is linear in x, so only the solver
// (local tolerance per step) and rounding (1e-4 D, as above) err.
TEST_CASE("a flow model: the ODE NLL of Gaussian data is its closed-form -log density") {
  const NoiseSchedule schedule = schedule_make({});
  const std::vector<double> mean{0.3, -0.5}, sd{0.4, 1.3};
  GaussianFlow flow(mean, sd, schedule.T);
  const Tensor2 x{{0.3f, -0.5f}, {1.1f, 0.7f}, {-0.6f, -3.1f}, {0.0f, 2.5f}};
  for (const double tolerance : {1e-5, 1e-9}) {
    OdeLikelihoodConfig config;
    config.flow = true;
    config.rtol = config.atol = tolerance;
    const OdeLikelihoodResult r = ode_likelihood_evaluate(flow, schedule, config, x, 0);
    const double budget = (r.steps + r.rejected) * tolerance * 11 + 2e-4;
    for (std::size_t i = 0; i < 4; ++i) {
      double expected = 0;
      for (std::size_t d = 0; d < 2; ++d) {
        const double z = (x(i, d) - mean[d]) / sd[d];
        expected += 0.5 * z * z + std::log(sd[d]) + 0.5 * std::log(2 * pi);
      }
      INFO("rtol " << tolerance << " example " << i << ": " << r.per_example(i) << " vs "
                   << expected << ", " << r.steps << " steps");
      CHECK(std::fabs(r.per_example(i) - expected) < (tolerance < 1e-6 ? 2e-4 : budget));
    }
    CHECK(r.sigma_min == 0.0);
    CHECK(r.sigma_max == 1.0);
  }
  // Hutchinson's estimate of the same: unbiased, within 4 standard errors of the exact mean.
  OdeLikelihoodConfig hutchinson;
  hutchinson.flow = true;
  hutchinson.divergence = DivergenceMethod::hutchinson;
  hutchinson.probes = 4;
  const Tensor2 many = draw(gaussian_mixture_make(Table{1.0}, MixtureMatrix{{0.3, -0.5}},
                                                  MixtureMatrix{{0.4, 1.3}}), 200, 4);
  OdeLikelihoodConfig exact;
  exact.flow = true;
  const OdeLikelihoodResult e = ode_likelihood_evaluate(flow, schedule, exact, many, 1);
  const OdeLikelihoodResult h = ode_likelihood_evaluate(flow, schedule, hutchinson, many, 1);
  CHECK(std::fabs(h.nll_nats - e.nll_nats) <= 4 * h.probe_standard_error + 1e-3);
}

TEST_CASE("a wrong model gives a clearly different NLL (the check can fail)") {
  const GaussianMixture data = normalized_gaussians8();
  const NoiseSchedule schedule = schedule_make({});
  GaussianMixture blurred = data;
  for (auto& s : blurred.stds) s *= 2;
  MixtureDenoiser wrong(blurred, schedule, Prediction::eps);
  const Tensor2 x = draw(data, 32, 4);
  const OdeLikelihoodResult r = ode_likelihood_evaluate(wrong, schedule, {}, x, 0);
  const Table truth = true_nll(data, schedule_sigmas(schedule).front(), x);
  double mean_truth = 0;
  for (double v : truth) mean_truth += v / 32;
  CHECK(r.nll_nats > mean_truth + 0.3);
}

TEST_CASE("Hutchinson's estimate agrees with the exact NLL within its standard error") {
  // A 6-dimensional mixture with unequal, correlated-looking components: the Jacobian has
  // off-diagonal terms, so the probes' variance is not zero.
  Rng rng(17);
  MixtureMatrix means = xt::zeros<double>({3, 6}), stds = xt::zeros<double>({3, 6});
  for (auto& m : means) m = 1.2 * rng.normal();
  for (auto& s : stds) s = 0.3 + 0.4 * rng.uniform();
  const GaussianMixture data = gaussian_mixture_make(Table{0.5, 0.3, 0.2}, means, stds);
  const NoiseSchedule schedule = schedule_make({});
  MixtureDenoiser denoiser(data, schedule, Prediction::eps);
  const Tensor2 x = draw(data, 64, 5);
  const OdeLikelihoodResult exact = ode_likelihood_evaluate(denoiser, schedule, {}, x, 0);
  OdeLikelihoodConfig config;
  config.divergence = DivergenceMethod::hutchinson;
  config.probes = 4;
  const OdeLikelihoodResult hutch = ode_likelihood_evaluate(denoiser, schedule, config, x, 7);
  CHECK(hutch.rows_per_evaluation == 9);
  // Paired differences: only the probes' noise remains.
  const std::size_t n = x.shape(0);
  double sum = 0, sum_sq = 0;
  for (std::size_t i = 0; i < n; ++i) sum += hutch.per_example(i) - exact.per_example(i);
  const double mean = sum / n;
  for (std::size_t i = 0; i < n; ++i)
    sum_sq += std::pow(hutch.per_example(i) - exact.per_example(i) - mean, 2);
  const double observed_se = std::sqrt(sum_sq / (n - 1) / n);
  INFO("mean difference " << mean << ", observed s.e. " << observed_se << ", reported probe s.e. "
                          << hutch.probe_standard_error);
  CHECK(observed_se > 1e-3);  // the estimator does vary
  CHECK(std::fabs(mean) < test::z_bound * observed_se);
  // The reported probe standard error (from each example's 4 probes) matches the spread.
  CHECK(hutch.probe_standard_error > 0.6 * observed_se);
  CHECK(hutch.probe_standard_error < 1.6 * observed_se);
  CHECK(std::isnan(exact.probe_standard_error));
}

TEST_CASE("the field's Hutchinson estimates average to its exact divergence") {
  Rng rng(23);
  MixtureMatrix means = xt::zeros<double>({2, 5}), stds = xt::zeros<double>({2, 5});
  for (auto& m : means) m = rng.normal();
  for (auto& s : stds) s = 0.2 + 0.3 * rng.uniform();
  const GaussianMixture data = gaussian_mixture_make(Table{0.5, 0.5}, means, stds);
  const NoiseSchedule schedule = schedule_make({});
  MixtureDenoiser denoiser(data, schedule, Prediction::v);
  OdeField exact(denoiser, schedule, DivergenceMethod::exact, 1);
  OdeField hutch(denoiser, schedule, DivergenceMethod::hutchinson, ode_max_probes);
  OdeMatrix y = xt::zeros<double>({1, 5});
  for (std::size_t d = 0; d < 5; ++d)
    y(0, d) = 0.5 * (means(0, d) + means(1, d));  // between the two
  OdeMatrix reference, estimates;
  const double u = std::log(0.4);
  exact.evaluate(reference, u, y, Tensor2{}, serial_executor());
  double sum = 0, sum_sq = 0;
  int count = 0;
  for (std::uint64_t seed = 0; seed < 32; ++seed) {
    Tensor2 probes;
    ode_probes_fill(probes, 1, ode_max_probes, 5, seed, 0);
    hutch.evaluate(estimates, u, y, probes, serial_executor());
    for (std::size_t d = 0; d < 5; ++d)
      CHECK(estimates(0, d) == reference(0, d));  // the same drift
    for (int m = 0; m < ode_max_probes; ++m) {
      const double v = estimates(0, 5 + static_cast<std::size_t>(m));
      sum += v, sum_sq += v * v, ++count;
    }
  }
  const double mean = sum / count, variance = (sum_sq - sum * mean) / (count - 1);
  INFO("exact " << reference(0, 5) << ", Hutchinson mean " << mean << ", sd "
                << std::sqrt(variance));
  CHECK(variance > 1e-6);
  CHECK(std::fabs(mean - reference(0, 5)) <
        test::mean_tolerance(variance, static_cast<std::size_t>(count)));
}

TEST_CASE("probes are +-1, balanced, and each example's do not depend on the blocks") {
  Tensor2 all, tail;
  ode_probes_fill(all, 10, 3, 7, 42, 0);
  ode_probes_fill(tail, 4, 3, 7, 42, 6);
  REQUIRE(all.shape(0) == 30);
  double sum = 0;
  for (float v : all) {
    CHECK((v == 1.0f || v == -1.0f));
    sum += v;
  }
  CHECK(std::fabs(sum) < 5 * std::sqrt(210.0));
  for (std::size_t r = 0; r < 12; ++r)
    for (std::size_t d = 0; d < 7; ++d) CHECK(tail(r, d) == all(18 + r, d));
}

TEST_CASE("dequantization spreads each value over its own bin, row by row") {
  const int levels = 17;
  const double width = 2.0 / (levels - 1);
  Tensor2 x = xt::zeros<float>({200, 3});
  for (std::size_t i = 0; i < 200; ++i)
    for (std::size_t d = 0; d < 3; ++d)
      x(i, d) = static_cast<float>(-1 + width * ((i + d) % levels));
  Tensor2 a = x, b = xt::view(x, xt::range(50, 200), xt::all());
  ode_dequantize(a, levels, 9, 0);
  ode_dequantize(b, levels, 9, 50);
  double sum = 0;
  for (std::size_t i = 0; i < 200; ++i) {
    for (std::size_t d = 0; d < 3; ++d) {
      const double offset = (static_cast<double>(a(i, d)) - x(i, d)) / width;
      CHECK(offset >= -0.5 - 1e-6);
      CHECK(offset < 0.5 + 1e-6);
      sum += offset;
      if (i >= 50) CHECK(b(i - 50, d) == a(i, d));
    }
  }
  CHECK(std::fabs(sum / 600) < 5 * std::sqrt(1.0 / 12 / 600));
  CHECK_THROWS_AS(ode_dequantize(a, 1, 0), Error);
}

TEST_CASE("bad configurations are refused with the field named") {
  OdeLikelihoodConfig c;
  CHECK_NOTHROW(ode_likelihood_config_validate(c, 16));
  CHECK_THROWS_WITH(ode_likelihood_config_validate(c, 17), Catch::Contains("hutchinson"));
  c.divergence = DivergenceMethod::hutchinson;
  CHECK_NOTHROW(ode_likelihood_config_validate(c, 784));
  c.probes = 0;
  CHECK_THROWS_WITH(ode_likelihood_config_validate(c, 784), Catch::Contains("probes = 0"));
  c = {};
  c.probes = 2;
  CHECK_THROWS_WITH(ode_likelihood_config_validate(c, 2), Catch::Contains("exact takes none"));
  c = {};
  c.rtol = 0;
  CHECK_THROWS_WITH(ode_likelihood_config_validate(c, 2), Catch::Contains("rtol"));
  c = {};
  c.batch = 0;
  CHECK_THROWS_WITH(ode_likelihood_config_validate(c, 2), Catch::Contains("batch"));
  CHECK(ode_default_divergence(16) == DivergenceMethod::exact);
  CHECK(ode_default_divergence(64) == DivergenceMethod::hutchinson);
  const NoiseSchedule schedule = schedule_make({});
  MixtureDenoiser denoiser(normalized_gaussians8(), schedule, Prediction::eps);
  CHECK_THROWS_WITH(
      ode_likelihood_evaluate(denoiser, schedule, {}, Tensor2(xt::zeros<float>({3, 3})), 0),
      Catch::Contains("D = 3"));
  OdeLikelihoodConfig few;
  few.max_steps = 3;
  CHECK_THROWS_WITH(
      ode_likelihood_evaluate(denoiser, schedule, few, draw(normalized_gaussians8(), 4, 1), 0),
      Catch::Contains("more than 3 steps"));
}

TEST_CASE("blocks change nothing beyond the tolerance; the evaluator reports its progress") {
  const GaussianMixture data = normalized_gaussians8();
  const NoiseSchedule schedule = schedule_make({});
  MixtureDenoiser denoiser(data, schedule, Prediction::x0);
  const Tensor2 x = draw(data, 20, 8);
  OdeLikelihoodConfig config;
  config.batch = 7;
  OdeLikelihoodEvaluator evaluator(denoiser, schedule, config, x, 0);
  CHECK(evaluator.blocks_total() == 3);
  CHECK_THROWS_AS(evaluator.result(), Error);
  evaluator.advance(2);
  CHECK(evaluator.blocks_done() == 2);
  evaluator.advance(5);
  REQUIRE(evaluator.done());
  const OdeLikelihoodResult blocked = evaluator.result();
  const OdeLikelihoodResult whole = ode_likelihood_evaluate(denoiser, schedule, {}, x, 0);
  for (std::size_t i = 0; i < 20; ++i)
    CHECK(std::fabs(blocked.per_example(i) - whole.per_example(i)) < 1e-3);
  CHECK(std::fabs(blocked.nll_nats - blocked.prior + blocked.divergence_integral) < 1e-12);
}
