#pragma once
// The page's settings (web/src/state.js names them) read into the core's plain config structs, and
// back. Every reader starts from the core's defaults (docs/reference-workload.md), applies the
// fields present in the JS object and validates; a wrong type or value throws Error naming the
// setting, the value and what is allowed (so guarded() hands it to the page as the message).
#include <emscripten/val.h>

#include <cstdint>
#include <string>

#include "data/normalization.hpp"
#include "diffusion/sampler_config.hpp"
#include "diffusion/schedule.hpp"
#include "diffusion/train_config.hpp"
#include "nn/mlp_config.hpp"

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
// hidden, layers, activation, prediction, timeEmbed, xEmbed, timeProjection, residual (D = 2)
MlpConfig model_settings(const emscripten::val& settings);
// steps, batch, lr, warmup, lrSchedule, lossWeighting, snrGamma, emaDecay, gradClip, weightDecay,
// seed, trainSize; the loss is measured in the model's prediction space.
TrainConfig train_settings(const emscripten::val& settings, const MlpConfig& model);
// sampler, samplerSteps (0: the sampler's default), eta, spacing, variance
SamplerConfig sampler_settings(const emscripten::val& settings, int T);

// The page-settings object of a run (an uploaded checkpoint's configuration, say).
emscripten::val settings_to_js(const ScheduleConfig& schedule, const MlpConfig& model,
                               const TrainConfig& train);

// { mean: [..], std: [..] }
emscripten::val normalization_to_js(const Normalization& norm);

}  // namespace diffuse::web
