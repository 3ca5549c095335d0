// Schedule bindings: the same tables as `diffuse schedule`, as Float64Arrays by column name.
#include <emscripten/bind.h>

#include <vector>

#include "diffusion/flow.hpp"
#include "diffusion/schedule.hpp"
#include "guard.hpp"
#include "settings.hpp"
#include "typed_arrays.hpp"

namespace diffuse::web {
namespace {

using emscripten::val;

// A flow-matching run's levels (diffusion/flow.hpp): s_t = shift((t + 1) / T) of each training index
// t, the signal-to-noise ratio of x_s = (1 - s) x_0 + s eps, ((1 - s) / s)^2, and the alpha_bar of
// the same SNR, (1 - s)^2 / ((1 - s)^2 + s^2) (as sampler_plan.cpp gives an analytic denoiser).
void set_flow_tables(val& out, int T, double shift) {
  std::vector<double> level(static_cast<std::size_t>(T)), snr(level.size()), alpha_bar(level.size());
  for (int t = 0; t < T; ++t) {
    const double s = flow_train_level(t, T, shift);
    level[t] = s;
    snr[t] = (1 - s) * (1 - s) / (s * s);
    alpha_bar[t] = (1 - s) * (1 - s) / ((1 - s) * (1 - s) + s * s);
  }
  out.set("level", to_typed_array(level));
  out.set("snr", to_typed_array(snr));
  out.set("alpha_bar", to_typed_array(alpha_bar));
}

// scheduleTables({ schedule, timesteps, betaStart, betaEnd, zeroSnr, objective, shift }) ->
//   { ok, schedule, timesteps, beta: Float64Array(T), alpha_bar: ..., ... } or { ok: false, error };
//   for objective flow: { ok, objective: "flow", timesteps, level, snr, alpha_bar } (set_flow_tables)
val schedule_tables(val options) {
  return guarded([&] {
    const ScheduleConfig config = schedule_settings(options);
    const DiffusionConfig diffusion = diffusion_settings(options);
    const NoiseSchedule schedule = schedule_make(config);
    val out = val::object();
    out.set("objective", objectives.name(diffusion.objective));
    if (diffusion.objective == Objective::flow) {
      out.set("timesteps", schedule.T);
      set_flow_tables(out, schedule.T, diffusion.flow_shift);
      return out;
    }
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
