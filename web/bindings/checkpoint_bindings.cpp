// Checkpoints: the very bytes the native CLI writes and reads (core/io/checkpoint.hpp: safetensors
// with the EMA weights under PyTorch's names, the training state and data under training.*, the
// configuration as JSON metadata), so a model moves between the page and `diffuse` both ways.
#include <emscripten/bind.h>

#include <sstream>
#include <string>
#include <vector>

#include "guard.hpp"
#include "handles.hpp"
#include "io/checkpoint.hpp"
#include "settings.hpp"
#include "typed_arrays.hpp"

namespace diffuse::web {
namespace {

using emscripten::val;

// checkpointSave(trainer) -> { bytes: Uint8Array, step }: the run as `diffuse train --out` saves
// it (weights, EMA, Adam state and the normalized training set), resumable natively.
val checkpoint_save(const TrainerHandle& handle) {
  return guarded([&] {
    std::ostringstream out(std::ios::binary);
    checkpoint_write(out, checkpoint_from_trainer(*handle.trainer));
    if (!out) fail("cannot serialize the checkpoint");
    const std::string bytes = out.str();
    val result = val::object();
    result.set("bytes", to_typed_array(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
    result.set("step", static_cast<double>(handle.trainer->steps_done()));
    return result;
  });
}

// checkpointLoad(bytes: Uint8Array, source) -> { model, trainer (null for an export, and for a
// run on an image data set: see reloadData), step, settings, source, normalization, data
// (training points in data units, or null), reloadData (the name of the data set a resumable run
// needs, which the checkpoint does not store, or null) }. Every problem
// (not safetensors, wrong format, bad config, missing or misshapen tensors, non-finite weights)
// is an Error naming it.
val checkpoint_load(val bytes, const std::string& source) {
  return guarded([&] {
    if (!bytes.instanceof(val::global("Uint8Array"))) fail("checkpoint bytes must be a Uint8Array");
    const std::vector<std::uint8_t> data = from_js_array<std::uint8_t>(bytes, "checkpoint bytes");
    const Checkpoint c = checkpoint_read(data.data(), data.size(), source);

    auto model = std::make_unique<ModelHandle>();
    model->schedule = schedule_make(c.schedule);
    model->normalization = c.data.normalization;
    model->denoiser = checkpoint_denoiser(c, true);
    model->diffusion = c.diffusion;
    model->model = c.model;
    model->train = c.train;
    model->step = c.step;

    val out = val::object();
    out.set("step", static_cast<double>(c.step));
    out.set("source", c.data.source);
    out.set("normalization", normalization_to_js(c.data.normalization));
    out.set("settings", settings_to_js(c.schedule, c.diffusion, c.model, c.train));
    out.set("params", static_cast<double>(model->denoiser->network().layout().count()));
    out.set("shape", shape_to_js(c.data.shape));
    out.set("classes", static_cast<double>(model_classes(c.model)));
    out.set("classNames", strings_to_js(c.data.class_names));
    out.set("resumable", c.training.has_value());
    out.set("data", c.train_samples.size()
                        ? points_to_js(normalization_undo(c.data.normalization, c.train_samples))
                        : val::null());
    out.set("labels", c.train_labels.size() ? to_typed_array(c.train_labels) : val::null());
    // A run on an image data set names its images instead of storing them: the page resumes it
    // with them (checkpointResumeImages) when it has them, else samples it only.
    const bool stored = c.train_samples.size() > 0;
    out.set("reloadData", c.training && !stored ? val(c.data.source) : val::null());
    if (c.training && stored) {
      auto trainer = std::make_unique<TrainerHandle>();
      trainer->trainer = checkpoint_resume(c);
      out.set("trainer", val(std::move(trainer)));
    } else {
      out.set("trainer", val::null());
    }
    out.set("model", val(std::move(model)));
    return out;
  });
}

}  // namespace
}  // namespace diffuse::web

EMSCRIPTEN_BINDINGS(diffuse_checkpoint) {
  emscripten::function("checkpointSave", &diffuse::web::checkpoint_save);
  emscripten::function("checkpointLoad", &diffuse::web::checkpoint_load);
}
