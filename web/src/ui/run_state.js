// What the page knows about the run, from the worker's messages: whether training runs, the step,
// the last loss, the last samples (for window.diffuse.samples()), and whether the run can train.
export class RunState {
  constructor() { this.clear(); }

  clear() {
    this.running = false;
    this.step = 0;
    this.loss = null;
    this.samples = null;
    this.samplings = 0;        // sampling runs completed
    this.resumable = true;
    this.ready = false;
    this.stepsPerSec = 0;
    this.memoryBytes = 0;      // the largest WebAssembly memory seen
  }

  // The last samples as [[x, y], ...] in the data's units.
  samplePairs() {
    if (!this.samples) return [];
    const out = [];
    for (let i = 0; i < this.samples.length; i += 2) out.push([this.samples[i], this.samples[i + 1]]);
    return out;
  }
}
