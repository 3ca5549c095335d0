// The ELBO evaluator's Monte Carlo draws (ElboConfig::draws, diffusion/elbo.hpp):
// - an independent row-by-row computation of every term from the documented streams (draw r of
//   the x_t noise at step t: row i of stream (seed, "ELBN" t + 2^20 r); of the t in stratum s:
//   block i of stream (seed, "ELBT" s + 2^20 r)); one draw is that computation bit for bit (so the
//   single-draw evaluation is unchanged: draw 0's streams are the original ones), and R draws give
//   each term the mean of R such single-draw terms;
// - the Monte Carlo standard error against its closed form for Gaussian data and the oracle (each
//   term is w (a + b z)^2 with z ~ N(0, 1), so its variance and fourth moment are known): it falls
//   like 1/sqrt(R); the tolerance is z = 5 standard deviations of the variance estimate, itself
//   computed in closed form;
// - results independent of the executor and of the slicing; bad values rejected by name.
#include <catch2/catch.hpp>

#include <cmath>

#include "base/error.hpp"
#include "base/rng.hpp"
#include "diffusion/elbo.hpp"
#include "diffusion/elbo_terms.hpp"
#include "diffusion/forward_process.hpp"
#include "diffusion/mixture_denoiser.hpp"
#include "diffusion/row_noise.hpp"
#include "support/reverse_executor.hpp"
#include "support/statistics.hpp"

using namespace diffuse;

namespace {

Tensor2 draw(const GaussianMixture& data, std::size_t n, std::uint64_t seed) {
  Rng rng(seed);
  Tensor2 x;
  gaussian_mixture_sample(x, nullptr, data, n, rng);
  return x;
}

NoiseSchedule schedule_of(int T) {
  ScheduleConfig sc;
  sc.timesteps = T;
  return schedule_make(sc);
}

// Stream ids as elbo.hpp documents them, spelled out here rather than taken from the evaluator.
std::uint64_t noise_stream_of(int t, int r) {
  return (stream_tag_elbo_noise << 32) | (static_cast<std::uint64_t>(r) << 20 | t);
}
std::uint64_t steps_stream_of(int s, int r) {
  return (stream_tag_elbo_steps << 32) | (static_cast<std::uint64_t>(r) << 20 | s);
}

// One example's weighted term (L_0 for term 0) in draw r, computed alone (a batch of one row).
double single_draw_term(Denoiser& model, const NoiseSchedule& s, const Tensor2& x0_all,
                        std::size_t i, int term, int strata, int r, std::uint64_t seed) {
  const std::size_t D = x0_all.shape(1);
  int t = term;
  double weight = 1.0;
  if (strata > 0 && term > 0) {  // stratum term - 1 of `strata` over t = 1..T-1
    const int k = term - 1, T = s.T;
    const int first = 1 + k * (T - 1) / strata, end = 1 + (k + 1) * (T - 1) / strata;
    Rng rng(seed, steps_stream_of(k, r), i);
    t = first + static_cast<int>(rng.below(static_cast<std::uint32_t>(end - first)));
    weight = end - first;
  }
  Tensor2 x0 = Tensor2::from_shape({1, D}), noise = Tensor2::from_shape({1, D});
  for (std::size_t d = 0; d < D; ++d) x0(0, d) = x0_all(i, d);
  row_noise_fill(noise.data(), D, seed, noise_stream_of(t, r), i);
  Steps steps = {t};
  Tensor2 x_t, output, x0_hat;
  q_sample(x_t, x0, noise, steps, s);
  model.predict(output, x_t, steps, serial_executor());
  predicted_x0(x0_hat, output, model.prediction(), x_t, steps, s);
  std::vector<double> value;
  if (term == 0) {
    elbo_decoder_terms(value, x0, x_t, x0_hat, s, ReverseVariance::fixed_small, 0);
  } else {
    elbo_denoising_terms(value, x0, x_t, x0_hat, steps, s, ReverseVariance::fixed_small);
  }
  return weight * value[0];
}

// Each example's bound: L_T, then each term in order, each the mean of its R single-draw values.
Table reference_bounds(Denoiser& model, const NoiseSchedule& s, const Tensor2& x0, int strata,
                       int draws, std::uint64_t seed) {
  const std::size_t N = x0.shape(0);
  const int terms = 1 + (strata > 0 ? strata : s.T - 1);
  std::vector<double> prior;
  elbo_prior_terms(prior, x0, s);
  Table bound = Table::from_shape({N});
  for (std::size_t i = 0; i < N; ++i) {
    double total = prior[i];
    for (int term = 0; term < terms; ++term) {
      double sum = 0.0;
      for (int r = 0; r < draws; ++r)
        sum += single_draw_term(model, s, x0, i, term, strata, r, seed);
      total += sum / draws;
    }
    bound(i) = total;
  }
  return bound;
}

}  // namespace

TEST_CASE("draw 0 uses the original streams: one draw is the single-draw evaluation bit for bit") {
  CHECK(elbo_noise_stream(7, 0) == noise_stream(stream_tag_elbo_noise, 7));
  CHECK(elbo_steps_stream(3, 0) == noise_stream(stream_tag_elbo_steps, 3));
  CHECK(elbo_noise_stream(7, 5) == noise_stream_of(7, 5));
  CHECK(elbo_steps_stream(3, 5) == steps_stream_of(3, 5));
  CHECK(ElboConfig{}.draws == 1);
  const NoiseSchedule s = schedule_of(50);
  MixtureDenoiser oracle(gaussian_mixture_gaussians8(), s, Prediction::eps);
  const Tensor2 x0 = draw(oracle.data(), 30, 1);
  for (int strata : {0, 7}) {
    ElboConfig c;
    c.strata = strata;
    const ElboResult r = elbo_evaluate(oracle, s, c, x0, 2);
    const Table expected = reference_bounds(oracle, s, x0, strata, 1, 2);
    INFO("strata " << strata);
    CHECK(r.draws == 1);
    CHECK(bool(r.per_example == expected));  // the same operations in the same order
  }
}

TEST_CASE("R draws: each term is the mean of R single-draw terms from the draws' own streams") {
  const NoiseSchedule s = schedule_of(50);
  MixtureDenoiser oracle(gaussian_mixture_gaussians8(), s, Prediction::v);
  const Tensor2 x0 = draw(oracle.data(), 30, 3);
  for (int strata : {0, 7}) {
    ElboConfig c;
    c.strata = strata;
    c.draws = 3;
    const ElboResult r = elbo_evaluate(oracle, s, c, x0, 4);
    const Table expected = reference_bounds(oracle, s, x0, strata, 3, 4);
    const Table one_draw = reference_bounds(oracle, s, x0, strata, 1, 4);
    INFO("strata " << strata);
    CHECK(r.draws == 3);
    for (std::size_t i = 0; i < 30; ++i) {
      REQUIRE(r.per_example(i) == Approx(expected(i)).epsilon(1e-12).margin(1e-12));
      REQUIRE(r.per_example(i) != one_draw(i));  // the other draws are not draw 0 again
    }
    CHECK(r.nll_bound_nats == Approx(xt::mean(expected)()).epsilon(1e-12));
  }
}

namespace {

// Data N(m, sd^2) in 1D and its oracle: per example i and term (t = 0..T-1), the term is
// w (a + b z)^2 plus a constant, z ~ N(0, 1) (test_elbo.cpp's expected_bound derives it:
// x0 - x0_hat = (x0 - m)(1 - g sqrt(ab)) - g sqrt(1 - ab) z with g = sqrt(ab) sd^2 / (ab sd^2 +
// 1 - ab), weighted by coef1^2 / (2 sigma_t^2); at t = 0 the decoder's 1 / (2 beta~_1)). With
// y = (z + c)^2, c = a / b, a noncentral chi-square of 1 degree of freedom and lambda = c^2:
// cumulants k2 = 2 (1 + 2 lambda), k4 = 48 (1 + 4 lambda), fourth central moment k4 + 3 k2^2.
struct TermMoments {
  double variance = 0, fourth = 0;  // of w (a + b z)^2
};

TermMoments term_moments(const NoiseSchedule& s, int t, double m, double sd, double x0) {
  const double ab = s.alpha_bar(t), g = std::sqrt(ab) * sd * sd / (ab * sd * sd + 1 - ab);
  const double a = (x0 - m) * (1 - g * std::sqrt(ab)), b = -g * std::sqrt(1 - ab);
  const double beta_tilde_1 = (1 - s.alpha_bar(0)) / (1 - s.alpha_bar(1)) * s.beta(1);
  double w;
  if (t == 0) {
    w = 1 / (2 * beta_tilde_1);
  } else {
    const double ab_prev = s.alpha_bar(t - 1), beta = s.beta(t);
    const double var_q = (1 - ab_prev) / (1 - ab) * beta;  // beta~_t, fixed_small
    const double coef1 = beta * std::sqrt(ab_prev) / (1 - ab);
    w = coef1 * coef1 / (2 * var_q);
  }
  const double lambda = (a / b) * (a / b), scale = w * b * b;
  const double k2 = 2 * (1 + 2 * lambda), k4 = 48 * (1 + 4 * lambda);
  return {scale * scale * k2, std::pow(scale, 4) * (k4 + 3 * k2 * k2)};
}

}  // namespace

TEST_CASE("the Monte Carlo standard error falls like 1/sqrt(R), as its closed form says") {
  // 1,000 examples: the few terms near t = 0 carry most of the variance, so the estimate of it is
  // only as good as about 2 N independent values (relative sd 4.7% at R = 2, 2.2% at R = 8).
  ScheduleConfig sc;
  sc.kind = ScheduleKind::cosine;
  sc.timesteps = 100;
  const NoiseSchedule s = schedule_make(sc);
  const double m = 0.5, sd = 0.8;
  const GaussianMixture data =
      gaussian_mixture_make(Table{1.0}, MixtureMatrix{{m}}, MixtureMatrix{{sd}});
  MixtureDenoiser oracle(data, s, Prediction::eps);
  const std::size_t N = 1000;
  const Tensor2 x0 = draw(data, N, 5);
  for (int R : {2, 8}) {
    ElboConfig c;
    c.draws = R;
    const ElboResult r = elbo_evaluate(oracle, s, c, x0, 6);
    // The reported variance is V = sum over examples i and terms j of s^2_ij / (R N^2), s^2_ij the
    // sample variance of R independent draws: E[V] = sum sigma^2_ij / (R N^2), and
    // Var[V] = sum Var[s^2_ij] / (R N^2)^2 with Var[s^2] = mu4 / R - sigma^4 (R - 3) / (R (R - 1)).
    double expected = 0, spread = 0;
    for (std::size_t i = 0; i < N; ++i) {
      for (int t = 0; t < s.T; ++t) {
        const TermMoments mo = term_moments(s, t, m, sd, x0(i, 0));
        expected += mo.variance;
        spread += mo.fourth / R - mo.variance * mo.variance * (R - 3) / (R * (R - 1.0));
      }
    }
    const double norm = static_cast<double>(R) * N * N;
    expected /= norm;
    const double tolerance = test::z_bound * std::sqrt(spread) / norm;
    const double reported = r.monte_carlo_standard_error * r.monte_carlo_standard_error;
    INFO("R = " << R << ": reported MC variance " << reported << ", closed form " << expected
                << " +- " << tolerance / test::z_bound << " (MC s.e. "
                << r.monte_carlo_standard_error << " vs " << std::sqrt(expected) << ")");
    // The check can tell 1/R from 1/sqrt(R) or from no averaging: the tolerance is well under
    // the factor sqrt(2) between R and 2R.
    CHECK(tolerance < 0.3 * expected);
    CHECK(std::abs(reported - expected) <= tolerance);
  }
}

TEST_CASE("R draws: results do not depend on the executor or on the slicing") {
  const NoiseSchedule s = schedule_of(200);
  MixtureDenoiser oracle(gaussian_mixture_gaussians8(), s, Prediction::x0);
  const Tensor2 x0 = draw(oracle.data(), 300, 10);  // more than one executor task per block
  for (int strata : {0, 20}) {
    ElboConfig c;
    c.strata = strata;
    c.draws = 3;
    const ElboResult once = elbo_evaluate(oracle, s, c, x0, 11);
    const ElboResult reversed = elbo_evaluate(oracle, s, c, x0, 11, test::ReverseExecutor());
    c.batch = 77;
    ElboEvaluator evaluator(oracle, s, c, x0, 11);
    CHECK(evaluator.units_total() == (strata > 0 ? 21 : 200) * 4);  // draws stay in one unit
    while (!evaluator.done()) evaluator.advance(3);
    const ElboResult sliced = evaluator.result();
    INFO("strata " << strata);
    CHECK(bool(reversed.per_example == once.per_example));
    CHECK(bool(sliced.per_example == once.per_example));
    CHECK(reversed.monte_carlo_standard_error == once.monte_carlo_standard_error);
    CHECK(sliced.monte_carlo_standard_error ==
          Approx(once.monte_carlo_standard_error).epsilon(1e-12));
  }
}

TEST_CASE("bad draws are rejected with the value named") {
  const NoiseSchedule s = schedule_make({});
  MixtureDenoiser oracle(gaussian_mixture_gaussians8(), s, Prediction::eps);
  const Tensor2 x0 = {{0.1f, 0.2f}};
  for (int draws : {0, -1, elbo_max_draws + 1}) {
    ElboConfig c;
    c.draws = draws;
    CHECK_THROWS_WITH(
        ElboEvaluator(oracle, s, c, x0, 1),
        Catch::Contains("draws = " + std::to_string(draws)) && Catch::Contains("[1, 4096]"));
  }
  ElboConfig c;
  c.draws = elbo_max_draws;
  CHECK_NOTHROW(elbo_config_validate(c, 1000));
  c.draws = 2;  // the draw index and t share the stream index: t < 2^20
  CHECK_NOTHROW(elbo_config_validate(c, 1 << 20));
  CHECK_THROWS_WITH(elbo_config_validate(c, (1 << 20) + 1),
                    Catch::Contains("draws = 2") && Catch::Contains("T <= 1048576"));
  c.draws = 1;
  CHECK_NOTHROW(elbo_config_validate(c, (1 << 20) + 1));
}
