#pragma once
// Everything that defines a training run besides the model and the schedule, with the defaults
// of docs/reference-workload.md ("Training defaults"). Validated at the edges (CLI flags, page
// settings, checkpoint metadata) into this plain struct.
#include <cstddef>
#include <cstdint>

#include <nlohmann/json_fwd.hpp>

#include "diffusion/loss.hpp"
#include "diffusion/schedule.hpp"
#include "nn/lr_schedule.hpp"
#include "nn/mlp_config.hpp"
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

  LrSchedule lr() const { return {lr_schedule, learning_rate, warmup_steps, steps}; }
};

// Throws Error naming the field, its value and what is allowed.
void train_config_validate(const TrainConfig& config);

// Cross-checks between the pieces: zero terminal SNR cannot be used with eps prediction (x_0 =
// (x_t - sqrt(1 - ab) eps) / sqrt(ab) is undefined where alpha_bar = 0), nor can an x0 loss of an
// eps model there. Throws Error.
void train_setup_validate(const ScheduleConfig& schedule, const MlpConfig& model,
                          const TrainConfig& train);

nlohmann::json train_config_to_json(const TrainConfig& config);
TrainConfig train_config_from_json(const nlohmann::json& json);

}  // namespace diffuse
