#include "diffusion/elbo.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "base/error.hpp"
#include "base/rng.hpp"
#include "diffusion/elbo_terms.hpp"
#include "diffusion/forward_process.hpp"
#include "diffusion/learned_variance.hpp"
#include "diffusion/parameterization.hpp"
#include "diffusion/row_noise.hpp"
#include "diffusion/row_tasks.hpp"

namespace diffuse {
namespace {

constexpr double ln2 = 0.69314718055994530942;
constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();

// Stratum s of K over t = 1..T-1: [first, end).
int stratum_first(int s, int K, int T) {
  return 1 + static_cast<int>(static_cast<long long>(s) * (T - 1) / K);
}

// Sample variance of values whose sum and sum of squares over n are given (NaN for n < 2).
double sample_variance(double sum, double sum_sq, std::size_t n) {
  if (n < 2) return not_a_number;
  const double nd = static_cast<double>(n);
  return std::max(0.0, (sum_sq - sum * sum / nd) / (nd - 1.0));
}

}  // namespace

void elbo_config_validate(const ElboConfig& c, int T) {
  reverse_variances.name(c.variance);  // throws on an unknown value
  if (c.strata < 0 || c.strata > T - 1) {
    fail("strata = ", c.strata, " is invalid: must be 0 (exact) or in [1, T - 1] = [1, ", T - 1,
         "]");
  }
  if (c.levels < 0 || c.levels == 1) {
    fail("levels = ", c.levels, " is invalid: must be 0 (continuous data) or at least 2");
  }
  if (!std::isfinite(c.log_std_sum)) {
    fail("log_std_sum = ", c.log_std_sum, " is invalid: must be finite");
  }
  if (c.batch == 0) fail("batch = 0 is invalid: must be at least 1");
  if (c.draws < 1 || c.draws > elbo_max_draws) {
    fail("draws = ", c.draws, " is invalid: must be in [1, ", elbo_max_draws, "]");
  }
  if (c.draws > 1 && T > (1 << elbo_draw_shift)) {
    fail("draws = ", c.draws, " needs T <= ", 1 << elbo_draw_shift, " (T = ", T,
         "): the draw index shares the noise stream index with t");
  }
}

ElboEvaluator::ElboEvaluator(Denoiser& denoiser, const NoiseSchedule& schedule,
                             const ElboConfig& config, Tensor2 x0, std::uint64_t seed,
                             Labels labels)
    : denoiser_(&denoiser),
      schedule_(&schedule),
      config_(config),
      seed_(seed),
      x0_(std::move(x0)),
      labels_(std::move(labels)) {
  elbo_config_validate(config, schedule.T);
  const std::size_t N = x0_.shape(0), D = denoiser.data_dim();
  if (N == 0 || x0_.shape(1) != D) {
    fail("examples have shape (", N, ", ", x0_.shape(1), "): the denoiser needs (N, ", D,
         ") with N >= 1");
  }
  if (labels_.size() > 0 && labels_.size() != N) {
    fail("the ELBO has ", N, " examples but ", labels_.size(), " labels");
  }
  for (int t = 0; t < schedule.T; ++t) {
    reverse_step_check_prediction(denoiser.prediction(), schedule, t);
  }
  if (config.variance == ReverseVariance::learned_range && !denoiser.learned_variance()) {
    fail("variance learned_range needs a model with a learned variance; this one's is fixed: ",
         "use fixed_small or fixed_large");
  }
  terms_ = 1 + (stratified() ? config.strata : schedule.T - 1);
  blocks_ = static_cast<int>((N + config.batch - 1) / config.batch);
  term_sum_.assign(static_cast<std::size_t>(terms_), 0.0);
  term_sum_sq_.assign(static_cast<std::size_t>(terms_), 0.0);
  term_within_.assign(static_cast<std::size_t>(terms_), 0.0);
  elbo_prior_terms(per_example_, x0_, schedule);  // seed 004 eq. 9
  for (double v : per_example_) prior_sum_ += v;
}

int ElboEvaluator::step_of(int term, int draw, std::size_t example) const {
  if (!stratified() || term == 0) return term;
  const int s = term - 1, K = config_.strata, T = schedule_->T;
  const int first = stratum_first(s, K, T), size = stratum_first(s + 1, K, T) - first;
  Rng rng(seed_, elbo_steps_stream(s, draw), example);
  return first + static_cast<int>(rng.below(static_cast<std::uint32_t>(size)));
}

double ElboEvaluator::weight_of(int term) const {
  if (!stratified() || term == 0) return 1.0;
  const int s = term - 1, K = config_.strata, T = schedule_->T;
  return stratum_first(s + 1, K, T) - stratum_first(s, K, T);
}

void ElboEvaluator::draw_terms(double* out, int term, int draw, std::size_t first, std::size_t end,
                               const Executor& executor) const {
  const std::size_t B = end - first, D = x0_.shape(1);
  Tensor2 x0 = Tensor2::from_shape({B, D}), noise = Tensor2::from_shape({B, D});
  Steps t = Steps::from_shape({B});
  std::copy(x0_.data() + first * D, x0_.data() + end * D, x0.data());
  run_rows(B, executor, [&](std::size_t b) {
    t(b) = step_of(term, draw, first + b);
    row_noise_fill(noise.data() + b * D, D, seed_, elbo_noise_stream(t(b), draw), first + b);
  });
  Labels labels;
  if (labels_.size() > 0) {
    labels = Labels::from_shape({B});
    std::copy(labels_.data() + first, labels_.data() + end, labels.data());
  }
  const Labels* row_labels = labels_.size() > 0 ? &labels : nullptr;
  Tensor2 x_t, output, x0_hat;
  q_sample(x_t, x0, noise, t, *schedule_);  // x_t ~ q(x_t | x_0), seed 002 section 6
  std::vector<double> values;
  if (config_.variance == ReverseVariance::learned_range) {
    // The model's own Sigma (improved DDPM eq. 15): the same terms with its log variances.
    Tensor2 o;
    LogVariances log_variance;
    denoiser_->predict_with_variance(output, o, x_t, t, row_labels, executor);
    predicted_x0(x0_hat, output, denoiser_->prediction(), x_t, t, *schedule_);
    learned_log_variances(log_variance, o, t, *schedule_);
    vlb_terms(values, nullptr, x0, x_t, x0_hat, log_variance, t, *schedule_, config_.levels);
    const double weight = weight_of(term);
    for (std::size_t b = 0; b < B; ++b) out[b] = weight * values[b];
    return;
  }
  if (stratified() && term > 0) {
    denoiser_->predict(output, x_t, t, row_labels, executor);
  } else {
    denoiser_->predict_at(output, x_t, term, row_labels, executor);
  }
  predicted_x0(x0_hat, output, denoiser_->prediction(), x_t, t, *schedule_);
  if (term == 0) {  // seed 004 eq. 8
    elbo_decoder_terms(values, x0, x_t, x0_hat, *schedule_, config_.variance, config_.levels);
  } else {  // seed 004 eq. 10
    elbo_denoising_terms(values, x0, x_t, x0_hat, t, *schedule_, config_.variance);
  }
  const double weight = weight_of(term);
  for (std::size_t b = 0; b < B; ++b) out[b] = weight * values[b];
}

void ElboEvaluator::process(int term, std::size_t first, std::size_t end,
                            const Executor& executor) {
  const std::size_t B = end - first, R = static_cast<std::size_t>(config_.draws);
  std::vector<double> draws(R * B);  // (R, B): draw r of example first + b at r * B + b
  for (std::size_t r = 0; r < R; ++r) {
    draw_terms(draws.data() + r * B, term, static_cast<int>(r), first, end, executor);
  }
  const auto j = static_cast<std::size_t>(term);
  for (std::size_t b = 0; b < B; ++b) {
    double sum = draws[b];
    for (std::size_t r = 1; r < R; ++r) sum += draws[r * B + b];
    const double v = sum / static_cast<double>(R);  // R = 1: the single draw, exactly
    per_example_[first + b] += v;
    term_sum_[j] += v;
    term_sum_sq_[j] += v * v;
    if (R < 2) continue;
    double squares = 0.0;
    for (std::size_t r = 0; r < R; ++r) squares += (draws[r * B + b] - v) * (draws[r * B + b] - v);
    term_within_[j] += squares / static_cast<double>(R - 1);
  }
}

void ElboEvaluator::advance(int units, const Executor& executor) {
  const std::size_t N = x0_.shape(0);
  for (int u = 0; u < units && !done(); ++u) {
    const int term = units_done_ / blocks_, block = units_done_ % blocks_;
    const std::size_t first = static_cast<std::size_t>(block) * config_.batch;
    process(term, first, std::min(N, first + config_.batch), executor);
    ++units_done_;
  }
}

ElboResult ElboEvaluator::result() const {
  if (!done()) {
    fail("ELBO result requested after ", units_done_, " of ", units_total(),
         " units of work: advance until done()");
  }
  const std::size_t N = x0_.shape(0), D = x0_.shape(1), T = static_cast<std::size_t>(schedule_->T);
  const double n = static_cast<double>(N);
  ElboResult r;
  r.examples = N;
  r.dims = D;
  r.draws = config_.draws;
  r.prior = prior_sum_ / n;
  r.decoder = term_sum_[0] / n;
  const double R = config_.draws;
  double mc_variance = 0.0;  // of the mean bound over the draws (ElboResult)
  for (std::size_t j = 0; j < term_sum_.size(); ++j) {
    if (j > 0) r.diffusion += term_sum_[j] / n;
    mc_variance += R >= 2 ? term_within_[j] / (R * n * n)
                          : sample_variance(term_sum_[j], term_sum_sq_[j], N) / n;
  }
  r.nll_bound_nats = r.prior + r.diffusion + r.decoder;
  r.nll_bound_data_nats = r.nll_bound_nats + config_.log_std_sum;
  r.bits_per_dim = r.nll_bound_data_nats / (static_cast<double>(D) * ln2);
  double sum = 0.0, sum_sq = 0.0;
  for (double v : per_example_) {
    sum += v;
    sum_sq += v * v;
  }
  r.standard_error = std::sqrt(sample_variance(sum, sum_sq, N) / n);
  r.monte_carlo_standard_error = std::sqrt(mc_variance);
  if (!stratified()) {
    r.per_t = Table::from_shape({T});
    for (std::size_t t = 0; t < T; ++t) r.per_t(t) = term_sum_[t] / n;
  }
  r.per_example = Table::from_shape({N});
  std::copy(per_example_.begin(), per_example_.end(), r.per_example.begin());
  return r;
}

ElboResult elbo_evaluate(Denoiser& denoiser, const NoiseSchedule& schedule,
                         const ElboConfig& config, const Tensor2& x0, std::uint64_t seed,
                         const Executor& executor) {
  ElboEvaluator evaluator(denoiser, schedule, config, x0, seed);
  while (!evaluator.done()) evaluator.advance(evaluator.units_total(), executor);
  return evaluator.result();
}

}  // namespace diffuse
