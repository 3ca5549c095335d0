#pragma once
// What a model is on the diffusion side rather than the network's: how its output is read (the
// prediction type, diffusion/parameterization.hpp), and later which training objective it learns.
// A checkpoint records it as config.diffusion (format version 1 kept it under model.prediction).
#include <nlohmann/json_fwd.hpp>

#include "diffusion/parameterization.hpp"

namespace diffuse {

struct DiffusionConfig {
  Prediction prediction = Prediction::eps;  // what the network's output means: eps, x0 or v

  bool operator==(const DiffusionConfig& other) const { return prediction == other.prediction; }
  bool operator!=(const DiffusionConfig& other) const { return !(*this == other); }
};

// {"prediction": "eps"}
nlohmann::json diffusion_config_to_json(const DiffusionConfig& config);
// Strict: every field required, unknown fields are errors (diffusion config: ...).
DiffusionConfig diffusion_config_from_json(const nlohmann::json& json);

}  // namespace diffuse
