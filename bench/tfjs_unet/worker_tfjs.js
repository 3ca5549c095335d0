// TensorFlow.js's side of the browser benchmark (a classic worker: the UMD bundles of
// node_modules, served by the bench's local server, define the global tf). The WebAssembly
// backend, SIMD on, one thread (the page is not cross-origin isolated, and the multithread flag is
// off so the non-threaded SIMD binary is the one loaded).
/* global tf, importScripts */
importScripts('/node_modules/@tensorflow/tfjs/dist/tf.min.js', '/node_modules/@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js');

let trainer;

async function start({ model, train, inputGrad }) {
  tf.wasm.setWasmPaths('/node_modules/@tensorflow/tfjs-backend-wasm/dist/');
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  if (!(await tf.setBackend('wasm'))) throw new Error('the TF.js WebAssembly backend did not start');
  await tf.ready();
  const { Trainer } = await import('./trainer.mjs');
  trainer = new Trainer(tf, model, train, { seed: 0, inputGrad });
  return {
    version: tf.version.tfjs, backend: tf.getBackend(), simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'),
    threads: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') ? 'multithreaded' : 'one',
    parameters: trainer.vars.reduce((n, v) => n + v.size, 0), inputGrad,
  };
}

// Steps until both `seconds` and `minSteps` are reached; the time of the steps only.
function round({ seconds, minSteps }) {
  let steps = 0, loss = NaN;
  const t0 = performance.now();
  let elapsed = 0;
  do {
    loss = trainer.step().loss;
    steps += 1;
    elapsed = (performance.now() - t0) / 1000;
  } while (steps < minSteps || elapsed < seconds);
  return { seconds: elapsed, steps, loss, tensors: tf.memory().numTensors };
}

self.onmessage = async ({ data }) => {
  try {
    const result = data.type === 'start' ? await start(data) : round(data);
    self.postMessage({ id: data.id, result });
  } catch (error) {
    self.postMessage({ id: data.id, error: String(error?.stack ?? error) });
  }
};
