#include "diffusion/diffusion_config.hpp"

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "base/json_fields.hpp"

namespace diffuse {

nlohmann::json diffusion_config_to_json(const DiffusionConfig& c) {
  return {{"prediction", predictions.name(c.prediction)}};
}

DiffusionConfig diffusion_config_from_json(const nlohmann::json& json) {
  const JsonFields f(json, "diffusion config", {"prediction"});
  const std::string name = f.text("prediction", "eps, x0, v");
  DiffusionConfig c;
  // Only the names diffuse writes (diffusers' aliases are for flags and schedulers' configs).
  if (name != "eps" && name != "x0" && name != "v") {
    fail("diffusion config: prediction '", name, "' is unknown: allowed are eps, x0, v");
  }
  c.prediction = predictions.value(name);
  return c;
}

}  // namespace diffuse
