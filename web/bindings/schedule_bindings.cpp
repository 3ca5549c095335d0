// Schedule bindings: the same tables as `diffuse schedule`, as Float64Arrays by column name.
#include <emscripten/bind.h>

#include "diffusion/schedule.hpp"
#include "guard.hpp"
#include "settings.hpp"
#include "typed_arrays.hpp"

namespace diffuse::web {
namespace {

using emscripten::val;

// scheduleTables({ schedule, timesteps, betaStart, betaEnd, zeroSnr }) ->
//   { ok, schedule, timesteps, beta: Float64Array(T), alpha_bar: ..., ... } or { ok: false, error }
val schedule_tables(val options) {
  return guarded([&] {
    const ScheduleConfig config = schedule_settings(options);
    const NoiseSchedule schedule = schedule_make(config);
    val out = val::object();
    out.set("schedule", schedule_kinds.name(config.kind));
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
