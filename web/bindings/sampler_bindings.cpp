// Samplers (seed 002 section 8, "Sampling: the reverse process"): every sampler of the core
// (diffusion/sampler_config.hpp: DDPM, DDIM and diffusers' Euler, Euler ancestral, Heun,
// DPM-Solver++ 2M (SDE) and UniPC) from x_T, stepped a few model calls per call so the worker can
// interleave them with training, with a recorded trajectory (x_t and the x_0 estimate) for the
// page's animation. Points leave in data units; timesteps are real numbers (Float64Array:
// Euler and Heun evaluate the model between training steps).
#include <emscripten/bind.h>

#include <algorithm>
#include <vector>

#include <xtensor/xview.hpp>

#include "executor.hpp"
#include "guard.hpp"
#include "handles.hpp"
#include "settings.hpp"
#include "typed_arrays.hpp"

namespace diffuse::web {

using emscripten::val;

namespace {

// The first `rows` rows of every frame, in data units, one after the other.
std::vector<float> frames_in_data_units(const std::vector<Tensor2>& frames, std::size_t rows,
                                        const Normalization& normalization) {
  std::vector<float> out;
  for (const Tensor2& frame : frames) {
    if (frame.size() == 0) continue;
    const Tensor2 head = xt::view(frame, xt::range(0, rows), xt::all());
    const Tensor2 data = normalization_undo(normalization, head);
    out.insert(out.end(), data.begin(), data.end());
  }
  return out;
}

// The rows of all chunks, one after the other.
Tensor2 concatenated(const std::vector<std::unique_ptr<Sampler>>& chunks, bool x0_hat) {
  std::size_t rows = 0;
  for (const auto& c : chunks) rows += (x0_hat ? c->predicted_x0() : c->x()).shape(0);
  Tensor2 out = Tensor2::from_shape({rows, chunks[0]->x().shape(1)});
  float* at = out.data();
  for (const auto& c : chunks) {
    const Tensor2& part = x0_hat ? c->predicted_x0() : c->x();
    at = std::copy(part.begin(), part.end(), at);
  }
  return out;
}

}  // namespace

// options: the sampler settings (settings.hpp) and n (points), seed, recordEvery (0: no frames),
// chunkRows (rows per unit of work). -> { stepsTotal (model calls), steps (K), spacing (the one
// used), timestepList (Float64Array of the t of each call), sampler }; an Error (as { ok: false,
// error }) for invalid settings, or a plan the sampler cannot make (a multistep solver whose
// rounded steps repeat).
val ModelHandle::sampler(val options) const {
  return guarded([&] {
    const SettingsReader o(options);
    SamplerConfig config = sampler_settings(options, schedule.T);
    // A flow-matching model (an uploaded checkpoint) samples on its own levels, with euler or heun
    // only: the core refuses the rest by name.
    config.flow = diffusion.objective == Objective::flow;
    config.flow_shift = diffusion.flow_shift;
    sampler_config_validate(config, schedule.T);
    const int record_every = static_cast<int>(o.integer("recordEvery", 0, 0, schedule.T));
    const auto n = static_cast<std::size_t>(o.integer("n", 1000, 1, 1000000));
    const auto chunk_rows = static_cast<std::size_t>(o.integer("chunkRows", 1024, 1, 1000000));
    const std::uint64_t seed = o.seed("seed", 0);
    auto handle = std::make_unique<SamplerHandle>();
    handle->schedule = schedule;
    handle->shape = model_sample_shape(model);
    handle->normalization = normalization;
    handle->model = sampling_model(*this, options, n);
    const Labels& labels = handle->model.labels;
    for (std::size_t first = 0; first < n; first += chunk_rows) {
      config.record_every = first == 0 ? record_every : 0;
      const std::size_t rows = std::min(chunk_rows, n - first);
      Labels chunk_labels;
      if (labels.size() > 0) {
        chunk_labels = Labels::from_shape({rows});
        std::copy(labels.begin() + static_cast<std::ptrdiff_t>(first),
                  labels.begin() + static_cast<std::ptrdiff_t>(first + rows), chunk_labels.begin());
      }
      handle->chunks.push_back(std::make_unique<Sampler>(handle->model.model(), handle->schedule,
                                                         config, rows, seed, first,
                                                         std::move(chunk_labels)));
    }
    val out = val::object();
    out.set("stepsTotal", handle->chunks[0]->steps_total());  // model calls (Heun: 2K - 1)
    out.set("steps", sampler_steps(config, schedule.T));     // K after the default
    out.set("spacing", timestep_spacings.name(sampler_spacing(config)));
    out.set("unitsTotal", static_cast<double>(handle->units_total()));
    out.set("timestepList", to_typed_array(handle->chunks[0]->timesteps()));
    out.set("sampler", val(std::move(handle)));
    return out;
  });
}

val SamplerHandle::advance(int units) {
  return guarded([&] {
    if (units < 1) fail("advance(units): units = ", units, " is invalid: must be >= 1");
    for (int i = 0; i < units && !done(); ++i, ++units_done) {
      chunks[units_done % chunks.size()]->step(page_executor());
    }
    const Sampler& last = *chunks.back();
    val out = val::object();
    out.set("unitsDone", static_cast<double>(units_done));
    out.set("unitsTotal", static_cast<double>(units_total()));
    out.set("done", done());
    out.set("stepsTaken", last.steps_taken());
    out.set("stepsTotal", last.steps_total());
    out.set("t", last.timestep());
    return out;
  });
}

val SamplerHandle::current() const {
  return guarded([&] {
    val out = val::object();
    Tensor2 x = normalization_undo(normalization, concatenated(chunks, false));
    // Finished images are clipped to their levels, as `diffuse sample` writes them.
    if (done()) normalization_clip_to_range(normalization, x);
    out.set("x", points_to_js(x));
    const bool stepped = chunks.back()->steps_taken() > 0;
    out.set("x0Hat", stepped ? points_to_js(normalization_undo(normalization, concatenated(chunks, true)))
                             : val::global("Float32Array").new_(0));
    out.set("labels", model.labels.size() ? to_typed_array(model.labels) : val::null());
    out.set("shape", shape_to_js(shape));
    return out;
  });
}

// maxPoints: how many rows of each frame to return (the animation needs far fewer than a sample).
val SamplerHandle::trajectory(int max_points) const {
  return guarded([&] {
    if (max_points < 1) fail("trajectory(maxPoints): maxPoints = ", max_points, " must be >= 1");
    const Sampler& first = *chunks[0];
    const Trajectory& tr = first.trajectory();
    const std::size_t rows = std::min<std::size_t>(first.x().shape(0), static_cast<std::size_t>(max_points));
    val out = val::object();
    out.set("timesteps", to_typed_array(tr.timesteps));
    out.set("frames", static_cast<double>(tr.timesteps.size()));
    out.set("n", static_cast<double>(rows));
    out.set("x", to_typed_array(frames_in_data_units(tr.x, rows, normalization)));
    out.set("x0Hat", to_typed_array(frames_in_data_units(tr.x0_hat, rows, normalization)));
    return out;
  });
}

}  // namespace diffuse::web

EMSCRIPTEN_BINDINGS(diffuse_sampler) {
  using diffuse::web::SamplerHandle;
  emscripten::class_<SamplerHandle>("Sampler")
      .function("advance", &SamplerHandle::advance)
      .function("current", &SamplerHandle::current)
      .function("trajectory", &SamplerHandle::trajectory);
}
