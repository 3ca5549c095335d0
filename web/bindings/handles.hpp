#pragma once
// The objects JavaScript holds (embind classes; the worker calls .delete() when done). Each owns
// copies of what it reads, so none can dangle: a Sampler keeps its own denoiser and schedule even
// if the Trainer that made them trains on or is deleted. None is copyable or movable (the core's
// Sampler and ElboEvaluator keep pointers to their owner's denoiser and schedule).
//
// Every method returns { ok: true, ... } or { ok: false, error } (guard.hpp).
#include <emscripten/val.h>

#include <memory>
#include <string>
#include <vector>

#include "data/normalization.hpp"
#include "diffusion/elbo.hpp"
#include "diffusion/sampler.hpp"
#include "diffusion/schedule.hpp"
#include "diffusion/trainer.hpp"
#include "nn/mlp_denoiser.hpp"

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
  std::unique_ptr<MlpDenoiser> denoiser;
  MlpConfig model;
  TrainConfig train;      // how the weights were trained (for the page's settings)
  std::int64_t step = 0;  // training steps behind these weights
  bool ema = true;        // EMA weights or raw ones

  std::unique_ptr<MlpDenoiser> clone_denoiser() const;

  // model.field(t, { xmin, xmax, ymin, ymax, nx, ny }) -> the model at step t on a grid in data
  // units: { points (nx*ny*2, data units), eps (normalized), x0Hat (data units) }.
  emscripten::val field(int t, emscripten::val grid);
  // model.sampler({ sampler, samplerSteps, eta, spacing, variance, n, seed, recordEvery }) -> { sampler }
  emscripten::val sampler(emscripten::val options) const;
  // model.elbo(points (data units, flat), { strata, variance, seed, batch }) -> { elbo }
  emscripten::val elbo(emscripten::val points, emscripten::val options) const;
  // { step, ema, params, normalization, settings, timesteps }
  emscripten::val info() const;
};

// A resumable sampler (core/diffusion/sampler.hpp) with its own copy of the model. The rows are
// split into chunks, each its own core Sampler over rows [first_row, first_row + rows), so one
// unit of work (one step of one chunk) stays short however many points are drawn, and the result
// is still exactly that of one sampler over all rows. Chunks advance in lockstep: unit u is step
// u / chunks of chunk u % chunks. Only the first chunk records a trajectory.
struct SamplerHandle : NonCopyable {
  NoiseSchedule schedule;
  Normalization normalization;
  std::unique_ptr<MlpDenoiser> denoiser;
  std::vector<std::unique_ptr<Sampler>> chunks;  // declared last: destroyed before what they point to
  std::size_t units_done = 0;

  std::size_t units_total() const { return chunks.size() * static_cast<std::size_t>(chunks[0]->steps_total()); }
  bool done() const { return units_done == units_total(); }

  // sampler.advance(units) -> { unitsDone, unitsTotal, done, stepsTaken, stepsTotal, t }
  emscripten::val advance(int units);
  // sampler.current() -> { x, x0Hat } in data units (x0Hat empty before the first step)
  emscripten::val current() const;
  // sampler.trajectory(maxPoints) -> { timesteps: Int32Array(F), frames, n, x: Float32Array(F*n*2),
  // x0Hat }: the first n = min(maxPoints, rows of the first chunk) rows of every recorded frame.
  emscripten::val trajectory(int max_points) const;
};

// An incremental ELBO evaluation (core/diffusion/elbo.hpp) with its own copy of the model.
struct ElboHandle : NonCopyable {
  NoiseSchedule schedule;
  std::unique_ptr<MlpDenoiser> denoiser;
  std::unique_ptr<ElboEvaluator> evaluator;  // declared last

  // elbo.advance(units) -> { unitsDone, unitsTotal, done }
  emscripten::val advance(int units);
  // elbo.result() -> { prior, diffusion, decoder, nllNats, nllDataNats, bitsPerDim, ..., perT }
  emscripten::val result() const;
};

// A training run (core/diffusion/trainer.hpp).
struct TrainerHandle : NonCopyable {
  std::unique_ptr<Trainer> trainer;

  // trainer.train(n) -> { step, losses: Float32Array(k), loss, lr, gradNorm, finished, finite }:
  // up to n steps, fewer if the run finishes or a step is not finite.
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
  // trainer.data() -> { points: Float32Array (data units), n, source }
  emscripten::val data() const;
  // { step, finished, params, trainSize, source, normalization, settings }
  emscripten::val info() const;
};

}  // namespace diffuse::web
