// The ELBO evaluator (diffusion/elbo.hpp) with the oracle denoiser of data whose density is known:
// - Gaussian data: every term's expectation over x_t given x_0 has a closed form (the oracle's
//   x0_hat is affine in x_t), so each example's expected bound is exact; the evaluator's
//   per-example bounds must average to it within their Monte-Carlo error, and the gap to the true
//   NLL (the entropy) is an exact number;
// - gaussians8: the average bound is at least the true NLL (cross-entropy >= entropy), and its gap
//   equals the closed-form gap of one isolated component of the same width (neighbours 15 widths
//   apart interact only where the terms are negligible);
// - stratified estimates agree with the exact sum within their reported standard errors (and equal
//   it draw for draw with one step per stratum); a wrong denoiser gives a much looser bound.
// Tolerances: z = 5 standard errors (tests/support/statistics.hpp), the standard errors computed
// from the per-example spread of paired differences.
#include <catch2/catch.hpp>

#include <cmath>

#include "base/error.hpp"
#include "diffusion/elbo.hpp"
#include "diffusion/mixture_denoiser.hpp"
#include "support/statistics.hpp"

using namespace diffuse;

namespace {

constexpr double pi = 3.14159265358979323846;

// E over x_t ~ q(x_t | x_0) of one example's bound, for data N(m, s^2) in 1D and the oracle:
// x0_hat = m + g (x_t - sqrt(ab) m), g = sqrt(ab) s^2 / (ab s^2 + 1 - ab), so
// E[(x_0 - x0_hat)^2 | x_0] = (x_0 - m)^2 (1 - g sqrt(ab))^2 + g^2 (1 - ab), and each Gaussian KL's
// mean term is coef1^2 times that over 2 sigma_t^2 (seed 004 eq. 11).
double expected_bound(const NoiseSchedule& s, ReverseVariance variance, double m, double sd,
                      double x0) {
  const int T = s.T;
  const double ab_last = s.alpha_bar(T - 1);
  double total = 0.5 * (-std::log(1 - ab_last) + (1 - ab_last) + ab_last * x0 * x0 - 1);  // L_T
  for (int t = 0; t < T; ++t) {
    const double ab = s.alpha_bar(t), g = std::sqrt(ab) * sd * sd / (ab * sd * sd + 1 - ab);
    const double mse = (x0 - m) * (x0 - m) * std::pow(1 - g * std::sqrt(ab), 2) + g * g * (1 - ab);
    const double beta = s.beta(t), ab_prev = t > 0 ? s.alpha_bar(t - 1) : 1.0;
    const double var_q = (1 - ab_prev) / (1 - ab) * beta;  // beta~_t
    const double beta_tilde_1 = (1 - s.alpha_bar(0)) / (1 - s.alpha_bar(1)) * s.beta(1);
    if (t == 0) {  // decoder N(x0; x0_hat, beta~_1), coef1 = 1 at t = 0
      total += 0.5 * std::log(2 * pi * beta_tilde_1) + mse / (2 * beta_tilde_1);
      continue;
    }
    const double var_p = variance == ReverseVariance::fixed_small ? var_q : beta;
    const double coef1 = beta * std::sqrt(ab_prev) / (1 - ab);
    total += 0.5 * (std::log(var_p / var_q) + var_q / var_p - 1);
    total += coef1 * coef1 * mse / (2 * var_p);
  }
  return total;
}

struct Paired {
  double mean, standard_error;
};
// Mean and standard error of a[i] - b[i].
Paired paired(const Table& a, const Table& b) {
  const std::size_t n = a.size();
  double sum = 0, sum_sq = 0;
  for (std::size_t i = 0; i < n; ++i) sum += a(i) - b(i);
  const double mean = sum / n;
  for (std::size_t i = 0; i < n; ++i) sum_sq += std::pow(a(i) - b(i) - mean, 2);
  return {mean, std::sqrt(sum_sq / (n - 1) / n)};
}

GaussianMixture normalized_gaussians8(Table* std_out = nullptr) {
  const GaussianMixture raw = gaussian_mixture_gaussians8();
  Table std_dev = gaussian_mixture_variance(raw);
  for (auto& v : std_dev) v = std::sqrt(v);
  if (std_out) *std_out = std_dev;
  return gaussian_mixture_normalized(raw, gaussian_mixture_mean(raw), std_dev);
}

Tensor2 draw(const GaussianMixture& data, std::size_t n, std::uint64_t seed) {
  Rng rng(seed);
  Tensor2 x;
  gaussian_mixture_sample(x, nullptr, data, n, rng);
  return x;
}

// The closed-form gap (expected bound - entropy) of D-dimensional isotropic Gaussian data of
// width sd, summed over dimensions (the expectation of expected_bound over x_0 ~ N(0, sd^2)).
double gaussian_gap(const NoiseSchedule& s, ReverseVariance variance, double sd, int D) {
  // expected_bound is quadratic in x_0: average it exactly with 3-point Gauss-Hermite nodes.
  const double nodes[3] = {-std::sqrt(3.0), 0.0, std::sqrt(3.0)};
  const double weights[3] = {1 / 6.0, 4 / 6.0, 1 / 6.0};
  double mean = 0;
  for (int i = 0; i < 3; ++i) {
    mean += weights[i] * expected_bound(s, variance, 0.0, sd, sd * nodes[i]);
  }
  return D * (mean - 0.5 * std::log(2 * pi * std::exp(1.0) * sd * sd));
}

// Predicts eps = 0 everywhere: a deliberately wrong model.
class ZeroDenoiser final : public Denoiser {
 public:
  std::size_t data_dim() const override { return 2; }
  Prediction prediction() const override { return Prediction::eps; }
  using Denoiser::predict;
  void predict(Tensor2& out, const Tensor2& x_t, const Steps&, const Labels*,
               const Executor&) override {
    out = Tensor2::from_shape(x_t.shape());
    out.fill(0.0f);
  }
};

}  // namespace

TEST_CASE("Gaussian data: per-example bounds average to their closed-form expectation") {
  for (auto kind : {ScheduleKind::linear, ScheduleKind::cosine}) {
    ScheduleConfig sc;
    sc.kind = kind;
    sc.timesteps = kind == ScheduleKind::linear ? 1000 : 100;
    const NoiseSchedule s = schedule_make(sc);
    const double m = 0.5, sd = 0.8;
    const GaussianMixture data =
        gaussian_mixture_make(Table{1.0}, MixtureMatrix{{m}}, MixtureMatrix{{sd}});
    MixtureDenoiser oracle(data, s, Prediction::eps);
    const Tensor2 x0 = draw(data, 2000, 1);
    for (auto variance : {ReverseVariance::fixed_small, ReverseVariance::fixed_large}) {
      ElboConfig c;
      c.variance = variance;
      const ElboResult r = elbo_evaluate(oracle, s, c, x0, 2);
      Table expected = Table::from_shape({2000}), nll = Table::from_shape({2000});
      for (std::size_t i = 0; i < 2000; ++i) {
        expected(i) = expected_bound(s, variance, m, sd, x0(i, 0));
        nll(i) = 0.5 * std::log(2 * pi * sd * sd) + std::pow(x0(i, 0) - m, 2) / (2 * sd * sd);
      }
      // Given x_0 only the x_t draws vary: the paired difference has mean 0.
      const Paired mc = paired(r.per_example, expected);
      const Paired gap = paired(r.per_example, nll);
      INFO(schedule_kinds.name(kind) << " " << reverse_variances.name(variance) << ": bound "
           << r.nll_bound_nats << ", MC deviation " << mc.mean << " +- " << mc.standard_error
           << ", gap to the true NLL " << gap.mean << " (closed form "
           << gaussian_gap(s, variance, sd, 1) << ")");
      CHECK(std::abs(mc.mean) <= test::z_bound * mc.standard_error);
      CHECK(gap.mean >= -test::z_bound * gap.standard_error);  // bound >= NLL on average
      CHECK(gaussian_gap(s, variance, sd, 1) > 0);
      // The reported Monte-Carlo error covers the observed spread of the x_t draws (it is
      // conservative: it also holds the spread of the terms' means over examples).
      CHECK(r.monte_carlo_standard_error >= 0.8 * mc.standard_error);
    }
  }
}

TEST_CASE("gaussians8: the bound is above the true NLL by the gap of an isolated component") {
  const GaussianMixture data = normalized_gaussians8();
  const double sd = data.stds(0, 0);
  const Tensor2 x0 = draw(data, 2000, 5);
  Table log_p;
  gaussian_mixture_log_density(log_p, data, x0);
  const Table nll = -log_p;
  double gap_small_1000 = 0;
  for (int T : {1000, 100}) {
    ScheduleConfig sc;
    sc.timesteps = T;
    const NoiseSchedule s = schedule_make(sc);
    MixtureDenoiser oracle(data, s, Prediction::eps);
    for (auto variance : {ReverseVariance::fixed_small, ReverseVariance::fixed_large}) {
      ElboConfig c;
      c.variance = variance;
      const ElboResult r = elbo_evaluate(oracle, s, c, x0, 3);
      const Paired gap = paired(r.per_example, nll);
      const double isolated = gaussian_gap(s, variance, sd, 2);
      INFO("T = " << T << " " << reverse_variances.name(variance) << ": bound "
                  << r.nll_bound_nats << " nats, true NLL " << xt::mean(nll)() << ", gap "
                  << gap.mean << " +- " << gap.standard_error << ", isolated component's "
                  << isolated);
      CHECK(gap.mean >= -test::z_bound * gap.standard_error);
      if (T == 1000) CHECK(std::abs(gap.mean - isolated) <= test::z_bound * gap.standard_error);
      if (T == 1000 && variance == ReverseVariance::fixed_small) gap_small_1000 = gap.mean;
      if (T == 100 && variance == ReverseVariance::fixed_small) {
        // Fewer, larger steps: a looser bound (closed forms 2.17 vs 0.93 nats).
        CHECK(gap.mean - gap_small_1000 > test::z_bound * 2 * gap.standard_error);
      }
    }
  }
}

TEST_CASE("a denoiser predicting zeros gives a much looser bound") {
  const GaussianMixture data = normalized_gaussians8();
  const NoiseSchedule s = schedule_make({});
  const Tensor2 x0 = draw(data, 500, 6);
  MixtureDenoiser oracle(data, s, Prediction::eps);
  ZeroDenoiser zero;
  const ElboResult good = elbo_evaluate(oracle, s, {}, x0, 1);
  const ElboResult bad = elbo_evaluate(zero, s, {}, x0, 1);
  INFO("oracle " << good.nll_bound_nats << " nats, zeros " << bad.nll_bound_nats);
  // The oracle's gap is ~0.9 nats; eps = 0 claims x0_hat = x_t / sqrt(ab) and pays ~14 nats.
  CHECK(bad.nll_bound_nats - good.nll_bound_nats > 10.0);
}

TEST_CASE("stratified estimates agree with the exact sum within the reported errors") {
  const GaussianMixture data = normalized_gaussians8();
  const NoiseSchedule s = schedule_make({});
  MixtureDenoiser oracle(data, s, Prediction::eps);
  const Tensor2 x0 = draw(data, 1000, 7);
  const ElboResult exact = elbo_evaluate(oracle, s, {}, x0, 8);
  for (int strata : {1, 10, 50, 200}) {
    ElboConfig c;
    c.strata = strata;
    const ElboResult r = elbo_evaluate(oracle, s, c, x0, 8);
    const double error = std::hypot(r.monte_carlo_standard_error, exact.monte_carlo_standard_error);
    INFO(strata << " strata: " << r.nll_bound_nats << " +- " << r.monte_carlo_standard_error
                << " vs exact " << exact.nll_bound_nats << " +- "
                << exact.monte_carlo_standard_error);
    CHECK(std::abs(r.nll_bound_nats - exact.nll_bound_nats) <= test::z_bound * error);
    CHECK(r.prior == exact.prior);      // analytic
    CHECK(r.decoder == exact.decoder);  // the same draws
    CHECK(r.per_t.size() == 0);
  }
  // One step per stratum: the same terms from the same draws, so the same sums up to rounding.
  ElboConfig all;
  all.strata = 999;
  const ElboResult r = elbo_evaluate(oracle, s, all, x0, 8);
  for (std::size_t i = 0; i < 1000; ++i) {
    REQUIRE(r.per_example(i) == Approx(exact.per_example(i)).epsilon(1e-12).margin(1e-9));
  }
}

TEST_CASE("per-t terms, units and bits per dimension are consistent") {
  Table std_dev;
  const GaussianMixture data = normalized_gaussians8(&std_dev);
  const NoiseSchedule s = schedule_make({});
  MixtureDenoiser oracle(data, s, Prediction::v);
  const Tensor2 x0 = draw(data, 1000, 9);
  ElboConfig c;
  c.log_std_sum = std::log(std_dev(0)) + std::log(std_dev(1));
  const ElboResult r = elbo_evaluate(oracle, s, c, x0, 4);
  REQUIRE(r.per_t.size() == 1000);
  CHECK(r.per_t(0) == Approx(r.decoder).epsilon(1e-12));
  CHECK(xt::sum(r.per_t)() - r.per_t(0) == Approx(r.diffusion).epsilon(1e-12));
  CHECK(r.nll_bound_nats == Approx(r.prior + r.diffusion + r.decoder).epsilon(1e-12));
  CHECK(xt::mean(r.per_example)() == Approx(r.nll_bound_nats).epsilon(1e-12));
  CHECK(r.nll_bound_data_nats == Approx(r.nll_bound_nats + c.log_std_sum).epsilon(1e-12));
  CHECK(r.bits_per_dim == Approx(r.nll_bound_data_nats / (2 * std::log(2.0))).epsilon(1e-12));
  // In the data's units the bound is above the NLL of the raw gaussians8 at the raw points.
  const GaussianMixture raw = gaussian_mixture_gaussians8();
  const Table mean = gaussian_mixture_mean(raw);
  Tensor2 x_raw = x0;
  for (std::size_t i = 0; i < 1000; ++i) {
    for (std::size_t d = 0; d < 2; ++d) x_raw(i, d) = float(x0(i, d) * std_dev(d) + mean(d));
  }
  Table log_p;
  gaussian_mixture_log_density(log_p, raw, x_raw);
  const Table data_nll = -log_p;
  const Paired gap = paired(r.per_example + c.log_std_sum, data_nll);
  CHECK(gap.mean >= -test::z_bound * gap.standard_error);
}

TEST_CASE("discrete data: the discretized decoder's bound is at least the entropy") {
  // Data uniform on the 4 levels {-1, -1/3, 1/3, 1}: entropy log 4. The oracle of narrow
  // components (std 1e-3) at the levels stands in for the point masses; any model's bound on a
  // probability mass is >= the entropy on average.
  const NoiseSchedule s = schedule_make({});
  const GaussianMixture data = gaussian_mixture_isotropic(
      Table{0.25, 0.25, 0.25, 0.25}, MixtureMatrix{{-1.0}, {-1.0 / 3}, {1.0 / 3}, {1.0}},
      Table{1e-3, 1e-3, 1e-3, 1e-3});
  MixtureDenoiser oracle(data, s, Prediction::eps);
  Tensor2 x0 = Tensor2::from_shape({2000, 1});
  for (std::size_t i = 0; i < 2000; ++i) x0(i, 0) = float(-1.0 + 2.0 * (i % 4) / 3.0);
  ElboConfig c;
  c.levels = 4;
  const ElboResult r = elbo_evaluate(oracle, s, c, x0, 5);
  INFO("bound " << r.nll_bound_nats << " +- " << r.standard_error
                << " vs log 4 = " << std::log(4.0));
  CHECK(r.nll_bound_nats >= std::log(4.0) - test::z_bound * r.standard_error);
  CHECK(r.decoder >= 0.0);  // -log of a probability
  CHECK(r.decoder < 1e-6);  // the bins are 94 decoder widths wide
}

TEST_CASE("incremental evaluation in slices equals one run, whatever the batch size") {
  const GaussianMixture data = normalized_gaussians8();
  const NoiseSchedule s = schedule_make({});
  MixtureDenoiser oracle(data, s, Prediction::x0);
  const Tensor2 x0 = draw(data, 50, 10);
  ElboConfig c;
  c.strata = 20;
  const ElboResult once = elbo_evaluate(oracle, s, c, x0, 11);
  c.batch = 7;
  ElboEvaluator evaluator(oracle, s, c, x0, 11);
  CHECK(evaluator.units_total() == 21 * 8);  // (L_0 + 20 strata) x ceil(50 / 7) blocks
  CHECK_THROWS_WITH(evaluator.result(), Catch::Contains("0 of 168"));
  while (!evaluator.done()) evaluator.advance(1);
  CHECK(evaluator.progress() == 1.0);
  const ElboResult sliced = evaluator.result();
  CHECK(bool(sliced.per_example == once.per_example));
  CHECK(sliced.nll_bound_nats == once.nll_bound_nats);
}

TEST_CASE("ELBO configurations are validated with the bad value named") {
  const NoiseSchedule s = schedule_make({});
  MixtureDenoiser oracle(normalized_gaussians8(), s, Prediction::eps);
  const Tensor2 x0 = {{0.1f, 0.2f}};
  ElboConfig c;
  c.strata = 1000;
  CHECK_THROWS_WITH(ElboEvaluator(oracle, s, c, x0, 1),
                    Catch::Contains("strata = 1000") && Catch::Contains("[1, T - 1] = [1, 999]"));
  c = ElboConfig{};
  c.levels = 1;
  CHECK_THROWS_WITH(ElboEvaluator(oracle, s, c, x0, 1), Catch::Contains("levels = 1"));
  c = ElboConfig{};
  c.batch = 0;
  CHECK_THROWS_WITH(ElboEvaluator(oracle, s, c, x0, 1), Catch::Contains("batch = 0"));
  CHECK_THROWS_WITH(ElboEvaluator(oracle, s, ElboConfig{}, Tensor2{{0.1f}}, 1),
                    Catch::Contains("(1, 1)") && Catch::Contains("(N, 2)"));
  ScheduleConfig zero;
  zero.zero_terminal_snr = true;
  const NoiseSchedule z = schedule_make(zero);
  MixtureDenoiser eps_model(normalized_gaussians8(), z, Prediction::eps);
  CHECK_THROWS_WITH(ElboEvaluator(eps_model, z, ElboConfig{}, x0, 1), Catch::Contains("t = 999"));
}
