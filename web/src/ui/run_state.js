// What the page knows about the run, from the worker's messages: whether training runs, the step,
// the last loss, the last samples (for window.diffuse.samples()), and whether the run can train.
export class RunState {
  constructor() {
    this.build = null;  // the worker's module, from its ready message: { threaded, threads }
    this.clear();
  }

  clear() {
    this.running = false;
    this.step = 0;
    this.loss = null;
    this.samples = null;       // the last samples, flat, in the data's units
    this.sampleLabels = null;  // their classes (Int32Array), or null for an unconditional model
    this.sampleShape = [2];    // one sample's shape
    this.classes = 0;          // K of a conditional model, else 0
    this.samplings = 0;        // sampling runs completed
    this.resumable = true;
    this.ready = false;
    this.stepsPerSec = 0;
    this.memoryBytes = 0;      // the largest WebAssembly memory seen
    this.quality = [];         // the last quality measurement: { sampler, steps, calls, metric, value }
    this.qualityDone = null;   // when it has finished: { elapsedMs, skipped: [text] }, else null
    this.elbo = null;          // the last ELBO: { prior, diffusion, decoder, nllNats, bitsPerDim, ... }
    this.kept = null;          // the run as checkpoint bytes ({ bytes, step }), to restore a failed worker
    this.keptAt = 0;           // when it was asked for (performance.now())
    this.qualityOf = null;     // what the last quality measurement was of: { objective, dataset, metric }
    this.qualityOther = null;  // the last one of the other objective on the same data (and its points)
  }

  // The last samples in the data's units: [[x, y], ...] for 2D points; otherwise
  // { shape: [n, ...sample shape], data: [...] } (row-major).
  sampleValues() {
    const shape = this.sampleShape ?? [2];
    if (!this.samples) return shape.length === 1 && shape[0] === 2 ? [] : { shape: [0, ...shape], data: [] };
    if (shape.length === 1 && shape[0] === 2) {
      const out = [];
      for (let i = 0; i < this.samples.length; i += 2) out.push([this.samples[i], this.samples[i + 1]]);
      return out;
    }
    const size = shape.reduce((a, b) => a * b, 1);
    return { shape: [this.samples.length / size, ...shape], data: Array.from(this.samples) };
  }

  // The last samples' classes ([k, ...]), or [] for an unconditional model.
  sampleClasses() {
    return this.sampleLabels ? Array.from(this.sampleLabels) : [];
  }
}
