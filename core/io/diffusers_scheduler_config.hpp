#pragma once
// diffuse's schedule, prediction type and sampling defaults as diffusers' DDPMScheduler
// scheduler_config.json, and back (docs/diffusers-export.md has the mapping table).
//
// The definitions agree by construction: diffuse's schedules are diffusers' (diffusion/schedule.hpp,
// cosine = "squaredcos_cap_v2", zero terminal SNR = rescale_betas_zero_snr), its prediction types
// are "epsilon" / "sample" / "v_prediction", and its DDPM step is DDPMScheduler.step
// (diffusion/sampler_config.hpp). The file's sampling keys (variance_type, timestep_spacing,
// clip_sample, clip_sample_range) are `diffuse sample` flags, not part of a checkpoint: writing
// takes them from a SamplerConfig (by default SamplerConfig{}, what `diffuse sample` does without
// flags: fixed_small, trailing, no clipping), reading returns them as one.
//
// Reading, as diffusers does, gives a missing key its DDPMScheduler default (so a file without
// clip_sample clips, as diffusers would) and ignores keys starting with "_" ("_class_name", if
// present, must be "DDPMScheduler"). An unknown key, and any value diffuse cannot reproduce
// (trained_betas, thresholding, steps_offset other than 0, the log variances and "learned"), is an
// Error naming the key, the value and what is allowed. variance_type "learned_range" is improved
// DDPM's learned variance (diffusion/learned_variance.hpp): written for a model that has one
// (whatever the sampling config says), and read as DiffusionConfig::learned_variance (the U-Net
// must then give 2 C channels: diffusers_checkpoint checks).
#include <nlohmann/json_fwd.hpp>

#include "diffusion/diffusion_config.hpp"
#include "diffusion/sampler_config.hpp"
#include "diffusion/schedule.hpp"

namespace diffuse {

struct DiffusersScheduler {
  ScheduleConfig schedule;    // num_train_timesteps, beta_*, rescale_betas_zero_snr
  DiffusionConfig diffusion;  // prediction_type
  SamplerConfig sampling;     // DDPM with variance_type, timestep_spacing, clip_sample(_range)
};

// Validates all three (Error); sampling must be a DDPM configuration.
nlohmann::json diffusers_scheduler_config_to_json(const ScheduleConfig& schedule,
                                                  const DiffusionConfig& diffusion,
                                                  const SamplerConfig& sampling = SamplerConfig{});
// Throws Error "scheduler/scheduler_config.json: KEY = VALUE ...: allowed is ...".
DiffusersScheduler diffusers_scheduler_config_from_json(const nlohmann::json& json);

}  // namespace diffuse
