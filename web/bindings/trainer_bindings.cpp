// The trainer: a training run created from the page's settings and data, stepped N times per call
// by the worker (seed 004, "The Complete Training Algorithm"), with live changes to the settings
// that do not change what is being learned.
#include <emscripten/bind.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "base/rng.hpp"
#include "data/toy2d.hpp"
#include "executor.hpp"
#include "guard.hpp"
#include "handles.hpp"
#include "settings.hpp"
#include "typed_arrays.hpp"

namespace diffuse::web {

using emscripten::val;

namespace {

// data: { dataset: "moons" } draws trainSize points with the run's seed exactly as the CLI does
// (with their labels when the run is conditional); { points: Float32Array (n*D, data units),
// shape: [D] (default [2]), labels: Int32Array (n) (optional), source: "drawn" } uses the given
// points. Labels are whole numbers 0..K-1 (K = max + 1); a conditional run needs them.
TrainingData training_data(const val& data, const TrainConfig& train, bool conditional) {
  const SettingsReader d(data);
  if (d.has("dataset")) {
    const std::string name = d.text("dataset", "");
    const Toy2d set = toy2d_sets.value(name);
    Rng rng(train.seed, toy2d_rng_stream);
    if (!conditional) return training_data_from_points(toy2d_sample(set, train.train_size, rng), name);
    if (toy2d_classes(set) == 0) {
      fail("data set ", name, " has no class labels: a conditional model needs moons, circles, ",
           "gaussians8, gaussians25, spirals, or points with labels");
    }
    Labels labels;
    const Tensor2 points = toy2d_sample(set, train.train_size, rng, &labels);
    return training_data_from_points(points, std::move(labels), toy2d_classes(set), name);
  }
  if (!d.has("points")) fail("data must name a dataset or give points");
  std::size_t D = 2;
  if (d.has("shape")) {
    const std::vector<double> shape = from_js_array<double>(data["shape"], "data shape");
    if (shape.size() != 1 || !(shape[0] >= 1 && shape[0] <= 65536) || shape[0] != std::floor(shape[0])) {
      fail("data shape must be [D] with D in 1..65536 (points)");
    }
    D = static_cast<std::size_t>(shape[0]);
  }
  const Tensor2 raw = points_from_js(data["points"], D, "data points");
  if (raw.shape(0) < 2) fail("the data has ", raw.shape(0), " point: at least 2 are needed");
  const std::string source = d.text("source", "points");
  if (!conditional) return training_data_from_points(raw, source);
  if (!d.has("labels")) fail("a conditional model needs labeled points (a CSV file with a label column)");
  const std::vector<std::int32_t> values = from_js_array<std::int32_t>(data["labels"], "labels");
  if (values.size() != raw.shape(0)) {
    fail(raw.shape(0), " points but ", values.size(), " labels");
  }
  Labels labels = Labels::from_shape({values.size()});
  std::int32_t top = 0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (values[i] < 0 || values[i] >= model_classes_range.max) {
      fail("label ", values[i], " of point ", i, " is invalid: labels are 0..", model_classes_range.max - 1);
    }
    labels(i) = values[i];
    top = std::max(top, values[i]);
  }
  return training_data_from_points(raw, std::move(labels), static_cast<std::size_t>(top) + 1, source);
}

std::vector<std::string> changed_fields(const TrainConfig& a, const TrainConfig& b) {
  std::vector<std::string> out;
  if (a.steps != b.steps) out.push_back("steps");
  if (a.batch != b.batch) out.push_back("batch");
  if (a.learning_rate != b.learning_rate) out.push_back("lr");
  if (a.warmup_steps != b.warmup_steps) out.push_back("warmup");
  if (a.lr_schedule != b.lr_schedule) out.push_back("lrSchedule");
  if (a.loss.weighting != b.loss.weighting) out.push_back("lossWeighting");
  if (a.loss.snr_gamma != b.loss.snr_gamma) out.push_back("snrGamma");
  if (a.ema_decay != b.ema_decay) out.push_back("emaDecay");
  if (a.grad_clip != b.grad_clip) out.push_back("gradClip");
  if (a.optimizer.weight_decay != b.optimizer.weight_decay) out.push_back("weightDecay");
  if (a.label_dropout != b.label_dropout) out.push_back("labelDropout");
  return out;
}

val trainer_create(val settings, val data) {
  return guarded([&] {
    const ScheduleConfig schedule = schedule_settings(settings);
    const DiffusionConfig diffusion = diffusion_settings(settings);
    const TrainConfig train = train_settings(settings, diffusion);
    const bool conditional = SettingsReader(settings).flag("conditional", false);
    TrainingData training = training_data(data, train, conditional);
    const ModelConfig model = model_settings(settings, training.shape, training.classes);
    auto handle = std::make_unique<TrainerHandle>();
    handle->trainer = std::make_unique<Trainer>(schedule, diffusion, model, train, std::move(training));
    val out = handle->info();
    out.set("trainer", val(std::move(handle)));
    return out;
  });
}

}  // namespace

val TrainerHandle::train(int n) {
  return guarded([&] {
    if (n < 1 || n > 100000) fail("train(n): n = ", n, " is invalid: must be in [1, 100000]");
    std::vector<float> losses;
    losses.reserve(static_cast<std::size_t>(n));
    TrainStepResult last;
    bool diverged = false;
    if (!good) good = trainer->state();
    for (int i = 0; i < n && !trainer->finished(); ++i) {
      last = trainer->step(page_executor());
      if (!last.finite) break;  // not applied: the weights are those of the last step
      if (watch.diverged(last.loss)) {
        diverged = true;
        break;
      }
      losses.push_back(static_cast<float>(last.loss));
      if (last.step % good_every == 0) good = trainer->state();
    }
    // A blow-up: the weights that produced it are already bad (a step that is not finite was not
    // applied, but the weights before it gave that loss), so the run goes back to the last state
    // the watch passed, as `diffuse train` saves a finite blow-up's (native/commands/train_command.cpp).
    const bool restore = diverged || !last.finite;
    if (restore) trainer->set_state(*good);
    val out = val::object();
    out.set("restoredStep", restore ? static_cast<double>(good->step) : -1.0);
    out.set("step", static_cast<double>(trainer->steps_done()));
    out.set("losses", to_typed_array(losses));
    out.set("loss", last.loss);
    out.set("lr", last.learning_rate);
    out.set("gradNorm", last.grad_norm);
    out.set("finite", last.finite);
    out.set("diverged", diverged);
    out.set("finished", trainer->finished());
    return out;
  });
}

val TrainerHandle::loss_by_t() const {
  return guarded([&] {
    const LossByT& by_t = trainer->loss_by_t();
    const std::vector<double> values = by_t.values();
    std::vector<std::int32_t> starts(static_cast<std::size_t>(by_t.buckets()) + 1);
    for (int k = 0; k <= by_t.buckets(); ++k) starts[k] = by_t.bucket_start(k);
    val out = val::object();
    out.set("values", to_typed_array(values));
    out.set("starts", to_typed_array(starts));
    return out;
  });
}

val TrainerHandle::update(val settings) {
  return guarded([&] {
    const TrainConfig& current = trainer->train_config();
    TrainConfig next = train_settings(settings, trainer->diffusion_config());
    if (next.seed != current.seed) fail("the seed cannot change mid-run: reset to use seed ", next.seed);
    next.train_size = current.train_size;  // the data is already drawn
    const std::vector<std::string> changed = changed_fields(current, next);
    if (changed.size() == 1 && changed[0] == "steps") {
      trainer->set_total_steps(next.steps);
    } else if (!changed.empty()) {
      // The same run under the new settings: a fresh trainer given the old one's exact state.
      auto fresh = std::make_unique<Trainer>(trainer->schedule_config(), trainer->diffusion_config(),
                                             trainer->model_config(), next, trainer->data());
      fresh->set_state(trainer->state());
      trainer = std::move(fresh);
    }
    val names = val::array();
    for (const auto& name : changed) names.call<void>("push", name);
    val out = val::object();
    out.set("changed", names);
    out.set("finished", trainer->finished());
    return out;
  });
}

val TrainerHandle::model(bool ema) const {
  return guarded([&] {
    auto handle = std::make_unique<ModelHandle>();
    handle->schedule = trainer->schedule();
    handle->normalization = trainer->data().normalization;
    handle->denoiser = trainer->make_denoiser(ema);
    handle->diffusion = trainer->diffusion_config();
    handle->model = trainer->model_config();
    handle->train = trainer->train_config();
    handle->step = trainer->steps_done();
    handle->ema = ema;
    val out = val::object();
    out.set("model", val(std::move(handle)));
    return out;
  });
}

val TrainerHandle::data() const {
  return guarded([&] {
    const TrainingData& d = trainer->data();
    val out = val::object();
    out.set("points", points_to_js(normalization_undo(d.normalization, d.samples)));
    out.set("n", static_cast<double>(d.size()));
    out.set("shape", shape_to_js(d.shape));
    out.set("labels", d.labeled() ? to_typed_array(d.labels) : val::null());
    out.set("classes", static_cast<double>(d.classes));
    out.set("source", d.source);
    return out;
  });
}

val TrainerHandle::info() const {
  return guarded([&] {
    val out = val::object();
    out.set("step", static_cast<double>(trainer->steps_done()));
    out.set("finished", trainer->finished());
    out.set("params", static_cast<double>(trainer->network().layout().count()));
    out.set("trainSize", static_cast<double>(trainer->data().size()));
    out.set("shape", shape_to_js(trainer->data().shape));
    out.set("classes", static_cast<double>(trainer->network().classes()));
    out.set("source", trainer->data().source);
    out.set("classNames", strings_to_js(trainer->data().class_names));
    out.set("normalization", normalization_to_js(trainer->data().normalization));
    out.set("settings", settings_to_js(trainer->schedule_config(), trainer->diffusion_config(),
                                       trainer->model_config(), trainer->train_config()));
    return out;
  });
}

}  // namespace diffuse::web

EMSCRIPTEN_BINDINGS(diffuse_trainer) {
  using diffuse::web::TrainerHandle;
  emscripten::class_<TrainerHandle>("Trainer")
      .function("train", &TrainerHandle::train)
      .function("lossByT", &TrainerHandle::loss_by_t)
      .function("update", &TrainerHandle::update)
      .function("model", &TrainerHandle::model)
      .function("data", &TrainerHandle::data)
      .function("info", &TrainerHandle::info);
  emscripten::function("trainerCreate", &diffuse::web::trainer_create);
}
