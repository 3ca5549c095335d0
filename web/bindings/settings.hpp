#pragma once
// The page's settings (web/src/state.js names them) read into the core's plain config structs, and
// back. Every reader starts from the core's defaults (docs/reference-workload.md), applies the
// fields present in the JS object and validates; a wrong type or value throws Error naming the
// setting, the value and what is allowed (so guarded() hands it to the page as the message).
#include <emscripten/val.h>

#include <cstdint>
#include <string>

#include "data/normalization.hpp"
#include "diffusion/diffusion_config.hpp"
#include "diffusion/sampler_config.hpp"
#include "diffusion/schedule.hpp"
#include "diffusion/train_config.hpp"
#include "nn/mlp_config.hpp"
#include "nn/unet_config.hpp"
#include "nn/model_config.hpp"

namespace diffuse::web {

// Typed access to optional fields of a JS object (undefined or null: every field absent).
class SettingsReader {
 public:
  explicit SettingsReader(emscripten::val object);

  bool has(const char* name) const;
  double number(const char* name, double fallback) const;  // finite
  std::int64_t integer(const char* name, std::int64_t fallback, std::int64_t lo, std::int64_t hi) const;
  bool flag(const char* name, bool fallback) const;
  std::string text(const char* name, const std::string& fallback) const;
  // A number (a non-negative integer up to 2^53 - 1) or a decimal string (up to 2^64 - 1).
  std::uint64_t seed(const char* name, std::uint64_t fallback) const;

 private:
  emscripten::val field(const char* name) const;
  emscripten::val object_;
};

// schedule, timesteps, betaStart, betaEnd, zeroSnr
ScheduleConfig schedule_settings(const emscripten::val& settings);
// objective (diffusion | flow); prediction (diffusion only), shift (flow only)
DiffusionConfig diffusion_settings(const emscripten::val& settings);
// The network of a run: modelKind ("mlp" for points, "unet" for images: the default follows the
// data's shape) and that kind's settings (the MLP's hidden, layers, activation, timeEmbed, xEmbed,
// timeProjection, residual; the U-Net's channels ("16,32"), layersPerBlock, groups, attention);
// the sample shape and classes come from the data (classes: 0 unless the run is conditional).
ModelConfig model_settings(const emscripten::val& settings, const SampleShape& shape, std::size_t classes);
// steps, batch, lr, warmup, lrSchedule, lossWeighting, snrGamma, emaDecay, gradClip, weightDecay,
// seed, trainSize, labelDropout; the loss is measured in the model's prediction space.
TrainConfig train_settings(const emscripten::val& settings, const DiffusionConfig& diffusion);
// sampler (any of sampler_kinds), samplerSteps (0: the sampler's default; Heun's K steps are
// 2K - 1 model calls), spacing (absent: the sampler's default), karras (only where
// sampler_offers_karras), eta (ddim only), variance (ddpm only). An option given to a sampler it
// does not apply to is refused, as the CLI refuses the flag.
SamplerConfig sampler_settings(const emscripten::val& settings, int T);

// The page-settings object of a run (an uploaded checkpoint's configuration, say).
emscripten::val settings_to_js(const ScheduleConfig& schedule, const DiffusionConfig& diffusion,
                               const ModelConfig& model, const TrainConfig& train);

// settingsSpec() -> { name: { default, min, max } or { default } }: every setting the core
// defines, with the core's default and limits (the page's cap where a browser needs a lower one),
// the one place they are written (nn/mlp_config.hpp, diffusion/train_config.hpp, ...). The
// sampler's entry also lists the samplers ({ default, values, samplers: { name: { name, karras,
// stochastic, spacing, steps } } }: display name, whether Karras sigmas are offered, whether it
// draws noise after x_T, default spacing and steps), and spacing's default is null: absent, each
// sampler takes its own.
// scripts/assemble_web.mjs writes it into web/src/core_settings.js, which state.js reads.
emscripten::val settings_spec();

// { mean: [..], std: [..] } for standardized points; images: { mean: [], std: [], levels }
emscripten::val normalization_to_js(const Normalization& norm);

}  // namespace diffuse::web
