// Sample quality: the energy distance and the RBF MMD^2 between samples and data
// (core/metrics/), for the page's quality-versus-steps chart.
#include <emscripten/bind.h>

#include "guard.hpp"
#include "metrics/energy_distance.hpp"
#include "metrics/mmd.hpp"
#include "settings.hpp"
#include "typed_arrays.hpp"

namespace diffuse::web {
namespace {

using emscripten::val;

// energyDistance(x, y) with x, y flat (n*2), (m*2) -> { u, v, crossMean, xMean, yMean }
val energy_distance_js(val x, val y) {
  return guarded([&] {
    const EnergyDistance e = energy_distance(points_from_js(x, 2, "x"), points_from_js(y, 2, "y"));
    val out = val::object();
    out.set("u", e.u_statistic);
    out.set("v", e.v_statistic);
    out.set("crossMean", e.cross_mean);
    out.set("xMean", e.x_mean);
    out.set("yMean", e.y_mean);
    return out;
  });
}

// mmd(x, y, { bandwidth (0: median heuristic) }) -> { mmd2, bandwidth }
val mmd_js(val x, val y, val options) {
  return guarded([&] {
    MmdOptions o;
    o.bandwidth = SettingsReader(options).number("bandwidth", 0.0);
    const Mmd m = mmd_rbf(points_from_js(x, 2, "x"), points_from_js(y, 2, "y"), o);
    val out = val::object();
    out.set("mmd2", m.mmd2);
    out.set("bandwidth", m.bandwidth);
    return out;
  });
}

}  // namespace
}  // namespace diffuse::web

EMSCRIPTEN_BINDINGS(diffuse_metrics) {
  emscripten::function("energyDistance", &diffuse::web::energy_distance_js);
  emscripten::function("mmd", &diffuse::web::mmd_js);
}
