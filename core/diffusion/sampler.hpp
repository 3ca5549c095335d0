#pragma once
// Samplers as resumable state machines (seed 002 section 8, "Sampling: the reverse process"): the
// browser's worker runs one step() at a time in short slices, the CLI shows progress between
// steps, and sample() runs to completion. One step is one model call: where it is made is the
// plan (diffusion/sampler_plan.hpp), and how the state moves is the solver (diffusion/solvers.hpp).
//
// Randomness: z, the standard-normal draws that start the chain, are the row noise of stream
// (seed, "SAMP" 0) unless given, and x_T = z * init_noise_sigma as diffusers' pipelines form it;
// the z of call k (k = 0..calls-1) is that of stream (seed, "SAMP" k + 1)
// (diffusion/row_noise.hpp), so a result depends only on (seed, config, n): not on the executor,
// the slicing, or on which stochastic sampler is run (all draw the same z at the same call).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "base/executor.hpp"
#include "base/tensor.hpp"
#include "diffusion/denoiser.hpp"
#include "diffusion/sampler_config.hpp"
#include "diffusion/sampler_plan.hpp"
#include "diffusion/solvers.hpp"
#include "diffusion/schedule.hpp"

namespace diffuse {

// Frames for animations, recorded every config.record_every steps and once at the end:
// ceil(K / record_every) + 1 frames.
struct Trajectory {
  std::vector<double> timesteps;  // (F,) frame f shows the state at call timesteps[f]; -1: the end
  std::vector<Tensor2> x;       // F frames (n, D): x_t before the step at t; the last: the sample
  std::vector<Tensor2> x0_hat;  // F frames (n, D): the x_0 estimate at t; the last: the sample
};

class Sampler {
 public:
  // n rows starting from z ~ N(0, I) drawn from the seed. Validates the config (Error) and that
  // the denoiser has an x_0 estimate at every visited step (eps models with zero terminal SNR do
  // not). The denoiser and the schedule must outlive the sampler.
  // first_row: these are rows first_row .. first_row + n - 1 of a run with this seed (their x_T
  // and z are those rows' noise), so a large run split into row chunks, each its own sampler,
  // gives exactly the rows of the whole run (the browser steps chunks to keep slices short).
  // labels (n,): the class of each row for a conditional denoiser (guided or not,
  // diffusion/guidance.hpp); empty: the null class. They never change the noise.
  Sampler(Denoiser& denoiser, const NoiseSchedule& schedule, const SamplerConfig& config,
          std::size_t n, std::uint64_t seed, std::size_t first_row = 0, Labels labels = {});
  // The same from given draws z (n, D) (diffuse sample --noise); the seed still drives the noise
  // of each step.
  Sampler(Denoiser& denoiser, const NoiseSchedule& schedule, const SamplerConfig& config,
          Tensor2 z, std::uint64_t seed, std::size_t first_row = 0, Labels labels = {});

  // One model call and the solver's step after it. Throws Error when already done.
  void step(const Executor& executor = serial_executor());

  bool done() const { return steps_taken_ == steps_total(); }
  int steps_taken() const { return steps_taken_; }
  int steps_total() const { return plan_.calls(); }  // model calls (Heun: 2N - 1 for N steps)
  double progress() const { return static_cast<double>(steps_taken_) / steps_total(); }
  double timestep() const;  // the t the next call evaluates the model at; -1 when done
  const std::vector<double>& timesteps() const { return plan_.timesteps; }  // (calls,)
  const SamplerPlan& plan() const { return plan_; }

  // (n, D) the current x_t (the state scaled to what the network is given); the sample when done.
  const Tensor2& x() const { return x_; }
  // (n, D) x0_hat of the last step; empty before the first.
  const Tensor2& predicted_x0() const { return x0_hat_; }
  const Trajectory& trajectory() const { return trajectory_; }
  const Labels& labels() const { return labels_; }  // (n,) or empty
  const SamplerConfig& config() const { return config_; }

 private:
  void record_frame(double t, const Tensor2& x0_hat);
  // x_ = state_ / sqrt(1 + sigma^2) at the level before call k (k = calls: after the last).
  void update_x(int k);
  // x0_hat_ from the model's output_ at call k.
  void estimate_x0(int k);
  // ddpm with learned_range: noise_ *= the model's sigma at call k, exp(log Sigma / 2) per element
  // (diffusion/learned_variance.hpp), from variance_values_.
  void scale_noise_by_learned_sigma(int k);
  bool learned_variance() const {
    return config_.kind == SamplerKind::ddpm && config_.variance == ReverseVariance::learned_range;
  }

  Denoiser* denoiser_;
  const NoiseSchedule* schedule_;
  SamplerConfig config_;
  std::uint64_t seed_;
  std::size_t first_row_;
  SamplerPlan plan_;
  std::unique_ptr<Solver> solver_;
  int steps_taken_ = 0;
  Tensor2 state_;      // (n, D) the solver's state (x_t, or x_t sqrt(1 + sigma^2): plan_.sigma_space)
  Tensor2 x_;          // (n, D) x_t
  Tensor2 x0_hat_;     // (n, D)
  Tensor2 output_;     // (n, D) the model's raw prediction
  Tensor2 variance_values_;  // (n, D) its variance values o (ddpm with learned_range)
  Tensor2 noise_;      // (n, D)
  Steps steps_;        // (n,) the current t for every row (ddpm, ddim)
  Labels labels_;      // (n,) or empty
  Trajectory trajectory_;
};

// Runs a sampler to completion: samples (n, D), and the trajectory if requested (may be null;
// frames are recorded only when config.record_every > 0).
void sample(Tensor2& samples, Trajectory* trajectory, Denoiser& denoiser,
            const NoiseSchedule& schedule, const SamplerConfig& config, std::size_t n,
            std::uint64_t seed, const Executor& executor = serial_executor(), Labels labels = {});

}  // namespace diffuse
