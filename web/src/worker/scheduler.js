// Runs the worker's jobs in short slices, round-robin, yielding to the event loop between slices so
// that messages from the page (pause, a slider move) are handled within one slice.
//
// A job is { slice(budgetMs) -> true when finished, dispose?() }. Starting a job under a name that
// is already running replaces it (the old one is disposed): a new request supersedes a stale one.
// A job that throws is stopped and reported through onError; the worker itself never dies.

export class Scheduler {
  constructor({ sliceMs = 20, onError = () => {} } = {}) {
    this.sliceMs = sliceMs;
    this.onError = onError;
    this.jobs = new Map();
    this.turn = 0;
    this.pending = false;
    // A MessageChannel yields to the event loop without setTimeout's 4 ms clamp.
    this.channel = new MessageChannel();
    this.channel.port1.onmessage = () => this.tick();
  }

  start(name, job) {
    this.stop(name);
    this.jobs.set(name, job);
    this.wake();
  }

  stop(name) {
    const job = this.jobs.get(name);
    if (!job) return false;
    this.jobs.delete(name);
    try { job.dispose?.(); } catch (error) { this.onError(name, error); }
    return true;
  }

  has(name) { return this.jobs.has(name); }

  wake() {
    if (this.pending || this.jobs.size === 0) return;
    this.pending = true;
    this.channel.port2.postMessage(0);
  }

  tick() {
    this.pending = false;
    const names = [...this.jobs.keys()];
    if (names.length === 0) return;
    this.turn = (this.turn + 1) % names.length;
    const name = names[this.turn];
    const job = this.jobs.get(name);
    let finished = true;
    try {
      finished = job.slice(this.sliceMs);
    } catch (error) {
      this.onError(name, error);
    }
    if (finished && this.jobs.get(name) === job) this.stop(name);
    this.wake();
  }
}
