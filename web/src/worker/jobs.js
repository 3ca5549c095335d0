// The worker's jobs, each run by the Scheduler in slices of about `budgetMs`:
//   TrainJob    optimizer steps, as many per slice as fit (measured, adaptive)
//   PreviewJob  a quick DDIM sample of the raw and the EMA weights while training runs
//   SampleJob   the page's sampler settings, with a trajectory for the animation
//   QualityJob  sample quality against the data for every sampler at several budgets of model calls
//   ElboJob     the ELBO's terms, exactly (every t) on a few examples
import { TO_PAGE } from '../protocol.js';
import { FLOW_SAMPLER, SAMPLER_NAMES, SPACING_DEFAULT, displayName, modelCalls, offersKarras, samplerOptions,
  samplerSteps, samplersFor, stepsWithin } from '../samplers.js';
import { check } from './run.js';

const now = () => performance.now();

export class TrainJob {
  // limit: stop after this many steps (the Step button); onSlice(): called after every slice.
  constructor(run, post, { limit = Infinity, onSlice = () => {} } = {}) {
    Object.assign(this, { run, post, limit, onSlice, token: run.token });
    this.msPerStep = null;
    this.lastN = 1;
    this.lastByT = 0;
  }

  slice(budgetMs) {
    const trainer = this.run.trainer;
    if (!trainer || this.token !== this.run.token) return true;
    const fit = this.msPerStep ? Math.floor(budgetMs / this.msPerStep) : 1;
    const n = Math.max(1, Math.min(fit, 2 * this.lastN, this.limit, 5000));
    const start = now();
    const r = check(trainer.train(n));
    const k = r.losses.length;
    if (k > 0) {
      const perStep = (now() - start) / k;
      this.msPerStep = this.msPerStep === null ? perStep : 0.7 * this.msPerStep + 0.3 * perStep;
      this.lastN = k;
    }
    this.limit -= k;
    const stop = r.finished || !r.finite || r.diverged || this.limit <= 0;
    this.post({
      type: TO_PAGE.progress, step: r.step, losses: r.losses, loss: k ? r.losses[k - 1] : r.loss,
      lr: r.lr, stepsPerSec: this.msPerStep ? 1000 / this.msPerStep : 0, running: !stop,
      finished: r.finished, memoryBytes: this.run.module.memoryBytes(),
    }, [r.losses.buffer]);
    if (stop || now() - this.lastByT > 250) {
      this.lastByT = now();
      const byT = check(trainer.lossByT());
      this.post({ type: TO_PAGE.lossByT, values: byT.values, starts: byT.starts });
    }
    if (!r.finite) {
      const back = r.restoredStep >= 0 ? `; the model is back at its last good state, step ${r.restoredStep}` : '';
      this.post({ type: TO_PAGE.status, level: 'error',
        text: `the loss became NaN or infinite (learning rate ${r.lr.toPrecision(3)})${back}. Lower the learning ` +
          'rate to go on' });
    } else if (r.diverged) {
      this.post({ type: TO_PAGE.status, level: 'error',
        text: `training diverged: the loss ${r.loss.toPrecision(3)} jumped above 100× its recent median (learning ` +
          `rate ${r.lr.toPrecision(3)}); the model is back at its last good state, step ${r.restoredStep}. Lower the ` +
          'learning rate to go on' });
    } else if (r.finished) {
      this.post({ type: TO_PAGE.status, level: 'info',
        text: `finished all ${r.step.toLocaleString('en')} steps (raise “Training steps” to go on)` });
    }
    this.onSlice(stop);
    return stop;
  }
}

// Advances samplers one unit of work at a time until all are done or the budget is spent; returns
// the last progress of each ({ unitsDone, unitsTotal, done, stepsTaken, stepsTotal }).
function advanceWithin(samplers, budgetMs) {
  const start = now();
  let last;
  do {
    last = samplers.map((s) => check(s.advance(1)));
  } while (!last.every((p) => p.done) && now() - start < budgetMs);
  return last;
}
const allDone = (progress) => progress.every((p) => p.done);

// The options that pick a conditional model's classes and guidance (page settings classLabel and
// guidance); none for an unconditional model.
export function classOptions(run, settings) {
  if (!run.describe().classes) return {};
  return { classLabel: settings.classLabel, guidance: settings.guidance };
}

// Image previews: a few rows of each class (a U-Net evaluation costs as much as thousands of the
// 2D MLP's), DDIM with 10 steps; one unit of work is one step of imageChunkRows() images, tens of
// milliseconds in WebAssembly, so a message waits no longer than that.
export const PREVIEW_IMAGES_PER_CLASS = 4;
// Rows of one unit of work: 32 of the digits' 8 x 8 (2,048 pixels), 2 of Fashion-MNIST's 28 x 28.
export function imageChunkRows(shape) {
  return Math.max(1, Math.min(32, Math.floor(2048 / (shape[1] * shape[2]))));
}

export class PreviewJob {
  // A conditional model's preview shows every class in turn, unguided (w = 1), or for images the
  // class picked in the page.
  constructor(run, post, { n = 500, steps = 16, seed = 7, onDone = () => {} } = {}) {
    Object.assign(this, { run, post, onDone, token: run.token, step: run.step });
    const described = run.describe();
    if (run.isImages) {
      n = PREVIEW_IMAGES_PER_CLASS * (described.classes || 10);
      steps = 10;
    }
    // An image run's previews draw the class picked in the page (at its guidance), else every class
    // in turn, unguided.
    const picked = run.isImages && run.previewClass.classLabel !== 'all' ? run.previewClass : null;
    const classes = picked ? { classLabel: picked.classLabel, guidance: picked.guidance } : { classLabel: 'all', guidance: 1 };
    // DDIM with eta = 0; a flow model's own deterministic sampler, Euler.
    const sampler = described.settings.objective === 'flow' ? { sampler: FLOW_SAMPLER } : { sampler: 'ddim', eta: 0 };
    const options = { ...sampler, samplerSteps: Math.min(steps, described.settings.timesteps),
      n, seed, chunkRows: run.isImages ? imageChunkRows(run.shape) : 256,
      ...(described.classes ? classes : {}) };
    this.samplers = ['raw', 'ema'].map((w) => run.withModel(w, (m) => check(m.sampler(options)).sampler));
  }

  slice(budgetMs) {
    if (this.token !== this.run.token) return true;
    if (!allDone(advanceWithin(this.samplers, budgetMs))) return false;
    const [rawNow, emaNow] = this.samplers.map((s) => check(s.current()));
    const [raw, ema, labels] = [rawNow.x, emaNow.x, rawNow.labels];
    this.post({ type: TO_PAGE.preview, step: this.step, raw, ema, labels, shape: rawNow.shape },
      [raw.buffer, ema.buffer, ...(labels ? [labels.buffer] : [])]);
    this.onDone();
    return true;
  }

  dispose() { this.samplers.forEach((s) => s.delete()); }
}

export const ANIMATED_IMAGES = 10;

export class SampleJob {
  // Images: settings.imageN of them, the first ANIMATED_IMAGES animated (one of each class when
  // every class is drawn in turn).
  constructor(run, post, settings, { animationPoints = run.isImages ? ANIMATED_IMAGES : 1024 } = {}) {
    Object.assign(this, { run, post, settings, animationPoints, started: now(), token: run.token });
    // About 100 frames: a frame every so many model calls (Heun's K steps are 2K - 1 calls).
    const calls = modelCalls(settings.sampler, samplerSteps(settings));
    const recordEvery = Math.max(1, Math.ceil(calls / 100));
    const objective = run.describe().settings.objective;  // the model's, whatever the controls say
    const options = { ...samplerOptions({ ...settings, objective }), n: run.isImages ? settings.imageN : settings.sampleN,
      seed: settings.sampleSeed, recordEvery, chunkRows: run.isImages ? imageChunkRows(run.shape) : 1024,
      ...classOptions(run, settings) };
    const created = run.withModel(settings.weights, (m) => check(m.sampler(options)));
    this.sampler = created.sampler;
    this.made = { steps: created.steps, spacing: created.spacing, stepsTotal: created.stepsTotal };
    this.lastProgress = 0;
  }

  slice(budgetMs) {
    if (this.token !== this.run.token) return true;
    const [p] = advanceWithin([this.sampler], budgetMs);
    if (!p.done) {
      if (now() - this.lastProgress > 100) {
        this.lastProgress = now();
        this.post({ type: TO_PAGE.jobProgress, job: 'sample', done: p.unitsDone, total: p.unitsTotal,
          label: `model call ${p.stepsTaken} of ${p.stepsTotal}` });
      }
      return false;
    }
    const current = check(this.sampler.current());
    const { x: points, labels, shape } = current;
    const trajectory = check(this.sampler.trajectory(this.animationPoints));
    const size = shape.reduce((a, b) => a * b, 1);
    this.post({
      type: TO_PAGE.samples, points, labels, shape, n: points.length / size, elapsedMs: now() - this.started,
      memoryBytes: this.run.module.memoryBytes(), made: this.made,
      settings: this.settings, trajectory: { timesteps: trajectory.timesteps, frames: trajectory.frames,
        n: trajectory.n, x: trajectory.x, x0Hat: trajectory.x0Hat },
    }, [points.buffer, trajectory.x.buffer, trajectory.x0Hat.buffer, ...(labels ? [labels.buffer] : [])]);
    return true;
  }

  dispose() { this.sampler.delete(); }
}

// The metric between samples and reference points: energy distance (U-statistic) or MMD^2.
export function quality(module, metric, samples, reference) {
  if (metric === 'mmd') return check(module.mmd(samples, reference, {})).mmd2;
  return check(module.energyDistance(samples, reference)).u;
}

// Reference points of a quality chart: the first QUALITY_REFERENCE training points; the
// data-vs-data baseline: up to QUALITY_BASELINE_DRAWS other sets of n training points.
export const QUALITY_REFERENCE = 2000;
export const QUALITY_BASELINE_DRAWS = 10;

export class QualityJob {
  // budgets: model calls; every sampler of the model's objective (a flow model's: Euler and Heun)
  // runs at each with the most steps that fit (Heun: N steps are 2N - 1 calls) and at most T
  // steps; a budget whose steps a sampler cannot take (a multistep solver whose rounded timesteps
  // repeat) is skipped and reported. n: samples per point.
  constructor(run, post, settings, { budgets, n }) {
    Object.assign(this, { run, post, settings, n, started: now(), token: run.token });
    this.flow = run.describe().settings.objective === 'flow';
    this.settings = { ...settings, objective: this.flow ? 'flow' : 'diffusion' };
    this.queue = [];
    for (const budget of budgets) {
      for (const sampler of samplersFor(this.settings.objective)) {
        const K = Math.min(stepsWithin(sampler, budget), settings.timesteps);
        // (a budget above T repeats the point of T steps: measured once)
        if (K >= 1 && !this.queue.some((q) => q.sampler === sampler && q.K === K)) this.queue.push({ sampler, K, budget });
      }
    }
    this.total = this.queue.length;
    this.skipped = [];
    this.current = null;
    this.prepareReference();
  }

  // The data the samples are judged against, and the data-vs-data baseline: the scores of other
  // sets of n data points against the same reference are a perfect model's. The estimates are
  // unbiased, so those scatter around 0: the baseline is their root mean square, the size of the
  // noise at this n (moons, n = 400: about 2e-3; one draw alone may be anywhere within it).
  prepareReference() {
    const size = this.run.sampleSize, rows = this.run.points.length / size, n = this.n;
    this.baselineDraws = Math.min(QUALITY_BASELINE_DRAWS, Math.floor(rows / n) - 1);
    this.referenceRows = Math.min(QUALITY_REFERENCE, rows - Math.max(0, this.baselineDraws) * n);
    this.reference = this.run.points.subarray(0, this.referenceRows * size);
    this.baseline = undefined;
    if (this.baselineDraws < 1) return;
    let squares = 0;
    for (let k = 0; k < this.baselineDraws; k++) {
      const first = (this.referenceRows + k * n) * size;
      squares += quality(this.run.module, this.settings.metric, this.run.points.subarray(first, first + n * size),
        this.reference) ** 2;
    }
    this.baseline = Math.sqrt(squares / this.baselineDraws);
  }

  // Whether the job can work yet (ImageQualityJob waits for its assets).
  ready() { return true; }

  // The sampler's options for one point of the chart: the page's sampler options (spacing, Karras
  // sigmas where offered, DDPM's variance), DDIM with eta = 0; quality is of the model as a whole,
  // the null class.
  samplerOptions(sampler, K) {
    return { ...samplerOptions(this.settings, { sampler, samplerSteps: K, eta: 0 }), n: this.n,
      seed: this.settings.sampleSeed, chunkRows: 256 };
  }

  // What produced the chart, for its caption.
  describe() {
    const s = this.settings;
    const metric = s.metric === 'mmd' ? 'MMD²' : 'energy distance';
    const baseline = this.baseline === undefined ? 'no data-vs-data baseline (too few training points)'
      : `data vs data: ${this.baselineDraws} other sets of ${this.n} training points against them, root mean ` +
        `square ${this.baseline.toExponential(2)}, the noise of the estimate at this n`;
    return `${metric} of ${this.n} samples per point to ${this.referenceRows.toLocaleString('en')} training points ` +
      `(${baseline}); ${this.samplingDescription()}`;
  }

  samplingDescription() {
    const s = this.settings;
    if (this.flow) {
      return `${s.weights === 'raw' ? 'raw' : 'EMA'} weights, seed ${s.sampleSeed}, a flow-matching model (shift ` +
        `${this.run.describe().settings.shift}): Euler and Heun on its own shifted levels; Heun's N steps are 2N − 1 calls`;
    }
    const spacing = s.spacing === SPACING_DEFAULT ? 'each sampler\'s default spacing' : `${s.spacing} spacing`;
    const karras = s.karras ? `Karras sigmas (${SAMPLER_NAMES.filter(offersKarras).map(displayName).join(', ')})`
      : 'no Karras sigmas';
    return `${s.weights === 'raw' ? 'raw' : 'EMA'} weights, seed ${s.sampleSeed}, ${spacing}, ${karras}, DDIM η = 0, ` +
      `DDPM ${s.variance === 'fixed_large' ? 'β_t' : 'β̃_t'}; Heun's N steps are 2N − 1 calls`;
  }

  slice(budgetMs) {
    if (this.token !== this.run.token) return true;
    if (!this.ready()) return false;
    const start = now();
    while (now() - start < budgetMs) {
      if (!this.current) {
        if (this.queue.length === 0) {
          this.post({ type: TO_PAGE.qualityDone, elapsedMs: now() - this.started, skipped: this.skipped,
            described: this.describe() });
          return true;
        }
        this.startOne(this.queue.shift());
        continue;
      }
      if (check(this.current.s.advance(1)).done) this.finishOne();
    }
    return false;
  }

  startOne({ sampler, K, budget }) {
    const created = this.run.withModel(this.settings.weights, (m) => m.sampler(this.samplerOptions(sampler, K)));
    if (!created.ok) {  // no plan at this many steps: the point is left out, and the caption says why
      this.skipped.push(`${displayName(sampler)} at ${budget} calls (${created.error})`);
      this.progress(sampler, budget);
      return;
    }
    this.current = { sampler, K, calls: created.stepsTotal, s: created.sampler };
  }

  finishOne() {
    const { sampler, K, calls, s } = this.current;
    const drawn = check(s.current());
    s.delete();
    this.current = null;
    this.judge(sampler, K, calls, drawn);
    this.progress(sampler, calls);
  }

  progress(sampler, calls) {
    this.post({ type: TO_PAGE.jobProgress, job: 'quality', done: this.total - this.queue.length, total: this.total,
      label: `${displayName(sampler)}, ${calls} model calls` });
  }

  // Posts the measurement of one finished sampling ({ x, labels }).
  judge(sampler, K, calls, { x }) {
    const value = quality(this.run.module, this.settings.metric, x, this.reference);
    this.post({ type: TO_PAGE.qualityPoint, sampler, steps: K, calls, value, metric: this.settings.metric,
      ...(this.baseline !== undefined ? { baseline: this.baseline } : {}) });
  }

  dispose() { this.current?.s.delete(); }
}

export class ElboJob {
  // examples: the images to bound (an image run's held-out images, Run.heldOutImages), or null for
  // a 2D run's own training points.
  constructor(run, post, settings, examples = null) {
    Object.assign(this, { run, post, settings, started: now(), token: run.token });
    // Images are evaluated imageChunkRows() at a time so that one unit of work stays short.
    const size = run.sampleSize;
    const n = examples ? examples.length / size : Math.min(settings.elboN, run.points.length / size);
    if (n < 2) throw new Error('the ELBO needs data points (at least 2)');
    examples ??= run.points.slice(0, size * n);
    const options = { strata: 0, variance: settings.variance, seed: settings.sampleSeed,
      batch: Math.min(n, run.isImages ? imageChunkRows(run.shape) : 256) };
    const created = run.withModel(settings.weights, (m) => check(m.elbo(examples, options)));
    this.elbo = created.elbo;
    this.lastProgress = 0;
  }

  slice(budgetMs) {
    if (this.token !== this.run.token) return true;
    const start = now();
    let p;
    do { p = check(this.elbo.advance(1)); } while (!p.done && now() - start < budgetMs);
    if (!p.done) {
      if (now() - this.lastProgress > 100) {
        this.lastProgress = now();
        this.post({ type: TO_PAGE.jobProgress, job: 'elbo', done: p.unitsDone, total: p.unitsTotal,
          label: `${p.unitsDone} of ${p.unitsTotal} terms` });
      }
      return false;
    }
    const result = check(this.elbo.result());
    delete result.ok;
    this.post({ type: TO_PAGE.elbo, result, elapsedMs: now() - this.started });
    return true;
  }

  dispose() { this.elbo.delete(); }
}

// Image quality against model calls, as `diffuse sweep` measures it: for each sampler and budget
// of model calls, n samples (every class in turn, guided by the page's w, for a conditional model) judged
// by the project's classifier: the fraction labelled as the class asked for, and the Fréchet
// distance in its features to the first REFERENCE_IMAGES held-out images (beside that of the next
// REFERENCE_IMAGES held-out images: what real digits score at the same n).
export const REFERENCE_IMAGES = 148;

export class ImageQualityJob extends QualityJob {
  constructor(run, post, settings, options) {
    super(run, post, settings, options);
    const described = run.describe();
    this.classes = described.classes;
    this.tools = null;
    this.failed = null;
    const name = described.source;
    Promise.all([run.imageData(name), run.classifier(name)]).then(
      ([data, classifier]) => { this.tools = { images: data.images, classifier }; },
      (error) => { this.failed = new Error(`quality needs the ${name} images and classifier: ${error.message ?? error}`); });
  }

  ready() {
    if (this.failed) throw this.failed;
    return this.tools !== null;  // false while the assets load
  }

  // The held-out images are the reference (judge): nothing to take from the training points.
  prepareReference() {}

  // Every class in turn at the page's guidance, in image-sized units of work.
  samplerOptions(sampler, K) {
    const options = { ...super.samplerOptions(sampler, K), chunkRows: imageChunkRows(this.run.shape) };
    if (this.classes) Object.assign(options, { classLabel: 'all', guidance: this.settings.guidance });
    return options;
  }

  describe() {
    const classes = this.classes ? `every class in turn, w = ${this.settings.guidance}` : 'unconditional';
    return `${this.n} samples per point (${classes}) judged by the digit classifier against ${REFERENCE_IMAGES} ` +
      `held-out images; ${this.samplingDescription()}`;
  }

  judge(sampler, K, calls, { x, labels }) {
    const q = check(this.tools.classifier.quality(x, labels, this.tools.images, REFERENCE_IMAGES));
    if (q.agreement !== null) {
      this.post({ type: TO_PAGE.qualityPoint, sampler, steps: K, calls, value: q.agreement, metric: 'agreement' });
    }
    this.post({ type: TO_PAGE.qualityPoint, sampler, steps: K, calls, value: q.frechet, metric: 'frechet',
      baseline: q.baselineFrechet });
  }
}
