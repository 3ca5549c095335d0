// A frozen model: the learned eps-field on a grid (what the reverse process follows), and the
// factories of samplers and ELBO evaluations (sampler_bindings.cpp, elbo_bindings.cpp).
#include <emscripten/bind.h>

#include "diffusion/flow.hpp"
#include "diffusion/parameterization.hpp"
#include "executor.hpp"
#include "guard.hpp"
#include "handles.hpp"
#include "settings.hpp"
#include "typed_arrays.hpp"

namespace diffuse::web {

using emscripten::val;

SamplingModel sampling_model(const ModelHandle& model, const val& options, std::size_t n) {
  const SettingsReader o(options);
  SamplingModel out;
  out.denoiser = model.denoiser->clone();
  const std::size_t K = model.classes();
  const double guidance = o.number("guidance", 1.0);
  guidance_validate(guidance);
  if (K > 0) out.guided = std::make_unique<GuidedDenoiser>(*out.denoiser, guidance);
  if (!o.has("classLabel")) return out;
  const val label = options["classLabel"];
  if (K == 0) fail("classLabel: the model is unconditional");
  out.labels = Labels::from_shape({n});
  if (label.isString() && label.as<std::string>() == "all") {
    for (std::size_t i = 0; i < n; ++i) out.labels(i) = static_cast<std::int32_t>(i % K);
    return out;
  }
  const std::int64_t k = o.integer("classLabel", 0, 0, static_cast<std::int64_t>(K) - 1);
  out.labels.fill(static_cast<std::int32_t>(k));
  return out;
}

// At every grid point x_t the model's eps_theta(x_t, t) (a flow model: its velocity, below) (whatever it predicts, converted; for a
// conditional model, of grid.classLabel guided by grid.guidance, else the null class), so
// -eps_theta / sqrt(1 - alpha_bar_t) is its estimate of the score grad log q(x_t), and its x_0
// estimate x0_hat = (x_t - sqrt(1 - alpha_bar_t) eps_theta) / sqrt(alpha_bar_t) (seed 004).
val ModelHandle::field(int t, val grid) {
  return guarded([&] {
    if (t < 0 || t >= schedule.T) fail("field: t = ", t, " is invalid: must be in [0, ", schedule.T - 1, "]");
    if (dims() != 2) fail("field: the model's samples have ", dims(), " values; the field is for 2D points");
    const SettingsReader g(grid);
    const double xmin = g.number("xmin", -3), xmax = g.number("xmax", 3);
    const double ymin = g.number("ymin", -3), ymax = g.number("ymax", 3);
    const auto nx = static_cast<std::size_t>(g.integer("nx", 20, 1, 512));
    const auto ny = static_cast<std::size_t>(g.integer("ny", 20, 1, 512));
    if (!(xmax > xmin) || !(ymax > ymin)) fail("field: the grid's ranges must be increasing");
    Tensor2 points = Tensor2::from_shape({nx * ny, 2});
    for (std::size_t j = 0; j < ny; ++j) {
      for (std::size_t i = 0; i < nx; ++i) {
        points(j * nx + i, 0) = static_cast<float>(xmin + (i + 0.5) * (xmax - xmin) / nx);
        points(j * nx + i, 1) = static_cast<float>(ymin + (j + 0.5) * (ymax - ymin) / ny);
      }
    }
    const Tensor2 x_t = normalization_apply(normalization, points);
    Tensor2 output, eps, x0_hat;
    SamplingModel guided = sampling_model(*this, grid, nx * ny);
    const Labels* labels = guided.labels.size() ? &guided.labels : nullptr;
    if (diffusion.objective == Objective::flow) {
      // A flow model at the training level s of index t (diffusion/flow.hpp), given s T: its output
      // is the velocity v, returned as `eps` so the plot's arrows along -v point where Euler's step
      // x' = x + (s' - s) v (s' < s) moves each point; x0_hat = x - s v.
      const double s = flow_train_level(t, schedule.T, diffusion.flow_shift);
      const double signal = (1 - s) * (1 - s);  // alpha_bar of x_s / sqrt((1 - s)^2 + s^2) (sampler_plan.cpp)
      guided.model().predict_at_level(output, x_t, NoiseLevel{s * schedule.T, signal / (signal + s * s)}, labels,
                                      page_executor());
      eps = output;
      x0_hat = x_t - static_cast<float>(s) * output;
    } else {
      guided.model().predict_at(output, x_t, t, labels, page_executor());
      Steps steps = Steps::from_shape({nx * ny});
      steps.fill(t);
      predicted_eps(eps, output, diffusion.prediction, x_t, steps, schedule);
      predicted_x0(x0_hat, output, diffusion.prediction, x_t, steps, schedule);
    }
    val out = val::object();
    out.set("points", points_to_js(points));
    out.set("eps", points_to_js(eps));
    out.set("x0Hat", points_to_js(normalization_undo(normalization, x0_hat)));
    out.set("nx", static_cast<double>(nx));
    out.set("ny", static_cast<double>(ny));
    out.set("t", t);
    return out;
  });
}

val ModelHandle::info() const {
  return guarded([&] {
    val out = val::object();
    out.set("step", static_cast<double>(step));
    out.set("ema", ema);
    out.set("params", static_cast<double>(denoiser->network().layout().count()));
    out.set("shape", shape_to_js(model_sample_shape(model)));
    out.set("classes", static_cast<double>(classes()));
    out.set("timesteps", schedule.T);
    out.set("normalization", normalization_to_js(normalization));
    out.set("settings", settings_to_js(schedule.config, diffusion, model, train));
    return out;
  });
}

}  // namespace diffuse::web

EMSCRIPTEN_BINDINGS(diffuse_model) {
  using diffuse::web::ModelHandle;
  emscripten::class_<ModelHandle>("Model")
      .function("field", &ModelHandle::field)
      .function("sampler", &ModelHandle::sampler)
      .function("elbo", &ModelHandle::elbo)
      .function("info", &ModelHandle::info);
}
