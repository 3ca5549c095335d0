#pragma once
// The negative ELBO, an upper bound on -log p_theta(x_0) (seed 004 eq. 5-10), per
// docs/reference-workload.md "ELBO evaluation": L_T + sum_{t=1}^{T-1} L_t + L_0 per example
// (terms in diffusion/elbo_terms.hpp), averaged over the examples, in nats in the normalized space,
// in the data's own units and in bits per dimension.
//
// Exact mode: every denoising term t = 1..T-1 for every example. Stratified mode: t = 1..T-1 split
// into K strata of sizes differing by at most one (stratum s is
// [1 + floor(s (T-1) / K), 1 + floor((s+1) (T-1) / K))); per example one t drawn uniformly in each
// stratum, its term weighted by the stratum size (an unbiased estimate of the sum).
//
// Draws: every Monte Carlo term (L_0 and each L_t, or each stratum's weighted term) of every
// example is the mean of R independent draws (ElboConfig::draws). Draw r is a whole single-draw
// evaluation with its own streams: its own x_t and, when stratified, its own t in each stratum (so
// each draw is an unbiased estimate, and so is their mean; L_T is analytic). R = 1 is the
// single-draw evaluation of improved-diffusion's calc_bpd_loop.
//
// Randomness (diffusion/row_noise.hpp): in draw r the x_t of example i at step t is row i of
// stream (seed, "ELBN" t + 2^20 r), and the t of example i in stratum s the i-th block of stream
// (seed, "ELBT" s + 2^20 r) (elbo_noise_stream, elbo_steps_stream); draw 0 is the stream of t
// (or s) alone, so R = 1 gives the single-draw result bit for bit. With K = T - 1 strata (one step
// each) the estimate equals the exact sum draw for draw, and no result depends on the executor or
// on how the work is sliced.
//
// Incremental: an ElboEvaluator does its work in units of one term (L_0, one t, or one stratum)
// for one block of `batch` examples (all R draws: R model calls of one block each), so the
// browser can run it in slices.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/executor.hpp"
#include "base/tensor.hpp"
#include "diffusion/denoiser.hpp"
#include "diffusion/reverse_step.hpp"
#include "diffusion/row_noise.hpp"
#include "diffusion/schedule.hpp"

namespace diffuse {

// Draw r and the step t (or stratum s) share one 32-bit stream index: t in the low 20 bits, r in
// the 12 above them. So R <= 2^12, and R >= 2 needs T <= 2^20.
constexpr int elbo_draw_shift = 20;
constexpr int elbo_max_draws = 1 << (32 - elbo_draw_shift);  // 4096

// The stream of the x_t noise at step t in draw r (rows: examples).
constexpr std::uint64_t elbo_noise_stream(int t, int r) {
  return noise_stream(stream_tag_elbo_noise, (static_cast<std::uint64_t>(r) << elbo_draw_shift) +
                                                 static_cast<std::uint64_t>(t));
}
// The stream of the t drawn in stratum s in draw r (block i: example i).
constexpr std::uint64_t elbo_steps_stream(int s, int r) {
  return noise_stream(stream_tag_elbo_steps, (static_cast<std::uint64_t>(r) << elbo_draw_shift) +
                                                 static_cast<std::uint64_t>(s));
}

struct ElboConfig {
  ReverseVariance variance = ReverseVariance::fixed_small;  // the model's reverse variance;
                           // learned_range: its own (diffusion/learned_variance.hpp)
  int strata = 0;          // 0: exact; K in [1, T - 1]: stratified estimate with K strata
  int levels = 0;          // 0: continuous data (Gaussian decoder); >= 2: data on a grid of
                           // `levels` values in [-1, 1] (discretized decoder, e.g. 256 for images)
  double log_std_sum = 0;  // sum_d log std_d of the normalization x_norm = (x - mean) / std
  std::size_t batch = 512;  // examples per model call (the unit of incremental work)
  int draws = 1;            // R in [1, elbo_max_draws]: Monte Carlo draws per example and term,
                            // averaged (1: one draw, calc_bpd_loop's evaluation)
};

// Throws Error naming the first invalid field, its value and what is allowed.
void elbo_config_validate(const ElboConfig& config, int T);

struct ElboResult {
  std::size_t examples = 0;        // N
  std::size_t dims = 0;            // D
  int draws = 1;                   // R, the draws averaged per example and term
  double prior = 0.0;              // mean L_T, nats per example
  double diffusion = 0.0;          // mean sum_{t=1}^{T-1} L_t (estimated when stratified)
  double decoder = 0.0;            // mean L_0
  double nll_bound_nats = 0.0;     // prior + diffusion + decoder, in the normalized space
  double nll_bound_data_nats = 0.0;  // nll_bound_nats + log_std_sum: in the data's own units
  double bits_per_dim = 0.0;       // nll_bound_data_nats / (D ln 2)
  // Of the mean bound as an estimate of its expectation over the data: sd of per_example / sqrt(N)
  // (NaN for N = 1).
  double standard_error = 0.0;
  // Of the mean bound as an estimate of its expectation over the draws of x_t (and t, when
  // stratified), given these examples; the draws of different terms are independent, so it is
  // sqrt(sum over terms of that term's variance / N):
  // - R >= 2: each example's term averages R independent draws, so its variance is estimated
  //   without bias from their spread: sqrt(sum over terms and examples of s^2 / R) / N, with s^2
  //   the sample variance of that example's R draws (falls like 1/sqrt(R));
  // - R = 1: the within-example spread is not observable, so it is sqrt(sum over terms of the
  //   between-example variance of the term / N): conservative, as that variance also holds the
  //   spread of the terms' conditional means over examples (NaN for N = 1).
  double monte_carlo_standard_error = 0.0;
  Table per_t;         // (T,) exact mode: the mean over examples of L_0 (t = 0) and L_t (t >= 1);
                       // empty when stratified. L_T is `prior`.
  Table per_example;   // (N,) each example's bound, normalized nats
};

class ElboEvaluator {
 public:
  // x0 (N, D): the examples (normalized data). labels (N,): with a conditional denoiser, the
  // bound on -log p(x_0 | label) of each example; empty: the null class, a bound on -log p(x_0).
  // Validates the config, the shape against the denoiser, and that the denoiser has an x_0
  // estimate at every t (eps models with zero terminal SNR do not). The denoiser and the schedule
  // must outlive the evaluator.
  ElboEvaluator(Denoiser& denoiser, const NoiseSchedule& schedule, const ElboConfig& config,
                Tensor2 x0, std::uint64_t seed, Labels labels = {});

  // Processes up to `units` units of work (fewer when it finishes).
  void advance(int units, const Executor& executor = serial_executor());

  bool done() const { return units_done_ == units_total(); }
  int units_done() const { return units_done_; }
  int units_total() const { return terms_ * blocks_; }
  double progress() const { return static_cast<double>(units_done_) / units_total(); }

  // The result; throws Error unless done().
  ElboResult result() const;

 private:
  bool stratified() const { return config_.strata > 0; }
  int step_of(int term, int draw, std::size_t example) const;  // t of a term, draw and example
  double weight_of(int term) const;                            // stratum size; 1 when exact
  // out (end - first,): the weighted term of examples first..end-1 in draw r.
  void draw_terms(double* out, int term, int draw, std::size_t first, std::size_t end,
                  const Executor& executor) const;
  void process(int term, std::size_t first, std::size_t end, const Executor& executor);

  Denoiser* denoiser_;
  const NoiseSchedule* schedule_;
  ElboConfig config_;
  std::uint64_t seed_;
  Tensor2 x0_;                      // (N, D)
  Labels labels_;                   // (N,) or empty
  int terms_ = 0;                   // 1 + (T - 1) exact, 1 + K stratified; term 0 is L_0
  int blocks_ = 0;                  // ceil(N / batch)
  int units_done_ = 0;
  std::vector<double> per_example_;  // (N,) running bound, starts at L_T
  std::vector<double> term_sum_;     // (terms,) sum over examples of each weighted term
  std::vector<double> term_sum_sq_;  // (terms,) and of its square (each example's mean over draws)
  std::vector<double> term_within_;  // (terms,) sum over examples of the sample variance of the
                                     // term's R draws (R >= 2)
  double prior_sum_ = 0.0;
};

// Runs an evaluator to completion.
ElboResult elbo_evaluate(Denoiser& denoiser, const NoiseSchedule& schedule,
                         const ElboConfig& config, const Tensor2& x0, std::uint64_t seed,
                         const Executor& executor = serial_executor());

}  // namespace diffuse
