#include "diffusion/sampler.hpp"

#include <algorithm>
#include <utility>

#include "base/error.hpp"
#include "diffusion/parameterization.hpp"
#include "diffusion/row_noise.hpp"
#include "diffusion/row_tasks.hpp"

namespace diffuse {
namespace {

Tensor2 initial_noise(std::size_t n, std::size_t D, std::uint64_t seed, std::size_t first_row) {
  if (n == 0) fail("number of samples n = 0 is invalid: must be at least 1");
  Tensor2 x = Tensor2::from_shape({n, D});
  row_noise_fill_rows(x, seed, noise_stream(stream_tag_sampler, 0), first_row, serial_executor());
  return x;
}

// x = c.x0 * x0_hat + c.xt * x + c.noise_std * z, row blocks split over the executor.
void apply_step(Tensor2& x, const Tensor2& x0_hat, const Tensor2& z,
                const SamplerStepCoefficients& c, const Executor& executor) {
  const std::size_t D = x.shape(1);
  const bool noisy = c.noise_std > 0.0;
  run_rows(x.shape(0), executor, [&](std::size_t b) {
    for (std::size_t i = b * D; i < (b + 1) * D; ++i) {
      double value = c.x0 * x0_hat.data()[i] + c.xt * x.data()[i];
      if (noisy) value += c.noise_std * z.data()[i];
      x.data()[i] = static_cast<float>(value);
    }
  });
}

}  // namespace

Sampler::Sampler(Denoiser& denoiser, const NoiseSchedule& schedule, const SamplerConfig& config,
                 std::size_t n, std::uint64_t seed, std::size_t first_row, Labels labels)
    : Sampler(denoiser, schedule, config, initial_noise(n, denoiser.data_dim(), seed, first_row),
              seed, first_row, std::move(labels)) {}

Sampler::Sampler(Denoiser& denoiser, const NoiseSchedule& schedule, const SamplerConfig& config,
                 Tensor2 x_T, std::uint64_t seed, std::size_t first_row, Labels labels)
    : denoiser_(&denoiser),
      schedule_(&schedule),
      config_(config),
      seed_(seed),
      first_row_(first_row),
      timesteps_(sampler_timesteps(config, schedule.T)),
      x_(std::move(x_T)),
      labels_(std::move(labels)) {
  const std::size_t n = x_.shape(0), D = denoiser.data_dim();
  if (n == 0 || x_.shape(1) != D) {
    fail("x_T has shape (", n, ", ", x_.shape(1), "): the denoiser needs (n, ", D, ") with n >= 1");
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
  for (int t : timesteps_) reverse_step_check_prediction(denoiser.prediction(), schedule, t);
  noise_ = Tensor2::from_shape({n, D});
  steps_ = Steps::from_shape({n});
}

int Sampler::timestep() const {
  return done() ? -1 : timesteps_[static_cast<std::size_t>(steps_taken_)];
}

void Sampler::record_frame(int t, const Tensor2& x0_hat) {
  trajectory_.timesteps.push_back(t);
  trajectory_.x.push_back(x_);
  trajectory_.x0_hat.push_back(x0_hat);
}

void Sampler::step(const Executor& executor) {
  if (done()) fail("sampler step ", steps_taken_ + 1, " requested after all ", steps_total(),
                   " steps: the sampler is done");
  const auto k = static_cast<std::size_t>(steps_taken_);
  const int t = timesteps_[k];
  const int prev = k + 1 < timesteps_.size() ? timesteps_[k + 1] : -1;
  const std::size_t n = x_.shape(0), D = x_.shape(1);

  denoiser_->predict_at(output_, x_, t, labels_.size() > 0 ? &labels_ : nullptr, executor);
  if (output_.shape(0) != n || output_.shape(1) != D) {
    fail("denoiser returned shape (", output_.shape(0), ", ", output_.shape(1), ") for ", n,
         " rows of dimension ", D, ": must be (", n, ", ", D, ")");
  }
  steps_.fill(t);
  diffuse::predicted_x0(x0_hat_, output_, denoiser_->prediction(), x_, steps_, *schedule_);
  if (config_.clip_sample) {
    const auto r = static_cast<float>(config_.clip_range);
    for (float& v : x0_hat_) v = std::clamp(v, -r, r);
  }
  if (config_.record_every > 0 && steps_taken_ % config_.record_every == 0) {
    record_frame(t, x0_hat_);
  }

  const SamplerStepCoefficients c = sampler_step_coefficients(*schedule_, config_, t, prev);
  if (c.noise_std > 0.0) {
    row_noise_fill_rows(noise_, seed_, noise_stream(stream_tag_sampler, k + 1), first_row_, executor);
  }
  apply_step(x_, x0_hat_, noise_, c, executor);
  ++steps_taken_;
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
