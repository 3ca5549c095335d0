// The worker's entry. It has no static imports, so that it runs as soon as this one file has
// loaded, and requests everything else at once: diffuse.wasm (the largest file), diffuse.mjs (its
// loader) and the worker's own modules. The module is instantiated as soon as its two files have
// arrived, without waiting for the page's init message.
const wasmUrl = new URL('../wasm/diffuse.wasm', import.meta.url);
const wasmBinary = fetch(wasmUrl).then((response) => {
  if (!response.ok) throw new Error(`cannot load ${wasmUrl}: HTTP ${response.status}`);
  return response.arrayBuffer();
});
const loading = Promise.all([import('../wasm/diffuse.mjs'), wasmBinary])
  .then(([{ default: createDiffuseModule }, bytes]) => createDiffuseModule({ wasmBinary: bytes }));
loading.catch(() => {});  // not unhandled: the init message awaits it and reports the failure

// worker/handlers.js and every module it imports, breadth first. Importing only the first would
// request each level of imports once the level above had arrived and been parsed (a worker has no
// <link rel="modulepreload">); these modules do nothing when imported but define things, so the
// order in which they run does not matter. tests/web/module_preload.test.mjs keeps this list
// equal to the import graph.
const WORKER_MODULES = ['./worker/handlers.js', './protocol.js', './worker/scheduler.js', './worker/run.js',
  './worker/jobs.js', './state.js', './samplers.js', './core_settings.js'];

// Messages that arrive before the handlers have loaded would find no listener and be lost: keep them.
const early = [];
self.onmessage = ({ data }) => early.push(data);

Promise.all(WORKER_MODULES.map((specifier) => import(specifier))).then(
  ([{ serve }]) => serve(loading, early),
  // TO_PAGE.fatal (protocol.js: not imported statically, see above)
  (error) => self.postMessage({ type: 'fatal', error: `cannot load the worker: ${error.message ?? error}` }),
);
