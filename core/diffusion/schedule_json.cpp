// The schedule configuration as JSON, for checkpoint metadata.
#include <cstdint>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "diffusion/schedule.hpp"

namespace diffuse {

nlohmann::json schedule_config_to_json(const ScheduleConfig& c) {
  return {{"schedule", schedule_kinds.name(c.kind)},
          {"timesteps", c.timesteps},
          {"beta_start", c.beta_start},
          {"beta_end", c.beta_end},
          {"zero_terminal_snr", c.zero_terminal_snr}};
}

ScheduleConfig schedule_config_from_json(const nlohmann::json& json) {
  if (!json.is_object()) fail("schedule config must be a JSON object, got ", json.dump());
  auto field = [&](const char* name) -> const nlohmann::json& {
    if (!json.contains(name)) fail("schedule config: missing field '", name, "'");
    return json.at(name);
  };
  ScheduleConfig c;
  try {
    c.kind = schedule_kinds.value(field("schedule").get<std::string>());
    // Range-checked as a 64-bit integer before narrowing: 4294968296 must not read as 1000.
    const nlohmann::json& T = field("timesteps");
    if (!T.is_number_integer() || !schedule_timesteps_range.contains(T.get<std::int64_t>())) {
      fail("schedule config: timesteps = ", T.dump(), " is invalid: must be an integer in [",
           schedule_timesteps_range.min, ", ", schedule_timesteps_range.max, "]");
    }
    c.timesteps = static_cast<int>(T.get<std::int64_t>());
    c.beta_start = field("beta_start").get<double>();
    c.beta_end = field("beta_end").get<double>();
    c.zero_terminal_snr = field("zero_terminal_snr").get<bool>();
  } catch (const nlohmann::json::exception&) {
    fail("schedule config has a field of the wrong type: ", json.dump());
  }
  schedule_config_validate(c);
  return c;
}

}  // namespace diffuse
