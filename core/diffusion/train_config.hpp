#pragma once
// Everything that defines a training run besides the model and the schedule, with the defaults
// of docs/reference-workload.md ("Training defaults"). Validated at the edges (CLI flags, page
// settings, checkpoint metadata) into this plain struct.
#include <cstddef>
#include <cstdint>

#include <nlohmann/json_fwd.hpp>

#include "base/ranges.hpp"
#include "diffusion/diffusion_config.hpp"
#include "diffusion/loss.hpp"
#include "diffusion/schedule.hpp"
#include "diffusion/timestep_sampler.hpp"
#include "nn/lr_schedule.hpp"
#include "nn/model_config.hpp"
#include "nn/optimizer.hpp"

namespace diffuse {

struct TrainConfig {
  std::int64_t steps = 10000;  // total optimizer updates of the run (the LR schedule's N)
  std::size_t batch = 256;     // B
  OptimizerConfig optimizer;   // Adam (beta1 0.9, beta2 0.999, eps 1e-8)
  double learning_rate = 1e-3;
  std::int64_t warmup_steps = 100;
  LrScheduleKind lr_schedule = LrScheduleKind::cosine;
  double grad_clip = 1.0;      // global L2 norm; 0 disables
  double ema_decay = 0.999;    // the EMA's maximum decay (warm-up in nn/ema.hpp)
  LossConfig loss;             // space defaults to the model's prediction type
  std::uint64_t seed = 0;      // initialization, batches, timesteps and noise
  std::size_t train_size = 10000;  // points drawn for a generated data set
  double label_dropout = 0.1;  // conditional models: the probability that a training label is
                               // replaced by the null class (classifier-free guidance)

  // A learned variance (DiffusionConfig::learned_variance): lambda of L_hybrid = L_simple +
  // lambda L_vlb (diffusion/hybrid_loss.hpp; the paper's 0.001), and how t is drawn
  // (diffusion/timestep_sampler.hpp; importance needs the L_vlb terms, so a learned variance).
  double vlb_weight = 0.001;
  TimestepSampling t_sampling = TimestepSampling::uniform;

  LrSchedule lr() const { return {lr_schedule, learning_rate, warmup_steps, steps}; }
};

// Allowed ranges, also quoted in error messages.
inline constexpr IntRange train_steps_range{1, 1'000'000'000, 1'000'000'000};
inline constexpr IntRange train_batch_range{1, 1 << 20, 65536};
inline constexpr IntRange train_warmup_range{0, 1'000'000'000, 1'000'000'000};
inline constexpr IntRange train_size_range{2, 100'000'000, 100'000};
inline const NumberRange learning_rate_range{0, unbounded, true, false};
inline const NumberRange grad_clip_range{0, unbounded};  // 0 disables clipping
inline const NumberRange ema_decay_range{0, 1, false, true};
inline const NumberRange label_dropout_range{0, 1, false, true};
inline const NumberRange vlb_weight_range{0, unbounded};

// Throws Error naming the field, its value and what is allowed.
void train_config_validate(const TrainConfig& config);

// Validates every piece, then the cross-checks between them: zero terminal SNR cannot be used
// with eps prediction (x_0 = (x_t - sqrt(1 - ab) eps) / sqrt(ab) is undefined where alpha_bar =
// 0), nor can an x0 loss of an eps model there; a learned variance needs the diffusion objective
// and a network with a doubled output (and that output needs the learned variance), and
// importance-sampled t needs a learned variance. Throws Error.
void train_setup_validate(const ScheduleConfig& schedule, const DiffusionConfig& diffusion,
                          const ModelConfig& model, const TrainConfig& train);

// "vlb_weight" and "t_sampling" may be absent (files before them: 0.001 and uniform).
nlohmann::json train_config_to_json(const TrainConfig& config);
TrainConfig train_config_from_json(const nlohmann::json& json);

}  // namespace diffuse
