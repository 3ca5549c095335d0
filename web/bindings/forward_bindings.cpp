// The forward process for the page's slider: x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps
// (seed 002 section 6) for a fixed set of points and ONE fixed draw of eps, so that moving t moves
// every point smoothly along its own straight path from x_0 towards its own eps. A flow-matching
// run's path is flow matching's instead: x_s = (1 - s) x_0 + s eps at the training level s of index
// t (diffusion/flow.hpp), straight at constant speed.
#include <emscripten/bind.h>

#include <algorithm>
#include <vector>

#include <xtensor/xview.hpp>

#include "base/rng.hpp"
#include "diffusion/flow.hpp"
#include "diffusion/forward_process.hpp"
#include "guard.hpp"
#include "handles.hpp"
#include "settings.hpp"
#include "typed_arrays.hpp"

namespace diffuse::web {

using emscripten::val;

namespace {

constexpr std::uint64_t forward_rng_stream = 0x465744;  // "FWD"

// The points are normalized with their own statistics (as training does), noised there, and
// returned in data units, where pure noise is N(mean, diag(std^2)).
struct ForwardHandle : NonCopyable {
  NoiseSchedule schedule;
  DiffusionConfig diffusion;  // which path: the schedule's, or flow matching's
  Normalization normalization;
  Tensor2 x0;   // (n, D) normalized
  Tensor2 eps;  // (n, D) fixed noise

  // forward.at(t) -> { points: x_t (data units), t, alphaBar (null for flow), level (flow: s) }
  val at(int t) const {
    return guarded([&] {
      if (t < 0 || t >= schedule.T) fail("t = ", t, " is invalid: must be in [0, ", schedule.T - 1, "]");
      Tensor2 x_t;
      val out = val::object();
      if (diffusion.objective == Objective::flow) {
        const std::vector<double> s(x0.shape(0), flow_train_level(t, schedule.T, diffusion.flow_shift));
        flow_interpolate(x_t, x0, eps, s.data());
        out.set("alphaBar", val::null());
        out.set("level", s.empty() ? 0.0 : s[0]);
      } else {
        Steps steps = Steps::from_shape({x0.shape(0)});
        steps.fill(t);
        q_sample(x_t, x0, eps, steps, schedule);
        out.set("alphaBar", schedule.alpha_bar(t));
        out.set("level", val::null());
      }
      out.set("points", points_to_js(normalization_undo(normalization, x_t)));
      out.set("t", t);
      return out;
    });
  }
};

// forwardCreate(settings (the schedule's and objective, shift), points (data units, flat n*2), seed)
// -> { forward }
val forward_create(val settings, val points, val seed) {
  return guarded([&] {
    auto handle = std::make_unique<ForwardHandle>();
    handle->schedule = schedule_make(schedule_settings(settings));
    handle->diffusion = diffusion_settings(settings);
    const Tensor2 raw = points_from_js(points, 2, "points");
    if (raw.shape(0) < 2) fail("the forward process needs at least 2 points");
    handle->normalization = normalization_fit(raw);
    handle->x0 = normalization_apply(handle->normalization, raw);
    handle->eps = Tensor2::from_shape(raw.shape());
    val seed_holder = val::object();
    seed_holder.set("seed", seed);
    Rng(SettingsReader(seed_holder).seed("seed", 0), forward_rng_stream)
        .fill_normal(handle->eps.data(), handle->eps.size());
    val out = val::object();
    out.set("timesteps", handle->schedule.T);
    out.set("forward", val(std::move(handle)));
    return out;
  });
}

// forwardFromTrainer(trainer, n, seed) -> { forward }: the first n training samples (images, say)
// exactly as the run normalizes them (an image's fixed map to [-1, 1], never a fit), noised with
// the run's schedule.
val forward_from_trainer(const TrainerHandle& trainer, int n, val seed) {
  return guarded([&] {
    const TrainingData& data = trainer.trainer->data();
    if (n < 1 || n > 4096) fail("forwardFromTrainer: n = ", n, " is invalid: must be in [1, 4096]");
    const std::size_t rows = std::min<std::size_t>(static_cast<std::size_t>(n), data.size());
    auto handle = std::make_unique<ForwardHandle>();
    handle->schedule = trainer.trainer->schedule();
    handle->diffusion = trainer.trainer->diffusion_config();
    handle->normalization = data.normalization;
    handle->x0 = xt::view(data.samples, xt::range(0, rows), xt::all());
    handle->eps = Tensor2::from_shape(handle->x0.shape());
    val seed_holder = val::object();
    seed_holder.set("seed", seed);
    Rng(SettingsReader(seed_holder).seed("seed", 0), forward_rng_stream)
        .fill_normal(handle->eps.data(), handle->eps.size());
    val out = val::object();
    out.set("timesteps", handle->schedule.T);
    out.set("n", static_cast<double>(rows));
    out.set("forward", val(std::move(handle)));
    return out;
  });
}

}  // namespace
}  // namespace diffuse::web

EMSCRIPTEN_BINDINGS(diffuse_forward) {
  emscripten::class_<diffuse::web::ForwardHandle>("ForwardProcess")
      .function("at", &diffuse::web::ForwardHandle::at);
  emscripten::function("forwardCreate", &diffuse::web::forward_create);
  emscripten::function("forwardFromTrainer", &diffuse::web::forward_from_trainer);
}
