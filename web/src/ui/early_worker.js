// The worker, started before the page's own modules: boot.js calls startWorker() right after the
// feature check, so the worker, diffuse.mjs and diffuse.wasm load while main.js and its modules
// are still loading, instead of after them. main.js then takes it with adoptWorker().
//
// A Worker dispatches each message and error as soon as it arrives, and one that finds no listener
// is gone (unlike a MessagePort, a Worker never holds its messages until a listener is attached).
// So from the start this module listens and keeps every event, and adoptWorker() hands them over
// with the worker, in order.
let started = null;  // { worker, events, keep } until adopted

// The worker's URL, carrying the page address's build choices (docs/threads.md) to worker.js:
// ?threads=N (the threads the threaded module uses, default min(cores, 8)) and ?build=single (the
// single-thread module even where the threaded one could run).
export function workerUrl() {
  const url = new URL('../worker.js', import.meta.url);
  const page = new URLSearchParams(globalThis.location?.search ?? '');
  for (const name of ['threads', 'build']) {
    if (page.has(name)) url.searchParams.set(name, page.get(name));
  }
  return url;
}

export function startWorker() {
  if (started) return started.worker;
  const worker = new Worker(workerUrl(), { type: 'module' });
  const events = [];
  const keep = (event) => {
    if (event.type === 'error') event.preventDefault();  // reported when adopted, not as uncaught
    events.push(event);
  };
  worker.addEventListener('message', keep);
  worker.addEventListener('error', keep);
  started = { worker, events, keep };
  return worker;
}

// The started worker (starting it now if boot.js did not) and the events it dispatched so far;
// from here on they go to the adopter's own listeners only.
export function adoptWorker() {
  startWorker();
  const { worker, events, keep } = started;
  worker.removeEventListener('message', keep);
  worker.removeEventListener('error', keep);
  started = null;
  return { worker, events };
}
