#pragma once
// What a model is on the diffusion side rather than the network's: how its output is read (the
// prediction type, diffusion/parameterization.hpp), and which training objective it learns.
// A checkpoint records it as config.diffusion (format version 1 kept it under model.prediction).
#include <nlohmann/json_fwd.hpp>

#include "base/enum_names.hpp"
#include "diffusion/parameterization.hpp"

namespace diffuse {

// diffusion: the noise schedule's forward process (seed 002); flow: flow matching's straight path
// (diffusion/flow.hpp), whose network predicts the velocity eps - x_0 (prediction is unused).
enum class Objective { diffusion, flow };

inline const EnumNames<Objective> objectives{
    "objective", {{Objective::diffusion, "diffusion"}, {Objective::flow, "flow"}}};

struct DiffusionConfig {
  Prediction prediction = Prediction::eps;  // what the network's output means: eps, x0 or v
  Objective objective = Objective::diffusion;
  double flow_shift = 1.0;                  // flow only (diffusers' shift)
  // diffusion only: the network's doubled output carries improved DDPM's learned variance
  // (diffusion/learned_variance.hpp; diffusers' variance_type "learned_range"); false: the reverse
  // variance is fixed, chosen by the sampler and the ELBO.
  bool learned_variance = false;

  bool operator==(const DiffusionConfig& other) const {
    return prediction == other.prediction && objective == other.objective &&
           flow_shift == other.flow_shift && learned_variance == other.learned_variance;
  }
  bool operator!=(const DiffusionConfig& other) const { return !(*this == other); }
};

// Throws Error naming a bad field: a shift outside flow_shift_range.
void diffusion_config_validate(const DiffusionConfig& config);

// {"prediction": "eps"} for diffusion (as every earlier version wrote it), with "variance":
// "learned_range" for a learned variance; {"objective": "flow", "shift": 1} for flow.
nlohmann::json diffusion_config_to_json(const DiffusionConfig& config);
// Strict: unknown fields are errors; "objective" may be absent (diffusion: files before flow
// matching), "prediction" is required for diffusion and "shift" for flow (diffusion config: ...).
DiffusionConfig diffusion_config_from_json(const nlohmann::json& json);

}  // namespace diffuse
