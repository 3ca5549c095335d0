#include "diffusion/diffusion_config.hpp"

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "base/json_fields.hpp"
#include "diffusion/flow.hpp"

namespace diffuse {

void diffusion_config_validate(const DiffusionConfig& c) {
  objectives.name(c.objective);  // throws on an unknown objective
  if (c.objective == Objective::flow && c.learned_variance) {
    fail("a learned variance applies to diffusion; the flow objective has no reverse variance");
  }
  if (c.objective == Objective::flow && !flow_shift_range.contains(c.flow_shift)) {
    fail("shift = ", c.flow_shift, " is invalid: must be in ", flow_shift_range.text());
  }
}

nlohmann::json diffusion_config_to_json(const DiffusionConfig& c) {
  if (c.objective == Objective::flow) return {{"objective", "flow"}, {"shift", c.flow_shift}};
  nlohmann::json out = {{"prediction", predictions.name(c.prediction)}};
  if (c.learned_variance) out["variance"] = "learned_range";
  return out;
}

DiffusionConfig diffusion_config_from_json(const nlohmann::json& json) {
  DiffusionConfig c;
  if (json.is_object() && json.contains("objective") && json["objective"] == "flow") {
    const JsonFields f(json, "diffusion config", {"objective", "shift"});
    c.objective = Objective::flow;
    c.flow_shift = f.number("shift");
    try {
      diffusion_config_validate(c);
    } catch (const Error& e) {
      fail("diffusion config: ", e.what());
    }
    return c;
  }
  const bool named = json.is_object() && json.contains("objective");
  const JsonFields f(json, "diffusion config",
                     named ? std::vector<std::string>{"objective", "prediction", "variance"}
                           : std::vector<std::string>{"prediction", "variance"});
  if (f.has("variance")) {  // optional: absent (fixed variance) in every file before it
    const std::string variance = f.text("variance", "learned_range");
    if (variance != "learned_range") {
      fail("diffusion config: variance '", variance, "' is unknown: allowed is learned_range");
    }
    c.learned_variance = true;
  }
  if (named) {
    const std::string objective = f.text("objective", "diffusion, flow");
    if (objective != "diffusion") {
      fail("diffusion config: objective '", objective, "' is unknown: allowed are diffusion, flow");
    }
  }
  const std::string name = f.text("prediction", "eps, x0, v");
  // Only the names diffuse writes (diffusers' aliases are for flags and schedulers' configs).
  if (name != "eps" && name != "x0" && name != "v") {
    fail("diffusion config: prediction '", name, "' is unknown: allowed are eps, x0, v");
  }
  c.prediction = predictions.value(name);
  return c;
}

}  // namespace diffuse
