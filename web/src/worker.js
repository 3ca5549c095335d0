// The worker's entry. It has no static imports, so that it runs as soon as this one file has
// loaded, and requests everything else at once: diffuse.wasm (the largest file), diffuse.mjs (its
// loader) and the worker's own modules. The module is instantiated as soon as its two files have
// arrived, without waiting for the page's init message.
//
// Which module (docs/threads.md): where the page is cross-origin isolated (SharedArrayBuffer), the
// threaded one, diffuse-threads.{mjs,wasm,worker.js}, if it was built (scripts/build_extra_wasm.sh
// builds it after the page), else the single-thread diffuse.{mjs,wasm}. Both give the same bits.
// The page address may say ?threads=N (1..64) and ?build=single (early_worker.js passes them on).
const MAX_DEFAULT_THREADS = 8;
const params = new URL(self.location.href).searchParams;
const asked = Number.parseInt(params.get('threads') ?? '', 10);
const threads = asked >= 1 && asked <= 64 ? asked : Math.min(navigator.hardwareConcurrency || 1, MAX_DEFAULT_THREADS);
const wantThreads = self.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function' &&
  params.get('build') !== 'single' && (threads > 1 || params.has('threads'));

const fetchWasm = (name) => {
  const url = new URL(`../wasm/${name}.wasm`, import.meta.url);
  return fetch(url).then((response) => {
    if (!response.ok) throw new Error(`cannot load ${url}: HTTP ${response.status}`);
    return response.arrayBuffer();
  });
};
const loadSingle = () => Promise.all([import('../wasm/diffuse.mjs'), fetchWasm('diffuse')])
  .then(([{ default: createDiffuseModule }, bytes]) => createDiffuseModule({ wasmBinary: bytes }));
// The threaded module with `threads` threads: threads - 1 pthread workers, started before it
// resolves, and at least one (Emscripten 3.1.6 waits for the pool's workers to load before the
// module resolves, and with none it never does).
const loadThreaded = () => fetchWasm('diffuse-threads')
  .then((bytes) => Promise.all([import('../wasm/diffuse-threads.mjs'), bytes]))
  .then(([{ default: createDiffuseModule }, bytes]) =>
    createDiffuseModule({ wasmBinary: bytes, pthreadPoolSize: Math.max(threads - 1, 1) }))
  .then((module) => {
    const set = module.setThreads(threads);
    if (!set.ok) throw new Error(set.error);
    return module;
  });
const loading = wantThreads ? loadThreaded().catch(loadSingle) : loadSingle();
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
