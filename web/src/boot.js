// The entry point: checks that this browser can run the page (WebAssembly SIMD, module workers)
// before loading it, and otherwise says clearly what is missing. It starts the worker before it
// imports main.js (which adopts it): the worker, loading and instantiating the WebAssembly module
// and then building the first run, is what the page waits for, so it starts first.
import { missingFeatures } from './ui/feature.js';
import { startWorker } from './ui/early_worker.js';

const missing = missingFeatures();
if (missing) {
  const box = document.getElementById('unsupported');
  box.hidden = false;
  box.textContent = `diffuse cannot run in this browser: ${missing}. It needs WebAssembly SIMD and module ` +
    'workers: Chrome or Edge 91+, Firefox 89+ or Safari 16.4+.';
  const status = document.getElementById('status');
  status.textContent = `unsupported browser: ${missing}`;
  status.className = 'status error';
} else {
  startWorker();
  import('./main.js');
}
