// Wiring only: settings (state.js) <-> controls and the URL; page events -> worker messages
// (protocol.js); worker messages -> plots, the top bar and the run's state. No training happens here.
import { fromHash, toHash, changes, adopt, byName, appliesTo, consistent, kindOf, switchKind, SETTINGS, DATASETS,
  IMAGE_DATASETS, CUSTOM_DATASET } from './state.js';
import { TO_PAGE, TO_WORKER } from './protocol.js';
import { Controls } from './ui/controls.js';
import { WorkerClient } from './ui/worker_client.js';
import { adoptWorker } from './ui/early_worker.js';
import { downloadBytes, readBytes, readText } from './ui/files.js';
import { RunState } from './ui/run_state.js';
import { Toolbar } from './ui/toolbar.js';
import { PlotSet } from './ui/plots.js';
import { installTestHooks } from './ui/testing.js';
import { SAMPLER_NAMES, defaultSpacing, displayName, offersKarras, samplerDescription, samplerSteps,
  takesFlow } from './samplers.js';

const $ = (id) => document.getElementById(id);
// Budgets of model calls of the quality chart, for every sampler: `diffuse sweep`'s defaults. The
// whole chart (8 samplers, 48 points of 400 samples) takes 13 to 22 s for moons at the page's defaults
// (AMD EPYC Zen 4 VM, 2 vCPUs, Chromium; tests/e2e/samplers.test.mjs prints it).
const QUALITY_BUDGETS = [5, 10, 20, 50, 100, 1000];
// Images: each point of the quality charts is QUALITY_IMAGES samples (ten of each digit), up to
// 50 model calls: a U-Net evaluation per image and call, about 0.15 s for 100 digits, so that every
// sampler at 5..100 calls took 226 s, and at 5..50 takes 80 to 121 s (same machine, as busy or not;
// tests/e2e/images.test.mjs prints it).
const IMAGE_QUALITY_BUDGETS = [5, 10, 20, 50];
const QUALITY_IMAGES = 100;

const toolbar = new Toolbar();
const run = new RunState();
const initial = fromHash(location.hash);
let settings = initial.values;
// What an edited address asked for and did not get (apply() reports it).
const ignored = [];
installTestHooks({ settings: () => settings, run, fail: () => worker.send(TO_WORKER.fail) });

const plots = new PlotSet({
  onDrawn: (points) => drawnPoints(points),
  onFrame: (frame, frames, t) => {
    $('frame').max = frames - 1;
    $('frame').value = frame;
  },
});
const controls = new Controls(document, { onChange: (name, value) => apply({ ...settings, [name]: value }, name),
  onInvalid: (text) => toolbar.status(text, 'error') });
// The kind of data the page shows ('points' or 'images'): the data set's, until a run says
// otherwise (an uploaded Fashion-MNIST model is images whatever the data set control says).
let kind = kindOf(settings.dataset);
setKind(kind);
showSettings();
const worker = new WorkerClient(adoptWorker(), {  // started by boot.js
  onCrash: (message) => recover(message),
});
// The data set control before a file was loaded as data: a file that cannot be (a CSV of garbage)
// leaves the run, and so the control, as it was.
let dataBefore = null;

// ---- settings: controls and the URL hash ----------------------------------------------------------

function setKind(next) {
  kind = next;
  document.body.dataset.kind = kind;
  for (const decl of SETTINGS) controls.visible(decl.name, appliesTo(decl, kind));
}

// The controls show the settings; those that the current choices ignore are disabled (the cosine
// schedule has no beta range, eta is DDIM's, the reverse variance DDPM's, Karras sigmas belong to
// the samplers that offer them).
// The flow objective has no β schedule, prediction type, loss weighting, Karras sigmas or spacing,
// and samples with Euler or Heun only: those controls are disabled and say why.
function showSettings() {
  const flow = settings.objective === 'flow';
  document.body.dataset.objective = settings.objective;
  controls.set(settings);
  const why = (on, text) => (on ? '' : text);
  const noSchedule = why(!flow, 'flow matching has no β schedule: its levels are s = shift((t + 1)/T)');
  controls.enable('schedule', !flow, noSchedule);
  controls.enable('betaStart', !flow && settings.schedule !== 'cosine', noSchedule);
  controls.enable('betaEnd', !flow && settings.schedule !== 'cosine', noSchedule);
  controls.enable('zeroSnr', !flow, noSchedule);
  controls.enable('prediction', !flow, why(!flow, 'a flow-matching network predicts the velocity ε − x₀'));
  controls.enable('lossWeighting', !flow, why(!flow, 'the flow objective\'s loss is the plain velocity MSE'));
  controls.enable('shift', flow, why(flow, 'diffusers\' shift of the flow levels: for the flow objective'));
  for (const sampler of SAMPLER_NAMES) controls.enableOption('sampler', sampler, !flow || takesFlow(sampler));
  controls.enable('eta', settings.sampler === 'ddim');
  controls.enable('variance', settings.sampler === 'ddpm');
  controls.enable('karras', !flow && offersKarras(settings.sampler));
  controls.enable('spacing', !flow, why(!flow, 'a flow model\'s samplers step on its own shifted levels'));
  $('elbo').disabled = flow;
  // Heun's N steps are 2N − 1 model calls: its step choices say so.
  for (const k of byName.samplerSteps.choices) {
    const text = k === 0 ? 'default' : String(k);
    const K = k > 0 ? k : samplerSteps({ ...settings, samplerSteps: 0 });
    controls.setOptionText('samplerSteps', String(k), settings.sampler === 'heun' ? `${text} (${2 * K - 1} calls)` : text);
  }
  if (!flow) controls.setTitle('spacing', `default: the sampler's own (${defaultSpacing(settings.sampler)} for ${displayName(settings.sampler)})`);
}

function apply(next, changedName) {
  // A data set of the other kind: the settings still at their defaults take the new kind's.
  if (next.dataset !== settings.dataset && kindOf(next.dataset) !== kindOf(settings.dataset) &&
      next.dataset !== CUSTOM_DATASET) {
    next = switchKind(next, kindOf(settings.dataset), kindOf(next.dataset));
    setKind(kindOf(next.dataset));
  }
  // A sampler without Karras sigmas turns them off (its checkbox is disabled); the flow objective
  // takes its own samplers and no diffusion loss settings (state.js consistent()).
  next = consistent(next).values;
  const diff = changes(settings, next);
  settings = next;
  showSettings();
  const hash = toHash(settings);
  if (hash !== location.hash) history.replaceState(null, '', hash || location.pathname + location.search);
  if (diff.reset.includes('dataset')) {
    const wantsDrawing = settings.dataset === CUSTOM_DATASET && changedName === 'dataset';
    setDrawing(wantsDrawing);
    if (wantsDrawing) return;  // the run starts with the first stroke
  }
  if (diff.reset.length) {
    const label = changedName ? byName[changedName].label : diff.reset.map((n) => byName[n].label).join(', ');
    configure(`${label} changed: a new run, training restarts from step 0`);
    if (ignored.length) initial.problems.push(...ignored.splice(0));  // told when the run is ready
  } else if (diff.live.length || diff.sample.some((n) => n === 'classLabel' || n === 'guidance')) {
    // Live training settings, and the class the live previews draw.
    worker.send(TO_WORKER.update, { settings, changed: [...diff.live, ...diff.sample] });
  }
  if (diff.view.includes('forwardT')) requestForward();
  if (diff.view.includes('fieldT') || ['weights', 'classLabel', 'guidance'].some((n) => diff.sample.includes(n))) requestField();
  if (diff.view.includes('frameSpace')) plots.trajectory.update({ space: settings.frameSpace });
  toolbar.setStep(run.step, settings.steps);
  if (ignored.length) toolbar.status(`Ignored from the address: ${ignored.splice(0).join('; ')}.`, 'warn');
}

// An edited address (or Back): adopt its settings. Custom data cannot be in a link, so a run on
// custom data keeps it unless the address names a data set.
window.addEventListener('hashchange', () => {
  const { values: next, problems } = fromHash(location.hash);
  ignored.push(...problems);
  const keepCustom = settings.dataset === CUSTOM_DATASET && !new URLSearchParams(location.hash.slice(1)).has('dataset');
  apply(keepCustom ? { ...next, dataset: CUSTOM_DATASET } : next);
});

function configure(reason, data) {
  toolbar.enable(false);
  toolbar.status(reason);
  worker.send(TO_WORKER.configure, { settings, data, reason });
}

// ---- requests that only need the latest answer (slider drags) -------------------------------------

function latestOnly(type, build) {
  let busy = false, again = false;
  const request = () => {
    if (busy) { again = true; return; }
    busy = true;
    worker.send(type, build());
  };
  request.answered = () => {
    busy = false;
    if (again) { again = false; request(); }
  };
  return request;
}
const requestForward = latestOnly(TO_WORKER.forward, () => ({ t: Math.min(settings.forwardT, settings.timesteps - 1) }));
const requestFieldOf = latestOnly(TO_WORKER.field, () => {
  const v = plots.view ?? { xmin: -3, xmax: 3, ymin: -3, ymax: 3 };
  const side = Math.max(v.xmax - v.xmin, v.ymax - v.ymin);
  const cx = (v.xmin + v.xmax) / 2, cy = (v.ymin + v.ymax) / 2;
  const grid = { xmin: cx - side / 2, xmax: cx + side / 2, ymin: cy - side / 2, ymax: cy + side / 2, nx: 22, ny: 22 };
  // A conditional model's field is that of the class picked (guided), or of the null class for "all".
  if (run.classes && settings.classLabel !== 'all') Object.assign(grid, { classLabel: settings.classLabel, guidance: settings.guidance });
  return { t: Math.min(settings.fieldT, settings.timesteps - 1), weights: settings.weights, grid };
});

// The learned field is a 2D view.
function requestField() {
  if (kind === 'points') requestFieldOf();
}
requestField.answered = () => requestFieldOf.answered();

// The class and guidance controls belong to conditional models only.
function showClasses(K, names = []) {
  run.classes = K;
  if (K) controls.setClasses('classLabel', K, names);
  controls.visible('classLabel', K > 0);
  controls.visible('guidance', K > 0);
}
showClasses(0);

// "single-thread" or "threaded (N threads)": the module the worker runs (docs/threads.md).
const buildName = ({ threaded, threads }) => (threaded ? `threaded (${threads} thread${threads === 1 ? '' : 's'})` : 'single-thread');

// ---- worker messages -------------------------------------------------------------------------------

worker
  .on(TO_PAGE.ready, ({ version, simd, build }) => {
    run.build = build;
    $('build-info').textContent = `Version ${version}, ${simd}, `;
    $('wasm-build').textContent = buildName(build);
  })
  .on(TO_PAGE.configureFailed, ({ error }) => {
    toolbar.enable(run.ready, { trainable: run.resumable });
    toolbar.status(run.ready ? `${error} (the current run goes on)` : error, 'error');
    if (!run.ready || dataBefore === null) return;
    settings = { ...settings, dataset: dataBefore };
    dataBefore = null;
    showSettings();
  })
  .on(TO_PAGE.fatal, ({ error }) => toolbar.status(`cannot start: ${error}`, 'error'))
  .on(TO_PAGE.status, ({ text, level }) => toolbar.status(text, level))
  .on(TO_PAGE.configured, ({ run: described, points, labels, reason }) => {
    dataBefore = null;
    keepState();
    Object.assign(run, { step: described.step, loss: recovering ? run.loss : null, running: false, samples: null, sampleLabels: null,
      sampleShape: described.shape, levels: described.levels, source: described.source,
      resumable: described.resumable, ready: true, stepsPerSec: 0 });
    const images = described.shape.length === 3;
    setKind(images ? 'images' : 'points');
    showClasses(described.classes, described.classNames);
    if (!performance.getEntriesByName('diffuse:ready').length) performance.mark('diffuse:ready');
    if (images) {
      plots.setImages(points, labels, { shape: described.shape, levels: described.levels,
        darkInk: described.source === 'digits', classNames: described.classNames });
    } else {
      plots.setData(points, described.normalization, { keepDrawing: plots.data.drawing, keepLoss: recovering !== null });
    }
    toolbar.enable(true, { trainable: described.resumable });
    toolbar.setRunning(false);
    toolbar.setStep(described.step, settings.steps);
    toolbar.setLoss(run.loss);
    toolbar.setRate(0);
    $('sample').disabled = false;
    $('download').disabled = false;
    const unit = images ? 'images' : 'points';
    $('data-caption').textContent = `${described.source}: ${described.trainSize.toLocaleString('en')} ${unit}, ` +
      `a ${images ? 'U-Net' : 'model'} of ${described.params.toLocaleString('en')} parameters`;
    $('cli-train').textContent = cliCommand();
    const ignored = initial.problems.splice(0).join('; ');
    if (reason === 'recovered') {
      toolbar.status(`${recovering.text}; it was restarted with a new run (no state was kept to restore)`, 'warn');
      recovering = null;
    } else if (reason !== 'checkpoint') {
      toolbar.status(`ready: ${described.source}, step ${described.step}. Press Train.` +
        (ignored ? ` (Ignored from the link: ${ignored}.)` : ''), ignored ? 'warn' : 'info');
    }
    requestForward();
    requestField();
  })
  .on(TO_PAGE.schedule, ({ tables }) => {
    plots.schedule.update({ tables, t: Math.min(settings.forwardT, tables.timesteps - 1) });
    for (const name of ['forwardT', 'fieldT']) controls.setMax(name, tables.timesteps - 1);
  })
  .on(TO_PAGE.forward, ({ t, points, alphaBar, level }) => {
    if (points.length) plots.forwardAt(points, t);
    $('forward-caption').textContent = !points.length ? '(no training data in this run)'
      : level != null ? `(s = ${level.toPrecision(3)} at t = ${t})` : `(ᾱ_t = ${alphaBar.toPrecision(3)} at t = ${t})`;
    requestForward.answered();
  })
  .on(TO_PAGE.field, (field) => {
    plots.field.update({ field, normalization: field.normalization });
    requestField.answered();
  })
  .on(TO_PAGE.progress, ({ step, losses, loss, stepsPerSec, running, finished, memoryBytes }) => {
    if (memoryBytes) run.memoryBytes = Math.max(run.memoryBytes, memoryBytes);
    if (stepsPerSec) run.stepsPerSec = stepsPerSec;
    if (losses.length) {
      plots.loss.update({ losses, first: step - losses.length + 1 });
      run.loss = loss;
      toolbar.setLoss(loss);
    }
    run.step = step;
    run.running = running;
    // The state the page restores if the worker fails: when training stops, and every KEEP_EVERY_MS
    // while it runs.
    if (!running || performance.now() - run.keptAt > KEEP_EVERY_MS) keepState();
    toolbar.setStep(step, settings.steps);
    toolbar.setRunning(running);
    if (stepsPerSec) toolbar.setRate(stepsPerSec);
    if (!running && !finished && losses.length === 0) toolbar.status(`paused at step ${step}`);
  })
  .on(TO_PAGE.lossByT, ({ values, starts }) => plots.lossByTUpdate(values, starts))
  .on(TO_PAGE.preview, ({ step, raw, ema, labels }) => {
    plots.preview(raw, ema, labels);
    $('preview-step').textContent = step.toLocaleString('en');
    requestField();
  })
  .on(TO_PAGE.jobProgress, ({ job, done, total, label }) => {
    const bar = $(`${job}-progress`);
    bar.hidden = false;
    bar.value = done / total;
    bar.title = label;
  })
  .on(TO_PAGE.samples, ({ points, labels, shape, n, trajectory, elapsedMs, settings: used, made, memoryBytes }) => {
    run.memoryBytes = Math.max(run.memoryBytes, memoryBytes);
    Object.assign(run, { samples: points, sampleLabels: labels, sampleShape: shape });
    run.samplings += 1;
    const flowT = used.objective === 'flow' ? used.timesteps : null;
    plots.samplesDrawn(points, { ...trajectory, flowT }, settings.frameSpace, labels);
    endJob('sample');
    $('play').disabled = $('frame').disabled = false;
    const classes = labels ? `, ${used.classLabel === 'all' ? 'every class' : `class ${used.classLabel}`}, w = ${used.guidance}` : '';
    const unit = shape.length === 3 ? 'images' : 'points';
    $('samples-caption').textContent = `${n.toLocaleString('en')} ${unit}, ${samplerDescription(used, made)}` +
      `${classes}, ${used.weights === 'raw' ? 'raw' : 'EMA'} weights, seed ${used.sampleSeed}, ${(elapsedMs / 1000).toFixed(1)} s`;
    toolbar.status(`sampled ${n.toLocaleString('en')} ${unit} in ${(elapsedMs / 1000).toFixed(1)} s`);
    plots.trajectory.play();
    $('play').textContent = 'Pause';
  })
  .on(TO_PAGE.qualityPoint, ({ sampler, steps, calls, value, metric, baseline }) => {
    run.quality.push({ sampler, steps, calls, metric, value });
    const chart = metric === 'frechet' ? plots.qualityFd : plots.quality;
    chart.update({ point: { sampler, steps, calls, value }, metric, ...(baseline !== undefined ? { baseline } : {}) });
  })
  .on(TO_PAGE.qualityDone, ({ elapsedMs, skipped, described }) => {
    run.qualityDone = { elapsedMs, skipped };
    endJob('quality');
    const seconds = (elapsedMs / 1000).toFixed(1);
    const gaps = skipped.length ? ` Not measured: ${skipped.join('; ')}.` : '';
    $('quality-made').textContent = ` ${described}; ${seconds} s.${gaps}`;
    const samplers = new Set(run.quality.map((p) => p.sampler)).size;
    toolbar.status(`measured sample quality of ${samplers} samplers in ${seconds} s`);
  })
  .on(TO_PAGE.elbo, ({ result, elapsedMs }) => {
    const { perT, ...terms } = result;
    run.elbo = terms;
    plots.elboResult(result);
    endJob('elbo');
    $('elbo-note').textContent = kind === 'images'
      ? `−ELBO ≥ −log P(x₀): ${result.bitsPerDim.toFixed(3)} bits per dimension (${result.dims} pixels of ` +
        `${run.levels} grey levels: ${Math.log2(run.levels).toFixed(2)} bits would be a uniform guess), ` +
        `${result.nllNats.toFixed(1)} ± ${result.standardError.toFixed(1)} nats per image; the first ${result.examples} ` +
        `held-out images, every t (diffuse elbo --dataset digits --n ${result.examples} --strata 0 bounds the same), ` +
        `${(elapsedMs / 1000).toFixed(1)} s.`
      : `−ELBO ≥ −log p(x₀): ${result.nllNats.toFixed(3)} ± ${result.standardError.toFixed(3)} ` +
        `nats per point (normalized data), or ${result.bitsPerDim.toFixed(3)} bits per dimension in the data's own ` +
        `units; ${result.examples} examples, ${(elapsedMs / 1000).toFixed(1)} s.`;
  })
  .on(TO_PAGE.jobStopped, ({ job }) => {
    endJob(job);
    if (job === 'quality') $('quality-made').textContent = ' stopped before the end (the points shown are measured).';
  })
  .on(TO_PAGE.checkpoint, ({ bytes, step, keep }) => {
    if (keep) {
      run.kept = { bytes, step };
      return;
    }
    const name = `diffuse-${settings.dataset}-step${step}.safetensors`;
    downloadBytes(bytes, name);
    toolbar.status(`saved ${name} (${(bytes.length / 1024).toFixed(0)} KiB)`);
  })
  .on(TO_PAGE.loaded, ({ name, step, settings: incoming, source, resumable, note }) => {
    const named = DATASETS.includes(source) || IMAGE_DATASETS.includes(source);
    const adopted = adopt(settings, { ...incoming, dataset: named ? source : CUSTOM_DATASET });
    settings = consistent(adopted.values).values;
    showSettings();
    history.replaceState(null, '', toHash(settings) || location.pathname);
    toolbar.setStep(step, settings.steps);
    $('cli-train').textContent = cliCommand();
    const extra = adopted.problems.length ? ` Note: ${adopted.problems.join('; ')}.` : '';
    const sampling = note ?? 'an export: sampling only';
    if (recovering) {
      toolbar.status(`${recovering.text}; it was restarted and the model is back at step ${step}`, 'warn');
      recovering = null;
      return;
    }
    toolbar.status(`loaded ${name}: ${source}, step ${step}${resumable ? '' : ` (${sampling})`}.${extra}`);
  });

// The worker's state, kept by the page (as checkpoint bytes) whenever a run is made or loaded and
// whenever training stops, so that a failed worker can be replaced without losing the model.
const KEEP_EVERY_MS = 30000;
function keepState() {
  run.keptAt = performance.now();
  worker.send(TO_WORKER.checkpointSave, { keep: true });
}

// A worker that failed (an exception nothing caught: its state is unknown) is replaced by a fresh
// one, which loads the kept state: the model as it was when training last stopped (or, with none
// kept, a new run of the same settings). Not before the first run (a worker that cannot start says
// so), and at most MAX_RESTARTS times.
const MAX_RESTARTS = 5;
let restarts = 0;
let recovering = null;  // { text } while a replacement worker restores the run
function recover(message) {
  if (!run.ready || restarts >= MAX_RESTARTS) {
    toolbar.status(`the worker stopped: ${message}${run.ready ? ' (it failed too often to restart; reload the page)' : ''}`, 'error');
    return;
  }
  restarts += 1;
  recovering = { text: `the worker failed (${message})` };
  for (const job of ['sample', 'quality', 'elbo']) endJob(job);
  Object.assign(run, { running: false });
  toolbar.setRunning(false);
  toolbar.enable(false);
  toolbar.status(`${recovering.text}: restarting it…`, 'error');
  worker.restart();
  worker.send(TO_WORKER.init);
  if (run.kept) {
    const bytes = run.kept.bytes.slice();
    worker.send(TO_WORKER.checkpointLoad, { bytes, name: 'the kept state' }, [bytes.buffer]);
  } else {
    worker.send(TO_WORKER.configure, { settings, reason: 'recovered' });
  }
}

// The first run is asked for with init, not after its answer: the worker handles messages in order,
// so it builds the run as soon as the module is ready, without a round trip through this thread.
worker.send(TO_WORKER.init);
configure(`loading ${settings.dataset}…`);

// ---- buttons ---------------------------------------------------------------------------------------

function startJob(job, fields) {
  $(`${job}-cancel`).hidden = false;
  const bar = $(`${job}-progress`);
  bar.hidden = false;
  bar.value = 0;
  worker.send(TO_WORKER[job], { settings, ...fields });
}

function endJob(job) {
  $(`${job}-cancel`).hidden = true;
  $(`${job}-progress`).hidden = true;
}

function cliCommand() {
  const s = settings;
  const named = DATASETS.includes(s.dataset) || IMAGE_DATASETS.includes(s.dataset);
  // An uploaded image model's data set is named by its run (fashion, say), not by the control.
  const source = kind === 'images' && !named ? run.source : s.dataset;
  const data = named || kind === 'images' ? `--dataset ${source}` : '--data points.csv';
  const conditional = s.conditional ? ' --conditional' : '';
  const objective = s.objective === 'flow' ? ` --objective flow${s.shift !== 1 ? ` --shift ${s.shift}` : ''}` : '';
  const unet = kind === 'images'
    ? ` --channels ${s.channels} --layers-per-block ${s.layersPerBlock} --groups ${s.groups}${s.attention ? ' --attention' : ''}` +
      ` --warmup ${s.warmup} --ema ${s.emaDecay}`
    : '';
  return `diffuse train ${data}${objective}${conditional}${unet} --steps ${s.steps} --batch ${s.batch} --lr ${s.lr} --seed ${s.seed} --out run.safetensors`;
}

$('train').addEventListener('click', () => {
  // Replaces "ready … Press Train." (or "paused at step …"); the worker reports errors and the end.
  if (!run.running) toolbar.status(`training from step ${run.step.toLocaleString('en')}`);
  worker.send(run.running ? TO_WORKER.pause : TO_WORKER.train);
});
$('step').addEventListener('click', (e) => worker.send(TO_WORKER.step, { n: e.shiftKey ? 100 : 1 }));
$('reset').addEventListener('click', () => configure('reset: a fresh model, training restarts from step 0'));
$('sample').addEventListener('click', () => startJob('sample'));
$('quality').addEventListener('click', () => {
  // The last chart of the other objective on the same data stays, faint, for comparison (flow
  // Euler beside diffusion's samplers at the same model calls).
  const last = run.quality.length ? { ...run.qualityOf, points: run.quality } : null;
  run.qualityOther = [last, run.qualityOther].find((c) => c && c.objective !== settings.objective &&
    c.dataset === settings.dataset && c.metric === settings.metric) ?? null;
  run.qualityOf = { objective: settings.objective, dataset: settings.dataset, metric: settings.metric };
  run.quality = [];
  run.qualityDone = null;
  plots.quality.reset();
  if (run.qualityOther && kind === 'points') plots.quality.update({ comparison: run.qualityOther });
  $('quality-made').textContent = ' measuring…';
  if (kind === 'images') {
    plots.quality.update({ metric: 'agreement', budgets: IMAGE_QUALITY_BUDGETS });
    plots.qualityFd.reset();
    plots.qualityFd.update({ metric: 'frechet', budgets: IMAGE_QUALITY_BUDGETS });
    startJob('quality', { budgets: IMAGE_QUALITY_BUDGETS, n: QUALITY_IMAGES });
    return;
  }
  plots.quality.update({ metric: settings.metric, budgets: QUALITY_BUDGETS });
  startJob('quality', { budgets: QUALITY_BUDGETS, n: settings.qualityN });
});
$('elbo').addEventListener('click', () => startJob('elbo'));
for (const job of ['sample', 'quality', 'elbo']) {
  $(`${job}-cancel`).addEventListener('click', () => worker.send(TO_WORKER.cancel, { job }));
}
$('download').addEventListener('click', () => worker.send(TO_WORKER.checkpointSave));
$('upload').addEventListener('change', async (event) => {
  const file = event.target.files[0];
  event.target.value = '';
  if (!file) return;
  const bytes = await readBytes(file);
  toolbar.status(`reading ${file.name}…`);
  worker.send(TO_WORKER.checkpointLoad, { bytes, name: file.name }, [bytes.buffer]);
});
$('csv').addEventListener('change', async (event) => {
  const file = event.target.files[0];
  event.target.value = '';
  if (!file) return;
  const text = await readText(file);
  dataBefore = settings.dataset;
  settings = { ...settings, dataset: CUSTOM_DATASET };
  controls.set(settings);
  configure(`loading ${file.name}: a new run`, { csv: text, source: file.name });
});
$('play').addEventListener('click', () => {
  if (plots.trajectory.playing) plots.trajectory.pause(); else plots.trajectory.play();
  $('play').textContent = plots.trajectory.playing ? 'Pause' : 'Play';
});
$('frame').addEventListener('input', () => {
  plots.trajectory.pause();
  $('play').textContent = 'Play';
  plots.trajectory.seek(Number($('frame').value));
});

// Drawing your own data: every stroke (after a short pause) starts a run on the drawn points.
let drawTimer = 0;
function drawnPoints(points) {
  clearTimeout(drawTimer);
  if (points.length < 8) return;
  drawTimer = setTimeout(() => {
    settings = { ...settings, dataset: CUSTOM_DATASET };
    controls.set(settings);
    history.replaceState(null, '', toHash(settings) || location.pathname);
    configure(`${points.length / 2} drawn points: a new run`, { points, source: 'drawn' });
  }, 350);
}
function setDrawing(on) {
  if (on === plots.data.drawing) return;
  plots.data.setDrawing(on);
  if (!on) plots.restoreData();
  $('draw').setAttribute('aria-pressed', String(on));
  $('draw').textContent = on ? 'Done drawing' : 'Draw points';
  $('draw-clear').hidden = !on;
  if (on) toolbar.status('drawing: drag over the data plot; each stroke restarts training on your points');
}
$('draw').addEventListener('click', () => setDrawing(!plots.data.drawing));
$('draw-clear').addEventListener('click', () => plots.data.clearDrawing());

// Space starts and pauses training when no control has the keyboard.
document.addEventListener('keydown', (event) => {
  const target = event.target;
  if (event.key !== ' ' || event.repeat || target.closest('input, select, button, textarea, canvas, summary')) return;
  if ($('train').disabled) return;
  event.preventDefault();
  $('train').click();
});
