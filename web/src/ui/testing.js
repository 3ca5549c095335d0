// The hooks browser tests use instead of the layout: window.diffuse.state() (the settings, the step
// and the loss, as JSON-ready data), window.diffuse.samples() (the last samples in the data's own
// units: [[x, y], ...] for 2D points, { shape, data } otherwise) and window.diffuse.labels() (their
// classes, [] for an unconditional model). state().quality lists the last quality measurement's
// points ({ sampler, steps, calls, metric, value }), state().qualityDone says when it finished
// ({ elapsedMs, skipped }, else null), state().elbo the last ELBO's terms, state().qualityOther the
// other objective's measurement the chart shows faint ({ objective, dataset, metric, points } or null).
// window.diffuse.build() is the module the worker runs: { threaded, threads } (null before ready).
// window.diffuse.failWorker() makes the worker throw an exception nothing catches (the page restarts
// it and restores the run).
export function installTestHooks({ settings, run, fail }) {
  window.diffuse = {
    failWorker: () => fail(),
    state: () => ({
      settings: { ...settings() }, step: run.step, loss: run.loss, running: run.running, ready: run.ready,
      samplings: run.samplings, stepsPerSec: run.stepsPerSec, memoryBytes: run.memoryBytes,
      classes: run.classes, quality: run.quality, qualityDone: run.qualityDone, elbo: run.elbo,
      qualityOther: run.qualityOther,
    }),
    samples: () => run.sampleValues(),
    labels: () => run.sampleClasses(),
    build: () => run.build ?? null,
  };
}
