// Data: the 2D toy sets by name (the same points as the CLI for the same seed), CSV text, and a
// check of any points (drawn by hand, say) that they can be a training set.
#include <emscripten/bind.h>

#include <sstream>
#include <string>

#include "base/rng.hpp"
#include "data/csv.hpp"
#include "data/toy2d.hpp"
#include "guard.hpp"
#include "settings.hpp"
#include "typed_arrays.hpp"

namespace diffuse::web {
namespace {

using emscripten::val;

val dataset_names() {
  val out = val::array();
  for (const auto& name : toy2d_sets.names()) out.call<void>("push", name);
  return out;
}

// datasetSample({ dataset, n, seed }) -> { points: Float32Array(n*2) }: the points a training run
// with this seed draws (stream toy2d_rng_stream), the first n of them.
val dataset_sample(val options) {
  return guarded([&] {
    const SettingsReader o(options);
    const std::string name = o.text("dataset", "moons");
    const auto n = static_cast<std::size_t>(o.integer("n", 1000, 1, 1000000));
    Rng rng(o.seed("seed", 0), toy2d_rng_stream);
    val out = val::object();
    out.set("points", points_to_js(toy2d_sample(name, n, rng)));
    out.set("n", static_cast<double>(n));
    return out;
  });
}

// csvParse(text, source) -> { points: Float32Array(n*D), n, dims, header: [names], labels:
// Int32Array(n) or null, classes }: a column named "label" is the labels, never a coordinate.
val csv_parse(const std::string& text, const std::string& source) {
  return guarded([&] {
    std::istringstream in(text);
    const LabeledPoints csv = csv_take_labels(csv_read(in, source), source);
    val header = val::array();
    for (const auto& name : csv.header) header.call<void>("push", name);
    val out = val::object();
    out.set("points", points_to_js(csv.points));
    out.set("n", static_cast<double>(csv.points.shape(0)));
    out.set("dims", static_cast<double>(csv.points.shape(1)));
    out.set("header", header);
    out.set("labels", csv.classes ? to_typed_array(csv.labels) : val::null());
    out.set("classes", static_cast<double>(csv.classes));
    return out;
  });
}

// dataSummary(points) -> { n, normalization: { mean, std } }; Error if the points cannot be a
// training set (fewer than 2, not finite, or a dimension without spread).
val data_summary(val points) {
  return guarded([&] {
    const Tensor2 x = points_from_js(points, 2, "points");
    if (x.shape(0) < 2) fail("there is ", x.shape(0), " point: at least 2 are needed");
    val out = val::object();
    out.set("n", static_cast<double>(x.shape(0)));
    out.set("normalization", normalization_to_js(normalization_fit(x)));
    return out;
  });
}

}  // namespace
}  // namespace diffuse::web

EMSCRIPTEN_BINDINGS(diffuse_data) {
  emscripten::function("datasetNames", &diffuse::web::dataset_names);
  emscripten::function("datasetSample", &diffuse::web::dataset_sample);
  emscripten::function("csvParse", &diffuse::web::csv_parse);
  emscripten::function("dataSummary", &diffuse::web::data_summary);
}
