#pragma once
// The negative ELBO, an upper bound on -log p_theta(x_0) (seed 004 eq. 5-10), per
// docs/reference-workload.md "ELBO evaluation": L_T + sum_{t=1}^{T-1} L_t + L_0 per example
// (terms in diffusion/elbo_terms.hpp), averaged over the examples, in nats in the normalized space,
// in the data's own units and in bits per dimension.
//
// Exact mode: every denoising term t = 1..T-1 for every example (one x_t draw per (example, t)).
// Stratified mode: t = 1..T-1 split into K strata of sizes differing by at most one (stratum s is
// [1 + floor(s (T-1) / K), 1 + floor((s+1) (T-1) / K))); per example one t drawn uniformly in each
// stratum, its term weighted by the stratum size (an unbiased estimate of the sum).
//
// Randomness (diffusion/row_noise.hpp): the x_t of example i at step t is row i of stream
// (seed, "ELBN" t), and the t of example i in stratum s the i-th block of stream (seed, "ELBT" s).
// So with K = T - 1 strata (one step each) the estimate equals the exact sum draw for draw, and no
// result depends on the executor or on how the work is sliced.
//
// Incremental: an ElboEvaluator does its work in units of one term (L_0, one t, or one stratum)
// for one block of `batch` examples (one model call each), so the browser can run it in slices.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/executor.hpp"
#include "base/tensor.hpp"
#include "diffusion/denoiser.hpp"
#include "diffusion/reverse_step.hpp"
#include "diffusion/schedule.hpp"

namespace diffuse {

struct ElboConfig {
  ReverseVariance variance = ReverseVariance::fixed_small;  // the model's reverse variance
  int strata = 0;          // 0: exact; K in [1, T - 1]: stratified estimate with K strata
  int levels = 0;          // 0: continuous data (Gaussian decoder); >= 2: data on a grid of
                           // `levels` values in [-1, 1] (discretized decoder, e.g. 256 for images)
  double log_std_sum = 0;  // sum_d log std_d of the normalization x_norm = (x - mean) / std
  std::size_t batch = 512;  // examples per model call (the unit of incremental work)
};

// Throws Error naming the first invalid field, its value and what is allowed.
void elbo_config_validate(const ElboConfig& config, int T);

struct ElboResult {
  std::size_t examples = 0;        // N
  std::size_t dims = 0;            // D
  double prior = 0.0;              // mean L_T, nats per example
  double diffusion = 0.0;          // mean sum_{t=1}^{T-1} L_t (estimated when stratified)
  double decoder = 0.0;            // mean L_0
  double nll_bound_nats = 0.0;     // prior + diffusion + decoder, in the normalized space
  double nll_bound_data_nats = 0.0;  // nll_bound_nats + log_std_sum: in the data's own units
  double bits_per_dim = 0.0;       // nll_bound_data_nats / (D ln 2)
  // Of the mean bound as an estimate of its expectation over the data: sd of per_example / sqrt(N)
  // (NaN for N = 1).
  double standard_error = 0.0;
  // From the draws of x_t (and t, when stratified) alone, given these examples: sqrt(sum over
  // terms of the between-example variance of the term / N). Conservative: that variance also holds
  // the spread of the terms' conditional means over examples. (NaN for N = 1.)
  double monte_carlo_standard_error = 0.0;
  Table per_t;         // (T,) exact mode: the mean over examples of L_0 (t = 0) and L_t (t >= 1);
                       // empty when stratified. L_T is `prior`.
  Table per_example;   // (N,) each example's bound, normalized nats
};

class ElboEvaluator {
 public:
  // x0 (N, D): the examples (normalized data). Validates the config, the shape against the
  // denoiser, and that the denoiser has an x_0 estimate at every t (eps models with zero terminal
  // SNR do not). The denoiser and the schedule must outlive the evaluator.
  ElboEvaluator(Denoiser& denoiser, const NoiseSchedule& schedule, const ElboConfig& config,
                Tensor2 x0, std::uint64_t seed);

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
  int step_of(int term, std::size_t example) const;  // t for a term and an example
  double weight_of(int term) const;                  // stratum size; 1 when exact
  void process(int term, std::size_t first, std::size_t end, const Executor& executor);

  Denoiser* denoiser_;
  const NoiseSchedule* schedule_;
  ElboConfig config_;
  std::uint64_t seed_;
  Tensor2 x0_;                      // (N, D)
  int terms_ = 0;                   // 1 + (T - 1) exact, 1 + K stratified; term 0 is L_0
  int blocks_ = 0;                  // ceil(N / batch)
  int units_done_ = 0;
  std::vector<double> per_example_;  // (N,) running bound, starts at L_T
  std::vector<double> term_sum_;     // (terms,) sum over examples of each weighted term
  std::vector<double> term_sum_sq_;  // (terms,) and of its square
  double prior_sum_ = 0.0;
};

// Runs an evaluator to completion.
ElboResult elbo_evaluate(Denoiser& denoiser, const NoiseSchedule& schedule,
                         const ElboConfig& config, const Tensor2& x0, std::uint64_t seed,
                         const Executor& executor = serial_executor());

}  // namespace diffuse
