// The worker's work: owns the training run and answers the page's messages (protocol.js). Long
// work runs as jobs in short slices (scheduler.js), so a message is handled within one slice.
// Nothing here may throw out of a handler: every error becomes a status message, and the worker
// keeps working. The entry, ../worker.js, loads the WebAssembly module and calls serve().
import { TO_PAGE, TO_WORKER } from '../protocol.js';
import { Scheduler } from './scheduler.js';
import { Run, check } from './run.js';
import { TrainJob, PreviewJob, SampleJob, QualityJob, ImageQualityJob, ElboJob } from './jobs.js';

const post = (message, transfer = []) => self.postMessage(message, transfer);
const status = (text, level = 'info') => post({ type: TO_PAGE.status, text, level });

// A trap in the WebAssembly module (out of bounds, unreachable, out of memory) leaves its state
// unknown: the error is thrown out of the worker, uncaught, so that the page restarts it.
function failIfTrapped(error) {
  if (error instanceof WebAssembly.RuntimeError) setTimeout(() => { throw error; });
}

let loading = null;  // the WebAssembly module (a promise), from serve()
let failed = false;  // init failed: the page shows that, as a fatal error
let run = null;
// Previews share the worker with training: the next starts no sooner than PREVIEW_EVERY_MS, and
// no sooner than 3 times the last one's duration after it ended (so they take at most ~1/4).
let nextPreview = 0;
const PREVIEW_EVERY_MS = 800;
const PREVIEW_IMAGES_EVERY_MS = 2500;  // an image preview costs a few U-Net steps: less often

const scheduler = new Scheduler({
  sliceMs: 20,
  onError: (job, error) => {
    status(`${job}: ${error.message ?? error}`, 'error');
    failIfTrapped(error);
    if (['sample', 'quality', 'elbo'].includes(job)) post({ type: TO_PAGE.jobStopped, job });
    if (job === 'train') post({ type: TO_PAGE.progress, running: false, step: run?.step ?? 0, losses: new Float32Array(0) });
  },
});

function startPreview() {
  if (!run || scheduler.has('preview')) return;
  const started = performance.now();
  try {
    scheduler.start('preview', new PreviewJob(run, post, {
      onDone: () => {
        const ended = performance.now();
        nextPreview = ended + Math.max(run.isImages ? PREVIEW_IMAGES_EVERY_MS : PREVIEW_EVERY_MS, 3 * (ended - started));
      },
    }));
  } catch (error) {  // a preview is never worth stopping training for
    nextPreview = performance.now() + 10 * PREVIEW_EVERY_MS;
    status(`preview: ${error.message ?? error}`, 'warn');
  }
}

function startTraining(limit) {
  if (!run.trainer) throw new Error('this checkpoint has no training state: it can be sampled, not trained (Reset to start a new run)');
  scheduler.start('train', new TrainJob(run, post, {
    limit,
    onSlice: (stopped) => {
      if (stopped || performance.now() > nextPreview) startPreview();
    },
  }));
}

function stopRunJobs() {
  for (const job of ['train', 'preview', 'sample', 'quality', 'elbo']) {
    if (scheduler.stop(job) && ['sample', 'quality', 'elbo'].includes(job)) post({ type: TO_PAGE.jobStopped, job });
  }
}

function announce(described, reason) {
  post({ type: TO_PAGE.configured, run: described, points: run.displayPoints(), labels: run.displayLabels(), reason });
  const tables = check(run.module.scheduleTables(described.settings));
  delete tables.ok;
  post({ type: TO_PAGE.schedule, tables });
}

const handlers = {
  async [TO_WORKER.init]() {
    const module = await loading;
    run = new Run(module);
    const info = module.buildInfo();
    post({ type: TO_PAGE.ready, version: info.version, simd: info.simd, datasets: module.datasetNames(),
      build: { threaded: info.threaded, threads: info.threads } });
  },
  async [TO_WORKER.configure]({ settings, data, reason }) {
    let described;
    try {
      described = await run.configure(settings, data);  // throws, keeping the current run, if invalid
    } catch (error) {
      post({ type: TO_PAGE.configureFailed, error: String(error.message ?? error) });
      return;
    }
    stopRunJobs();
    run.previewClass = { classLabel: settings.classLabel, guidance: settings.guidance };
    announce(described, reason);
    startPreview();
  },
  [TO_WORKER.update]({ settings }) {
    run.previewClass = { classLabel: settings.classLabel, guidance: settings.guidance };
    if (!run.trainer) return;
    const r = check(run.trainer.update(settings));
    if (r.changed.length) status(`applied live at step ${run.step.toLocaleString('en')}: ${r.changed.join(', ')}`);
  },
  [TO_WORKER.train]() { startTraining(Infinity); },
  [TO_WORKER.pause]() {
    if (scheduler.stop('train')) {
      post({ type: TO_PAGE.progress, running: false, step: run.step, losses: new Float32Array(0) });
      startPreview();
    }
  },
  [TO_WORKER.step]({ n }) { startTraining(Math.max(1, n | 0)); },
  [TO_WORKER.forward]({ t }) {
    // Always answered (the page asks again only after an answer): no data, no points.
    if (!run.forwardProcess) return post({ type: TO_PAGE.forward, t, points: new Float32Array(0), alphaBar: null, level: null });
    const r = check(run.forwardProcess.at(t));
    post({ type: TO_PAGE.forward, t: r.t, points: r.points, alphaBar: r.alphaBar, level: r.level }, [r.points.buffer]);
  },
  [TO_WORKER.sample]({ settings }) { scheduler.start('sample', new SampleJob(run, post, settings)); },
  [TO_WORKER.field]({ t, grid, weights }) {
    const r = run.withModel(weights, (m) => check(m.field(t, grid)));
    post({ type: TO_PAGE.field, t: r.t, points: r.points, eps: r.eps, x0Hat: r.x0Hat, nx: r.nx, ny: r.ny,
      normalization: run.describe().normalization });
  },
  [TO_WORKER.quality]({ settings, budgets, n }) {
    const Job = run.isImages ? ImageQualityJob : QualityJob;
    scheduler.start('quality', new Job(run, post, settings, { budgets, n }));
  },
  async [TO_WORKER.elbo]({ settings }) {
    const examples = run.isImages ? await run.heldOutImages(settings.elboN) : null;
    scheduler.start('elbo', new ElboJob(run, post, settings, examples));
  },
  [TO_WORKER.cancel]({ job }) {
    if (scheduler.stop(job)) post({ type: TO_PAGE.jobStopped, job });
  },
  [TO_WORKER.checkpointSave]({ keep = false }) {
    if (keep && !run.trainer && !run.fixedBytes) return;  // nothing to keep yet
    const { bytes, step } = run.checkpointBytes();
    post({ type: TO_PAGE.checkpoint, bytes, step, keep }, [bytes.buffer]);
  },
  [TO_WORKER.fail]() {
    setTimeout(() => { throw new Error('the test hook made the worker throw'); });
  },
  async [TO_WORKER.checkpointLoad]({ bytes, name }) {
    let described;
    try {
      described = await run.load(bytes, name);  // throws, keeping the current run, if invalid
    } catch (error) {
      throw new Error(`cannot load this checkpoint: ${error.message ?? error}`);
    }
    stopRunJobs();
    announce(described, 'checkpoint');
    post({ type: TO_PAGE.loaded, name, step: described.step, settings: described.settings,
      source: described.source, resumable: described.resumable, note: described.note });
    startPreview();
  },
};

// Handles the page's messages, in order (even the asynchronous init): first those that arrived
// before this module was loaded (`early`, kept by the entry), then the rest as they come.
// `moduleLoading` is the promise of the WebAssembly module, which the entry started loading.
export function serve(moduleLoading, early) {
  loading = moduleLoading;
  let queue = Promise.resolve();
  self.onmessage = ({ data }) => {
    queue = queue.then(async () => {
      const handler = handlers[data?.type];
      if (!handler) return status(`unknown message ${JSON.stringify(data?.type)}`, 'error');
      if (!run && data.type !== TO_WORKER.init) {
        if (!failed) status('the module is not loaded yet', 'error');  // else the fatal error stays
        return;
      }
      try {
        await handler(data);
      } catch (error) {
        failIfTrapped(error);
        if (data.type !== TO_WORKER.init) return status(String(error.message ?? error), 'error');
        failed = true;
        post({ type: TO_PAGE.fatal, error: String(error.message ?? error) });
      }
    });
  };
  for (const data of early) self.onmessage({ data });
}
