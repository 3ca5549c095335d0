#pragma once
// The sampling flags shared by `diffuse sample` and `diffuse eval` (docs/reference-workload.md,
// "Sampling defaults", are their defaults), validated against a checkpoint into a SamplerConfig.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "diffusion/sampler_config.hpp"
#include "diffusion/schedule.hpp"
#include "io/checkpoint.hpp"

namespace diffuse::cli {

struct SamplerOptions {
  std::string sampler = "ddpm";
  std::int64_t steps = 0;  // 0: all T for DDPM, 50 for DDIM
  double eta = 0.0;
  std::string spacing = "trailing";
  std::string variance = "fixed_small";
  bool clip_sample = false;
  double clip_range = 1.0;
  bool raw = false;
  std::string seed = "0";
};

void sampler_options_add(CLI::App& command, SamplerOptions& options, const std::string& group);

// Validates the flags against the checkpoint (T, the prediction type, raw weights present) and
// rejects flags that would have no effect (--eta with DDPM, --variance with DDIM). Throws Error.
SamplerConfig sampler_config_from(const SamplerOptions& options, const CLI::App& command,
                                  const Checkpoint& checkpoint);

// "DDPM, 1000 steps, fixed_small" / "DDIM, 50 trailing steps, eta 0"
std::string sampler_description(const SamplerConfig& config, int T);

}  // namespace diffuse::cli
