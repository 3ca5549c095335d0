#include "diffusion/train_config.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "diffusion/schedule.hpp"

namespace diffuse {

void train_config_validate(const TrainConfig& c) {
  if (!train_steps_range.contains(c.steps)) {
    fail("steps = ", c.steps, " is invalid: must be an integer in [", train_steps_range.min, ", ",
         train_steps_range.max, "]");
  }
  if (!train_batch_range.contains(static_cast<std::int64_t>(c.batch))) {
    fail("batch = ", c.batch, " is invalid: must be in [", train_batch_range.min, ", ",
         train_batch_range.max, "]");
  }
  if (!learning_rate_range.contains(c.learning_rate) || !std::isfinite(c.learning_rate)) {
    fail("learning rate = ", c.learning_rate, " is invalid: must be a number ", learning_rate_range.text());
  }
  if (c.warmup_steps < 0) fail("warmup steps = ", c.warmup_steps, " is invalid: must be >= 0");
  if (!grad_clip_range.contains(c.grad_clip) || !std::isfinite(c.grad_clip)) {
    fail("grad_clip = ", c.grad_clip, " is invalid: must be >= 0 (0 disables clipping)");
  }
  if (!ema_decay_range.contains(c.ema_decay)) {
    fail("ema decay = ", c.ema_decay, " is invalid: must be in ", ema_decay_range.text());
  }
  if (!train_size_range.contains(static_cast<std::int64_t>(c.train_size))) {
    fail("train_size = ", c.train_size, " is invalid: must be in [", train_size_range.min, ", ",
         train_size_range.max, "]");
  }
  if (!label_dropout_range.contains(c.label_dropout)) {
    fail("label dropout = ", c.label_dropout, " is invalid: must be in ", label_dropout_range.text());
  }
  if (!vlb_weight_range.contains(c.vlb_weight)) {
    fail("vlb weight = ", c.vlb_weight, " is invalid: must be in ", vlb_weight_range.text());
  }
  timestep_samplings.name(c.t_sampling);  // throws on an unknown value
  optimizer_config_validate(c.optimizer);
  lr_schedule_validate(c.lr());
  loss_config_validate(c.loss);
}

void train_setup_validate(const ScheduleConfig& schedule, const DiffusionConfig& diffusion,
                          const ModelConfig& model, const TrainConfig& train) {
  schedule_config_validate(schedule);
  model_config_validate(model);
  train_config_validate(train);
  diffusion_config_validate(diffusion);
  const bool doubled = model_output_doubled(model);
  if (diffusion.learned_variance && diffusion.objective == Objective::flow) {
    fail("a learned variance applies to diffusion; the flow objective has no reverse variance");
  }
  if (diffusion.learned_variance != doubled) {
    fail(doubled ? "the model's output is doubled but the diffusion config learns no variance"
                 : "a learned variance needs the model's output doubled (out_dim / out_channels)");
  }
  if (train.t_sampling == TimestepSampling::importance && !diffusion.learned_variance) {
    fail("t sampling importance needs a learned variance: its loss history is of the L_vlb terms");
  }
  if (diffusion.objective == Objective::flow) {
    // Flow matching learns the velocity with plain MSE (diffusion/flow.hpp); the noise schedule's
    // betas and the diffusion loss's spaces and weightings have no meaning there.
    if (train.loss.weighting != LossWeighting::none) {
      fail("loss weighting ", loss_weightings.name(train.loss.weighting),
           " applies to diffusion; the flow objective's loss is the plain velocity MSE");
    }
    if (schedule.zero_terminal_snr) fail("zero terminal SNR applies to diffusion, not to the flow objective");
    return;
  }
  if (schedule.zero_terminal_snr && diffusion.prediction == Prediction::eps) {
    fail("prediction eps cannot be used with zero terminal SNR: x_0 is undefined from eps where ",
         "alpha_bar = 0; use prediction v (recommended by Lin et al. 2024) or x0");
  }
}

nlohmann::json train_config_to_json(const TrainConfig& c) {
  return {{"steps", c.steps},
          {"batch", c.batch},
          {"optimizer", optimizer_kinds.name(c.optimizer.kind)},
          {"beta1", c.optimizer.beta1},
          {"beta2", c.optimizer.beta2},
          {"adam_eps", c.optimizer.eps},
          {"weight_decay", c.optimizer.weight_decay},
          {"learning_rate", c.learning_rate},
          {"warmup_steps", c.warmup_steps},
          {"lr_schedule", lr_schedule_kinds.name(c.lr_schedule)},
          {"grad_clip", c.grad_clip},
          {"ema_decay", c.ema_decay},
          {"loss", predictions.name(c.loss.space)},
          {"loss_weighting", loss_weightings.name(c.loss.weighting)},
          {"snr_gamma", c.loss.snr_gamma},
          {"seed", std::to_string(c.seed)},  // a string: 64-bit seeds do not fit JS numbers
          {"train_size", c.train_size},
          {"label_dropout", c.label_dropout},
          {"vlb_weight", c.vlb_weight},
          {"t_sampling", timestep_samplings.name(c.t_sampling)}};
}

namespace {

template <typename T>
T field(const nlohmann::json& json, const char* name) {
  if (!json.contains(name)) fail("training config: missing field '", name, "'");
  try {
    return json.at(name).get<T>();
  } catch (const nlohmann::json::exception&) {
    fail("training config: field '", name, "' has the wrong type: ", json.at(name).dump());
  }
}

}  // namespace

TrainConfig train_config_from_json(const nlohmann::json& json) {
  if (!json.is_object()) fail("training config must be a JSON object, got ", json.dump());
  TrainConfig c;
  c.steps = field<std::int64_t>(json, "steps");
  c.batch = field<std::size_t>(json, "batch");
  c.optimizer.kind = optimizer_kinds.value(field<std::string>(json, "optimizer"));
  c.optimizer.beta1 = field<float>(json, "beta1");
  c.optimizer.beta2 = field<float>(json, "beta2");
  c.optimizer.eps = field<float>(json, "adam_eps");
  c.optimizer.weight_decay = field<float>(json, "weight_decay");
  c.learning_rate = field<double>(json, "learning_rate");
  c.warmup_steps = field<std::int64_t>(json, "warmup_steps");
  c.lr_schedule = lr_schedule_kinds.value(field<std::string>(json, "lr_schedule"));
  c.grad_clip = field<double>(json, "grad_clip");
  c.ema_decay = field<double>(json, "ema_decay");
  c.loss.space = predictions.value(field<std::string>(json, "loss"));
  c.loss.weighting = loss_weightings.value(field<std::string>(json, "loss_weighting"));
  c.loss.snr_gamma = field<double>(json, "snr_gamma");
  const std::string seed = field<std::string>(json, "seed");
  try {
    std::size_t used = 0;
    c.seed = std::stoull(seed, &used);
    if (used != seed.size()) throw std::invalid_argument(seed);
  } catch (const std::exception&) {
    fail("training config: seed '", seed, "' is not an unsigned 64-bit integer");
  }
  c.train_size = field<std::size_t>(json, "train_size");
  c.label_dropout = field<double>(json, "label_dropout");
  if (json.contains("vlb_weight")) c.vlb_weight = field<double>(json, "vlb_weight");
  if (json.contains("t_sampling")) {
    c.t_sampling = timestep_samplings.value(field<std::string>(json, "t_sampling"));
  }
  train_config_validate(c);
  return c;
}

}  // namespace diffuse
