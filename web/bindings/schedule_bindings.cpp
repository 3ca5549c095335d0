// Schedule bindings: the same tables as `diffuse schedule`, as Float64Arrays by column name.
#include <emscripten/bind.h>

#include "diffusion/schedule.hpp"
#include "guard.hpp"
#include "typed_arrays.hpp"

namespace diffuse::web {
namespace {

using emscripten::val;

// scheduleTables({ schedule, timesteps, betaStart, betaEnd, zeroSnr }) ->
//   { ok, schedule, timesteps, beta: Float64Array(T), alpha_bar: ..., ... } or { ok: false, error }
val schedule_tables(val options) {
  return guarded([&] {
    ScheduleConfig config;
    if (options.hasOwnProperty("schedule")) {
      config.kind = schedule_kind_from_name(options["schedule"].as<std::string>());
    }
    if (options.hasOwnProperty("timesteps")) config.timesteps = options["timesteps"].as<int>();
    if (options.hasOwnProperty("betaStart")) config.beta_start = options["betaStart"].as<double>();
    if (options.hasOwnProperty("betaEnd")) config.beta_end = options["betaEnd"].as<double>();
    if (options.hasOwnProperty("zeroSnr")) config.zero_terminal_snr = options["zeroSnr"].as<bool>();
    const NoiseSchedule schedule = schedule_make(config);
    val out = val::object();
    out.set("schedule", schedule_kind_name(config.kind));
    out.set("timesteps", schedule.T);
    for (const auto& column : schedule_columns(schedule)) {
      out.set(column.name, to_typed_array(*column.values));
    }
    return out;
  });
}

}  // namespace
}  // namespace diffuse::web

EMSCRIPTEN_BINDINGS(diffuse_schedule) {
  emscripten::function("scheduleTables", &diffuse::web::schedule_tables);
}
