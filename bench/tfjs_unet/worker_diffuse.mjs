// diffuse's side of the browser benchmark: the benchmark module (build-wasm/bin/diffuse_bench.mjs,
// the page's module plus bench/wasm/bench_bindings.cpp), whose benchUNetTrain builds the page's
// Trainer from the page's settings and times its steps inside WebAssembly (one thread: the module
// has no threads).
import createDiffuseModule from '/build-wasm/bin/diffuse_bench.mjs';

let module, settings;

async function start(data) {
  module = await createDiffuseModule();
  settings = data.settings;
  const probe = module.benchUNetTrain(settings, 0, 1);  // checks the settings, sizes the buffers
  if (!probe.ok) throw new Error(probe.error);
  return { model: probe.model, parameters: probe.parameters, chunkRows: probe.chunkRows, build: module.buildInfo?.() };
}

// A fresh Trainer, warmupSteps untimed steps, then `steps` timed steps.
function round({ steps, warmupSteps = 2 }) {
  const r = module.benchUNetTrain(settings, warmupSteps, steps);
  if (!r.ok) throw new Error(r.error);
  return { seconds: r.seconds, steps: r.steps, loss: r.loss };
}

self.onmessage = async ({ data }) => {
  try {
    const result = data.type === 'start' ? await start(data) : round(data);
    self.postMessage({ id: data.id, result });
  } catch (error) {
    self.postMessage({ id: data.id, error: String(error?.stack ?? error) });
  }
};
