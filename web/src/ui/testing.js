// The hooks browser tests use instead of the layout: window.diffuse.state() (the settings, the step
// and the loss, as JSON-ready data) and window.diffuse.samples() (the last samples as [[x, y], ...]
// in the data's own units).
export function installTestHooks({ settings, run }) {
  window.diffuse = {
    state: () => ({
      settings: { ...settings() }, step: run.step, loss: run.loss, running: run.running, ready: run.ready,
      samplings: run.samplings, stepsPerSec: run.stepsPerSec, memoryBytes: run.memoryBytes,
    }),
    samples: () => run.samplePairs(),
  };
}
