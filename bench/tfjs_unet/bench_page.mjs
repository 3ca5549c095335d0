// window.unetBench for bench/browser_unet_bench.mjs: starts the workers and runs one timed round on
// one side at a time (never two at once: each side has the one CPU thread to itself, and
// alternating rounds put both under the same load).
//   await unetBench.start({ model, train, settings, tfjsVariants })  -> { tfjs: {...}, diffuse: {...} }
//   await unetBench.round(side, { seconds, minSteps, steps })       -> { seconds, steps, loss }
//     side: 'diffuse' or 'tfjs:<inputGrad>' (one TF.js trainer per input-gradient variant)
const workers = {};
let next = 0;

function call(worker, message) {
  return new Promise((resolve, reject) => {
    const id = next++;
    const listener = ({ data }) => {
      if (data.id !== id) return;
      worker.removeEventListener('message', listener);
      if (data.error) reject(new Error(data.error)); else resolve(data.result);
    };
    worker.addEventListener('message', listener);
    worker.postMessage({ ...message, id });
  });
}

window.unetBench = {
  async start({ model, train, settings, tfjsVariants }) {
    const info = {};
    for (const inputGrad of tfjsVariants) {
      workers[`tfjs:${inputGrad}`] = new Worker('worker_tfjs.js');  // classic: importScripts of the UMD bundles
      info[`tfjs:${inputGrad}`] = await call(workers[`tfjs:${inputGrad}`], { type: 'start', model, train, inputGrad });
    }
    workers.diffuse = new Worker('worker_diffuse.mjs', { type: 'module' });
    info.diffuse = await call(workers.diffuse, { type: 'start', settings });
    return info;
  },
  round(side, options) { return call(workers[side], { type: 'round', ...options }); },
};
window.dispatchEvent(new Event('unet-bench-ready'));
