#pragma once
// The objects JavaScript holds (embind classes; the worker calls .delete() when done). Each owns
// copies of what it reads, so none can dangle: a Sampler keeps its own denoiser and schedule even
// if the Trainer that made them trains on or is deleted. None is copyable or movable (the core's
// Sampler and ElboEvaluator keep pointers to their owner's denoiser and schedule).
//
// Every method returns { ok: true, ... } or { ok: false, error } (guard.hpp).
#include <emscripten/val.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "data/image_set.hpp"
#include "data/normalization.hpp"
#include "diffusion/diffusion_config.hpp"
#include "diffusion/divergence.hpp"
#include "diffusion/elbo.hpp"
#include "diffusion/guidance.hpp"
#include "diffusion/network_denoiser.hpp"
#include "diffusion/sampler.hpp"
#include "diffusion/schedule.hpp"
#include "diffusion/trainer.hpp"
#include "nn/model_config.hpp"

namespace diffuse::web {

class NonCopyable {
 public:
  NonCopyable() = default;
  NonCopyable(const NonCopyable&) = delete;
  NonCopyable& operator=(const NonCopyable&) = delete;
};

// A model frozen for use: weights, the schedule it was trained with, and the data's normalization.
struct ModelHandle : NonCopyable {
  NoiseSchedule schedule;
  Normalization normalization;
  std::unique_ptr<NetworkDenoiser> denoiser;
  DiffusionConfig diffusion;
  ModelConfig model;
  TrainConfig train;      // how the weights were trained (for the page's settings)
  std::int64_t step = 0;  // training steps behind these weights
  bool ema = true;        // EMA weights or raw ones

  std::size_t dims() const { return model_sample_size(model); }     // D
  std::size_t classes() const { return model_classes(model); }       // K

  // model.field(t, { xmin, xmax, ymin, ymax, nx, ny, classLabel, guidance }) -> the model at step t
  // on a grid in data units (2D models): { points (nx*ny*2, data units), eps (normalized), x0Hat
  // (data units) }.
  emscripten::val field(int t, emscripten::val grid);
  // model.sampler({ sampler, samplerSteps, eta, spacing, variance, n, seed, recordEvery,
  // chunkRows, classLabel ("all", a class, or absent: the null class), guidance }) -> { sampler }
  emscripten::val sampler(emscripten::val options) const;
  // model.elbo(points (data units, flat), { strata, variance, seed, batch, draws }) -> { elbo }
  emscripten::val elbo(emscripten::val points, emscripten::val options) const;
  // { step, ema, params, shape, classes, normalization, settings, timesteps }
  emscripten::val info() const;
};

// What the page's sampling runs: a copy of a model's network, guided when it is conditional
// (diffusion/guidance.hpp), and the class of each row.
struct SamplingModel {
  std::unique_ptr<NetworkDenoiser> denoiser;
  std::unique_ptr<GuidedDenoiser> guided;  // conditional models only
  Labels labels;                           // (n,) or empty: the null class

  Denoiser& model() { return guided ? static_cast<Denoiser&>(*guided) : *denoiser; }
};
// options.classLabel: "all" (row i has class i mod K), a class 0..K-1, or absent/null; guidance:
// w (default 1). Error for a class with an unconditional model or out of range.
SamplingModel sampling_model(const ModelHandle& model, const emscripten::val& options, std::size_t n);

// A resumable sampler (core/diffusion/sampler.hpp) with its own copy of the model. The rows are
// split into chunks, each its own core Sampler over rows [first_row, first_row + rows), so one
// unit of work (one step of one chunk) stays short however many points are drawn, and the result
// is still exactly that of one sampler over all rows. Chunks advance in lockstep: unit u is step
// u / chunks of chunk u % chunks. Only the first chunk records a trajectory.
struct SamplerHandle : NonCopyable {
  NoiseSchedule schedule;
  SampleShape shape;  // one sample's: {2} for points, {C, H, W} for images
  Normalization normalization;
  SamplingModel model;
  std::vector<std::unique_ptr<Sampler>> chunks;  // declared last: destroyed before what they point to
  std::size_t units_done = 0;

  std::size_t units_total() const { return chunks.size() * static_cast<std::size_t>(chunks[0]->steps_total()); }
  bool done() const { return units_done == units_total(); }

  // sampler.advance(units) -> { unitsDone, unitsTotal, done, stepsTaken, stepsTotal, t }: steps
  // are model calls; t (a real number) is where the next call evaluates the model, -1 when done
  emscripten::val advance(int units);
  // sampler.current() -> { x, x0Hat, labels (Int32Array, or null for the null class), shape } in
  // data units (x0Hat empty before the first step; x, once done, clipped to an image's levels)
  emscripten::val current() const;
  // sampler.trajectory(maxPoints) -> { timesteps: Float64Array(F) (fractional for Euler and Heun;
  // -1: the samples), frames, n, x: Float32Array(F*n*2),
  // x0Hat }: the first n = min(maxPoints, rows of the first chunk) rows of every recorded frame.
  emscripten::val trajectory(int max_points) const;
};

// An incremental ELBO evaluation (core/diffusion/elbo.hpp) with its own copy of the model.
struct ElboHandle : NonCopyable {
  NoiseSchedule schedule;
  std::unique_ptr<NetworkDenoiser> denoiser;
  std::unique_ptr<ElboEvaluator> evaluator;  // declared last

  // elbo.advance(units) -> { unitsDone, unitsTotal, done }
  emscripten::val advance(int units);
  // elbo.result() -> { prior, diffusion, decoder, nllNats, nllDataNats, bitsPerDim, ..., perT }
  emscripten::val result() const;
};

// An image data set's training and held-out images, loaded once from the page's assets
// (image_bindings.cpp) and shared by every run, checkpoint and quality measurement that needs it.
struct ImageDataHandle : NonCopyable {
  std::string name;  // "digits"
  ImageSplit split;

  // images.info() -> { name, train, test, shape, levels, classes, classNames }
  emscripten::val info() const;
  // images.take(part ("train" | "test"), first, n) -> { data: Float32Array (n C H W, data units),
  // labels: Int32Array (n), n }: the images first .. first + n - 1 of that part (fewer at its end)
  emscripten::val take(const std::string& part, int first, int n) const;
};

// A training run (core/diffusion/trainer.hpp).
struct TrainerHandle : NonCopyable {
  static constexpr std::int64_t good_every = 100;  // as `diffuse train` keeps its last good state

  std::unique_ptr<Trainer> trainer;
  DivergenceWatch watch;  // the CLI's rule: a loss above 100x the median of the last 1,000
  std::optional<TrainerState> good;  // the last state the watch passed, every good_every steps

  // trainer.train(n) -> { step, losses: Float32Array(k), loss, lr, gradNorm, finished, finite,
  // diverged, restoredStep }: up to n steps, fewer if the run finishes, a step is not finite (not
  // applied), or its loss jumps above 100x the median of the last 1,000 (diffusion/divergence.hpp;
  // diverged: true, the loss in `loss`). Either way the weights that produced that loss are bad, so
  // the run goes back to its last good state, at step restoredStep (else restoredStep = -1).
  emscripten::val train(int n);
  // trainer.lossByT() -> { values: Float64Array(buckets) (NaN: no example yet), starts: Int32Array }
  emscripten::val loss_by_t() const;
  // trainer.update(settings) -> { changed: [names] }: applies the training settings that can
  // change mid-run (steps, lr, warmup, lrSchedule, batch, lossWeighting, snrGamma, emaDecay,
  // gradClip, weightDecay) keeping weights, Adam and EMA state. Model, schedule, seed and data
  // cannot change (Error: the page resets instead).
  emscripten::val update(emscripten::val settings);
  // trainer.model(ema) -> { model }: a frozen copy of the current EMA (or raw) weights.
  emscripten::val model(bool ema) const;
  // trainer.data() -> { points: Float32Array (data units), n, shape, labels (Int32Array or null),
  // classes, source }
  emscripten::val data() const;
  // { step, finished, params, trainSize, shape, classes, source, normalization, settings }
  emscripten::val info() const;
};

}  // namespace diffuse::web
