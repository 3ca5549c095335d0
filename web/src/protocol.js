// Every message between the page (main.js) and the worker (worker.js). A message is
// { type, ...fields }; the fields are listed next to each type. Typed arrays travel as transfers.
// tests/web/protocol.test.mjs fails when a message is sent or handled that is not listed here, or
// listed and never sent.
//
// Samples are flat Float32Arrays in the data's own units, sample after sample, each of `shape`
// ([2] for points: [x0, y0, x1, y1, ...]); labels, where a model is conditional, are Int32Arrays of
// one class per sample.

// Page -> worker.
export const TO_WORKER = Object.freeze({
  init: 'init',                   // {}: answer ready (or fatal) once the WebAssembly module is loaded
  configure: 'configure',         // { settings, data?: { points, shape, labels?, source } | { csv, source },
                                  //   reason }:
                                  //   a new run (data, schedule, model, seed); training stops
  update: 'update',               // { settings, changed: [names] }: live training settings, and the
                                  //   class (and guidance) the previews of an image run draw
  train: 'train',                 // {}: start or resume training
  pause: 'pause',                 // {}: stop training after the current slice
  step: 'step',                   // { n }: n training steps, then stop
  forward: 'forward',             // { t }: x_t of the data at step t (fixed noise)
  sample: 'sample',               // { settings }: sample settings.sampleN points
  field: 'field',                 // { t, grid: { xmin, xmax, ymin, ymax, nx, ny }, weights }
  quality: 'quality',             // { settings, budgets: [model calls...], n }: sample quality of every
                                  //   sampler against model calls (n samples each)
  elbo: 'elbo',                   // { settings }: the ELBO's terms on settings.elboN examples
  cancel: 'cancel',               // { job }: stop a sampling / quality / ELBO job
  checkpointSave: 'checkpointSave',  // { keep }: the run as safetensors bytes (keep: for the page to
                                  //   hold, to restore the run if the worker fails; else to download)
  checkpointLoad: 'checkpointLoad',  // { bytes: Uint8Array, name }: a checkpoint file
  fail: 'fail',                   // {}: a test hook (ui/testing.js): the worker throws an exception
                                  //   nothing catches, as a bug would; the page restarts it
});

// Worker -> page.
export const TO_PAGE = Object.freeze({
  ready: 'ready',                 // { version, simd, datasets, build: { threaded, threads } }
  fatal: 'fatal',                 // { error }: the module cannot run at all
  status: 'status',               // { text, level: 'info' | 'warn' | 'error' }
  configured: 'configured',       // { run: { step, params, trainSize, source, normalization, settings,
                                  //   shape, classes, classNames, resumable, levels (images), note },
                                  //   points (display subset: points, or images by class),
                                  //   labels (the displayed images' classes, or null), reason }
  configureFailed: 'configureFailed',  // { error }: the settings cannot make a run; the current
                                  //   run (if any) goes on unchanged
  schedule: 'schedule',           // { tables: { alpha_bar, snr, beta, ... (Float64Array) } }
  forward: 'forward',             // { t, points (x_t in data units: points or images), alphaBar
                                  //   (null for a flow run), level (a flow run's s, else null) }
  progress: 'progress',           // { step, losses (this slice), loss, lr, stepsPerSec, running,
                                  //   finished, memoryBytes }
  lossByT: 'lossByT',             // { values, starts }
  preview: 'preview',             // { step, raw, ema, labels, shape }: samples of the current weights
  jobProgress: 'jobProgress',     // { job: 'sample' | 'quality' | 'elbo', done, total, label }
  samples: 'samples',             // { points, labels, shape, n, trajectory: { timesteps (Float64Array:
                                  //   fractional for Euler and Heun), frames, n, x, x0Hat }, elapsedMs,
                                  //   settings, made: { steps, spacing, stepsTotal (model calls) },
                                  //   memoryBytes }
  field: 'field',                 // { t, points, eps, x0Hat, nx, ny, normalization }
  qualityPoint: 'qualityPoint',   // { sampler, steps, calls, value, metric, baseline? }: metric
                                  //   energy | mmd (points; baseline: other data points' score),
                                  //   agreement | frechet (images; frechet with the held-out
                                  //   images' own score as baseline)
  qualityDone: 'qualityDone',     // { elapsedMs, skipped: [text], described }: what was left out
                                  //   (no plan at that budget) and what produced the chart
  elbo: 'elbo',                   // { result: { prior, diffusion, decoder, nllNats, ..., perT } }
  jobStopped: 'jobStopped',       // { job }: a job ended without a result (cancelled or failed)
  checkpoint: 'checkpoint',       // { bytes: Uint8Array, step, keep }
  loaded: 'loaded',               // { settings, step, source, resumable, name, note }
});
