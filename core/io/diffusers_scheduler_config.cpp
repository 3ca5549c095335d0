#include "io/diffusers_scheduler_config.hpp"

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "base/enum_names.hpp"
#include "base/error.hpp"
#include "io/diffusers_json.hpp"
#include "io/diffusers_unet_config.hpp"

namespace diffuse {
namespace {

constexpr const char* file_name = "scheduler/scheduler_config.json";

// diffusers' names, where they differ from diffuse's (cosine, eps / x0 / v).
const EnumNames<ScheduleKind> beta_schedules{"beta_schedule",
                                             {{ScheduleKind::linear, "linear"},
                                              {ScheduleKind::scaled_linear, "scaled_linear"},
                                              {ScheduleKind::cosine, "squaredcos_cap_v2"},
                                              {ScheduleKind::sigmoid, "sigmoid"}}};
const EnumNames<Prediction> prediction_types{"prediction_type",
                                             {{Prediction::eps, "epsilon"},
                                              {Prediction::x0, "sample"},
                                              {Prediction::v, "v_prediction"}}};

// DDPMScheduler.__init__'s defaults: every key of the file, and what a missing one means.
nlohmann::json ddpm_defaults() {
  return {{"beta_end", 0.02},
          {"beta_schedule", "linear"},
          {"beta_start", 0.0001},
          {"clip_sample", true},
          {"clip_sample_range", 1.0},
          {"dynamic_thresholding_ratio", 0.995},
          {"num_train_timesteps", 1000},
          {"prediction_type", "epsilon"},
          {"rescale_betas_zero_snr", false},
          {"sample_max_value", 1.0},
          {"steps_offset", 0},
          {"thresholding", false},
          {"timestep_spacing", "leading"},
          {"trained_betas", nullptr},
          {"variance_type", "fixed_small"}};
}

[[noreturn]] void reject(const std::string& key, const nlohmann::json& value, const std::string& allowed) {
  fail(file_name, ": ", key, " = ", diffusers_json_shown(value), " is not supported: allowed is ", allowed);
}

template <typename Enum>
Enum named(const nlohmann::json& cfg, const std::string& key, const EnumNames<Enum>& names) {
  const nlohmann::json& value = cfg[key];
  if (value.is_string()) {
    for (const std::string& name : names.names()) {
      if (value == name) return names.value(name);
    }
  }
  reject(key, value, names.allowed(" | "));
}

double number(const nlohmann::json& cfg, const std::string& key) {
  const nlohmann::json& value = cfg[key];
  if (!value.is_number() || !std::isfinite(value.get<double>())) reject(key, value, "a number");
  return value.get<double>();
}

bool flag(const nlohmann::json& cfg, const std::string& key) {
  if (!cfg[key].is_boolean()) reject(key, cfg[key], "true or false");
  return cfg[key].get<bool>();
}

void require(const nlohmann::json& cfg, const std::string& key, const nlohmann::json& want,
             const char* why) {
  if (cfg[key] != want) reject(key, cfg[key], diffusers_json_shown(want) + " (" + why + ")");
}

}  // namespace

nlohmann::json diffusers_scheduler_config_to_json(const ScheduleConfig& schedule,
                                                  const DiffusionConfig& diffusion,
                                                  const SamplerConfig& sampling) {
  schedule_config_validate(schedule);
  if (diffusion.objective == Objective::flow) {
    fail("a flow-matching model has no DDPMScheduler: its diffusers scheduler would be ",
         "FlowMatchEulerDiscreteScheduler, which diffuse does not export yet");
  }
  sampler_config_validate(sampling, schedule.timesteps);
  if (sampling.kind != SamplerKind::ddpm) fail("a DDPMScheduler describes DDPM sampling only");
  nlohmann::json json = ddpm_defaults();
  json["_class_name"] = "DDPMScheduler";
  json["_diffusers_version"] = diffusers_version_written;
  json["beta_end"] = schedule.beta_end;
  json["beta_schedule"] = beta_schedules.name(schedule.kind);
  json["beta_start"] = schedule.beta_start;
  json["clip_sample"] = sampling.clip_sample;
  json["clip_sample_range"] = sampling.clip_range;
  json["num_train_timesteps"] = schedule.timesteps;
  json["prediction_type"] = prediction_types.name(diffusion.prediction);
  json["rescale_betas_zero_snr"] = schedule.zero_terminal_snr;
  json["timestep_spacing"] = timestep_spacings.name(sampler_spacing(sampling));
  // A learned variance: diffusers' learned_range reads the U-Net's second C channels as diffuse
  // does (diffusion/learned_variance.hpp); it is also what `diffuse sample` uses by default.
  if (diffusion.learned_variance) {
    json["variance_type"] = reverse_variances.name(ReverseVariance::learned_range);
  } else if (sampling.variance == ReverseVariance::learned_range) {
    fail("variance learned_range needs a model with a learned variance");
  } else {
    json["variance_type"] = reverse_variances.name(sampling.variance);
  }
  return json;
}

DiffusersScheduler diffusers_scheduler_config_from_json(const nlohmann::json& file) {
  if (!file.is_object()) fail(file_name, ": not a JSON object");
  nlohmann::json cfg = ddpm_defaults();
  for (const auto& [key, value] : file.items()) {
    if (key == "_class_name" && value != "DDPMScheduler") {
      reject(key, value, "\"DDPMScheduler\" (what diffuse export writes; diffuse reads no other scheduler's file)");
    }
    if (!key.empty() && key[0] == '_') continue;  // metadata, ignored by diffusers too
    if (!cfg.contains(key)) {
      fail(file_name, ": unknown key ", quote_text(key), ": DDPMScheduler takes ", diffusers_json_keys(cfg));
    }
    cfg[key] = value;
  }
  require(cfg, "trained_betas", nullptr, "diffuse builds the betas from beta_schedule");
  require(cfg, "thresholding", false, "diffuse's sampler has no dynamic thresholding");
  require(cfg, "steps_offset", 0, "diffuse's leading spacing has no offset");
  number(cfg, "dynamic_thresholding_ratio");  // unused without thresholding, but must be a number
  number(cfg, "sample_max_value");
  DiffusersScheduler s;
  const nlohmann::json& T = cfg["num_train_timesteps"];
  if (!T.is_number_integer() || !schedule_timesteps_range.contains(T.get<std::int64_t>())) {
    reject("num_train_timesteps", T,
           "an integer in " + std::to_string(schedule_timesteps_range.min) + ".." +
               std::to_string(schedule_timesteps_range.max));
  }
  s.schedule.timesteps = T.get<int>();
  s.schedule.kind = named(cfg, "beta_schedule", beta_schedules);
  s.schedule.beta_start = number(cfg, "beta_start");
  s.schedule.beta_end = number(cfg, "beta_end");
  s.schedule.zero_terminal_snr = flag(cfg, "rescale_betas_zero_snr");
  s.diffusion.prediction = named(cfg, "prediction_type", prediction_types);
  s.sampling.kind = SamplerKind::ddpm;
  s.sampling.variance = named(cfg, "variance_type", reverse_variances);
  s.diffusion.learned_variance = s.sampling.variance == ReverseVariance::learned_range;
  s.sampling.spacing = named(cfg, "timestep_spacing", timestep_spacings);
  s.sampling.clip_sample = flag(cfg, "clip_sample");
  s.sampling.clip_range = number(cfg, "clip_sample_range");
  if (!(s.sampling.clip_range > 0)) reject("clip_sample_range", cfg["clip_sample_range"], "a number > 0");
  try {
    schedule_config_validate(s.schedule);
  } catch (const Error& e) {
    fail(file_name, ": ", e.what());
  }
  return s;
}

}  // namespace diffuse
