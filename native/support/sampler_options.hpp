#pragma once
// The sampling flags shared by `diffuse sample` and `diffuse eval` (docs/reference-workload.md,
// "Sampling defaults", are their defaults), validated against a checkpoint into a SamplerConfig.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "diffusion/guidance.hpp"
#include "diffusion/network_denoiser.hpp"
#include "diffusion/sampler_config.hpp"
#include "diffusion/schedule.hpp"
#include "io/checkpoint.hpp"

namespace diffuse::cli {

struct SamplerOptions {
  std::string sampler;  // "": the model's default (ddpm; euler for a flow model)
  std::int64_t steps = 0;  // 0: all T for DDPM, 50 for the others
  double eta = 0.0;
  std::string spacing;     // "": the sampler's default (sampler_default_spacing)
  bool karras = false;
  std::string variance = "fixed_small";
  bool clip_sample = false;
  double clip_range = 1.0;
  bool raw = false;
  std::string seed = "0";
  std::string class_label;  // "": the null class (unconditional); "all"; or a class K
  double guidance = 1.0;    // classifier-free guidance w (diffusers' guidance_scale)
};

void sampler_options_add(CLI::App& command, SamplerOptions& options, const std::string& group);

// Validates the flags against the checkpoint (T, the prediction type, raw weights present) and
// rejects flags that would have no effect (--eta other than with DDIM, --variance other than with
// DDPM, --karras where diffusers does not offer it). Throws Error.
// --variance as given, or learned_range for a model with a learned variance when it is not given;
// Error (exit 2) for learned_range and a model without one.
ReverseVariance reverse_variance_for(const std::string& flag, const CLI::App& command,
                                     const Checkpoint& checkpoint);

SamplerConfig sampler_config_from(const SamplerOptions& options, const CLI::App& command,
                                  const Checkpoint& checkpoint);

// "DDPM, 1000 steps, fixed_small" / "DDIM, 50 trailing steps, eta 0" /
// "DPM-Solver++ 2M, 20 linspace steps, Karras sigmas"
std::string sampler_description(const SamplerConfig& config, int T);

// Sample i of n gets class i mod K (--class all, and diffuse eval's conditional models).    (n,)
Labels classes_in_turn(std::size_t n, std::size_t K);

// The class of each of n samples: --class K gives every row K, --class all row i the class
// i mod K; without --class, empty (the null class: a conditional model samples unconditionally).
// Error for --class with an unconditional model, a class out of range, or --guidance without
// --class.
Labels sample_labels(const SamplerOptions& options, const CLI::App& command,
                     const Checkpoint& checkpoint, std::size_t n);

// What sampling evaluates: the checkpoint's model (EMA or raw weights), guided when it is
// conditional (diffusion/guidance.hpp; w = 1 is the plain conditional model).
struct SamplingModel {
  std::unique_ptr<NetworkDenoiser> model;
  std::unique_ptr<GuidedDenoiser> guided;  // conditional models only

  Denoiser& denoiser() { return guided ? static_cast<Denoiser&>(*guided) : *model; }
};
SamplingModel sampling_model(const SamplerOptions& options, const Checkpoint& checkpoint);

// "class 3, guidance 2" / "classes 0..9 in turn, guidance 1" / "unconditional"; empty for an
// unconditional model.
std::string classes_description(const SamplerOptions& options, const Checkpoint& checkpoint);

}  // namespace diffuse::cli
