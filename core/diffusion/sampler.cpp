#include "diffusion/sampler.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "base/error.hpp"
#include "diffusion/learned_variance.hpp"
#include "diffusion/parameterization.hpp"
#include "diffusion/row_noise.hpp"
#include "diffusion/row_tasks.hpp"

namespace diffuse {
namespace {

Tensor2 initial_noise(std::size_t n, std::size_t D, std::uint64_t seed, std::size_t first_row) {
  if (n == 0) fail("number of samples n = 0 is invalid: must be at least 1");
  Tensor2 z = Tensor2::from_shape({n, D});
  row_noise_fill_rows(z, seed, noise_stream(stream_tag_sampler, 0), first_row, serial_executor());
  return z;
}

}  // namespace

Sampler::Sampler(Denoiser& denoiser, const NoiseSchedule& schedule, const SamplerConfig& config,
                 std::size_t n, std::uint64_t seed, std::size_t first_row, Labels labels)
    : Sampler(denoiser, schedule, config, initial_noise(n, denoiser.data_dim(), seed, first_row),
              seed, first_row, std::move(labels)) {}

Sampler::Sampler(Denoiser& denoiser, const NoiseSchedule& schedule, const SamplerConfig& config,
                 Tensor2 z, std::uint64_t seed, std::size_t first_row, Labels labels)
    : denoiser_(&denoiser),
      schedule_(&schedule),
      config_(config),
      seed_(seed),
      first_row_(first_row),
      plan_(sampler_plan(schedule, config)),
      solver_(solver_make(schedule, config, plan_)),
      state_(std::move(z)),
      labels_(std::move(labels)) {
  const std::size_t n = state_.shape(0), D = denoiser.data_dim();
  if (n == 0 || state_.shape(1) != D) {
    fail("the starting noise has shape (", n, ", ", state_.shape(1), "): the denoiser needs (n, ",
         D, ") with n >= 1");
  }
  for (float v : state_) {
    if (!std::isfinite(v)) fail("the starting noise holds a non-finite value (", v, ")");
  }
  if (labels_.size() > 0) {
    if (labels_.size() != n) fail("the sampler has ", n, " rows but ", labels_.size(), " labels");
    const auto K = static_cast<std::int32_t>(denoiser.classes());
    for (std::int32_t label : labels_) {
      if (label < 0 || label > K) {
        fail(K == 0 ? error_message("class ", label, " is invalid: the model is unconditional")
                    : error_message("class ", label, " is out of range: the model has classes 0..",
                                    K - 1, " (", K, " is the null class)"));
      }
    }
  }
  if (learned_variance() && !denoiser.learned_variance()) {
    fail("variance learned_range needs a model with a learned variance; this one's is fixed: ",
         "use fixed_small or fixed_large");
  }
  if (config.kind == SamplerKind::ddpm || config.kind == SamplerKind::ddim) {
    for (double t : plan_.timesteps) {
      reverse_step_check_prediction(denoiser.prediction(), schedule, static_cast<int>(t));
    }
  }
  // x_T = z * init_noise_sigma in the solver's space.
  if (plan_.init_noise_sigma != 1.0) {
    solver_combine(state_, {{plan_.init_noise_sigma, &state_}}, serial_executor());
  }
  noise_ = Tensor2::from_shape({n, D});
  steps_ = Steps::from_shape({n});
  update_x(0);
}

double Sampler::timestep() const {
  return done() ? -1.0 : plan_.timesteps[static_cast<std::size_t>(steps_taken_)];
}

void Sampler::update_x(int k) {
  if (!plan_.sigma_space) {
    x_ = state_;
    return;
  }
  const double sigma = plan_.sigmas[static_cast<std::size_t>(k)];
  x_.resize(state_.shape());
  solver_combine(x_, {{1.0 / std::sqrt(1.0 + sigma * sigma), &state_}}, serial_executor());
}

void Sampler::estimate_x0(int k) {
  if (config_.kind == SamplerKind::ddpm || config_.kind == SamplerKind::ddim) {
    steps_.fill(static_cast<std::int32_t>(plan_.timesteps[static_cast<std::size_t>(k)]));
    diffuse::predicted_x0(x0_hat_, output_, denoiser_->prediction(), x_, steps_, *schedule_);
    return;
  }
  if (plan_.flow) {  // the output is the velocity: x0_hat = x_s - s u (diffusion/flow.hpp)
    x0_hat_.resize(x_.shape());
    solver_combine(x0_hat_, {{1.0, &x_}, {-plan_.sigmas[static_cast<std::size_t>(k)], &output_}},
                   serial_executor());
    return;
  }
  // At the plan's level: sqrt(ab) = alpha, sqrt(1 - ab) = sigma alpha (diffusion/sigmas.hpp).
  const LevelTerms level = level_terms(plan_.sigmas[static_cast<std::size_t>(k)]);
  const AffinePair x0 = prediction_estimates(denoiser_->prediction(), level.alpha, level.s).x0;
  x0_hat_.resize(x_.shape());
  solver_combine(x0_hat_, {{x0.a, &x_}, {x0.c, &output_}}, serial_executor());
}

void Sampler::scale_noise_by_learned_sigma(int k) {
  const auto i = static_cast<std::size_t>(k);
  const int t = static_cast<int>(plan_.timesteps[i]);
  const int prev = i + 1 < plan_.timesteps.size() ? static_cast<int>(plan_.timesteps[i + 1]) : -1;
  const LogVarianceRange range = learned_variance_range_between(*schedule_, t, prev);
  for (std::size_t e = 0; e < noise_.size(); ++e) {
    const double log_variance = learned_log_variance(variance_values_.data()[e], range);
    noise_.data()[e] = static_cast<float>(std::exp(0.5 * log_variance) * noise_.data()[e]);
  }
}

void Sampler::record_frame(double t, const Tensor2& x0_hat) {
  trajectory_.timesteps.push_back(t);
  trajectory_.x.push_back(x_);
  trajectory_.x0_hat.push_back(x0_hat);
}

void Sampler::step(const Executor& executor) {
  if (done()) fail("sampler step ", steps_taken_ + 1, " requested after all ", steps_total(),
                   " steps: the sampler is done");
  const int k = steps_taken_;
  const std::size_t n = x_.shape(0), D = x_.shape(1);

  const Labels* labels = labels_.size() > 0 ? &labels_ : nullptr;
  if (learned_variance()) {  // diffusers splits [prediction, variance values] the same way
    steps_.fill(static_cast<std::int32_t>(plan_.timesteps[static_cast<std::size_t>(k)]));
    denoiser_->predict_with_variance(output_, variance_values_, x_, steps_, labels, executor);
  } else {
    denoiser_->predict_at_level(output_, x_, plan_.level(k), labels, executor);
  }
  if (output_.shape(0) != n || output_.shape(1) != D) {
    fail("denoiser returned shape (", output_.shape(0), ", ", output_.shape(1), ") for ", n,
         " rows of dimension ", D, ": must be (", n, ", ", D, ")");
  }
  estimate_x0(k);
  if (config_.clip_sample) {
    const auto r = static_cast<float>(config_.clip_range);
    for (float& v : x0_hat_) v = std::clamp(v, -r, r);
  }
  if (config_.record_every > 0 && steps_taken_ % config_.record_every == 0) {
    record_frame(plan_.timesteps[static_cast<std::size_t>(k)], x0_hat_);
  }

  if (solver_->noisy(k)) {
    row_noise_fill_rows(noise_, seed_, noise_stream(stream_tag_sampler, static_cast<std::uint64_t>(k) + 1),
                        first_row_, executor);
    if (learned_variance()) scale_noise_by_learned_sigma(k);
  }
  solver_->step(state_, x0_hat_, noise_, k, executor);
  ++steps_taken_;
  update_x(steps_taken_);
  if (done() && config_.record_every > 0) record_frame(-1, x_);
}

void sample(Tensor2& samples, Trajectory* trajectory, Denoiser& denoiser,
            const NoiseSchedule& schedule, const SamplerConfig& config, std::size_t n,
            std::uint64_t seed, const Executor& executor, Labels labels) {
  Sampler sampler(denoiser, schedule, config, n, seed, 0, std::move(labels));
  while (!sampler.done()) sampler.step(executor);
  samples = sampler.x();
  if (trajectory) *trajectory = sampler.trajectory();
}

}  // namespace diffuse
