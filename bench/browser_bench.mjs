// The browser benchmark (a measurement, never a timed test): in headless Chromium on this machine,
//   - time to interactive on localhost (navigation start to the first run being ready to train),
//   - training steps/s of the reference workload (default model, batch 256 and 4096, one thread):
//     the worker's own rate (time inside train() only; the median of its running estimate read
//     through the window) and the wall-clock rate seen by the page (which also pays for the live
//     sample previews and for any time the worker thread waits for a CPU),
//   - the WebAssembly memory while training (target < 64 MiB),
//   - the time to sample 10,000 points (DDIM, 50 steps; DDPM with all 1000 steps with --ddpm),
//   - "digits in a minute": a fresh page on the digits (the page's image defaults), Train, then at
//     60 s (wall clock) Pause and Sample (the page's image defaults: DDPM 50, w = 2, ten of each digit): the step reached, the
//     steps/s, and the project's classifier's class agreement and Fréchet distance of those samples
//     (beside held-out digits' own), the WebAssembly memory,
//   - "10 seconds": a fresh page with every setting at its default, Train pressed, Sample pressed
//     10 s (wall clock) later: the step reached and the energy distance of those samples to fresh
//     moons, beside what a perfect sampler scores (fresh moons against fresh moons) and what a
//     Gaussian with the data's mean and per-coordinate spread scores,
// and the same workload natively (bench_train, one thread) in two builds: SSE4.2
// (build-sse42/bin/bench_train: 4 lanes, the vector width of WebAssembly SIMD128; built here if
// missing) and -march=native (build/bin/bench_train: AVX-512 on the reference machine). Each
// repetition runs the browser and both native builds back to back, so the ratios compare numbers
// taken under the same load; the table shows medians over the repetitions (min – max), and each
// ratio is the median of the per-repetition ratios.
//
//   node bench/browser_bench.mjs [--repeat 3] [--seconds 15] [--ddpm] [--digits-variants "batch=32|..."] [--json out.json]
//   node bench/browser_bench.mjs --from run1.json,run2.json   the table of earlier runs' repetitions, pooled
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../scripts/serve.mjs';
import { CHROMIUM_ARGS, median } from './browser_support.mjs';
import { digitsJudge, energyDistance, gaussianLike, moons } from '../tests/e2e/helpers.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const seconds = Number(option('--seconds', 15));
const repeat = Number(option('--repeat', 3));
const ddpm = args.includes('--ddpm');
const digitsVariants = option('--digits-variants', '').split('|').filter(Boolean);
const QUALITY_AFTER_MS = 10000;  // the "10 seconds" of "good samples within 10 seconds"

// ---- native builds --------------------------------------------------------------------------------

const nativeBuilds = [
  { key: 'sse42', label: 'native SSE4.2', bin: path.join(root, 'build-sse42', 'bin', 'bench_train'), preset: 'sse42' },
  { key: 'native', label: 'native -march=native', bin: path.join(root, 'build', 'bin', 'bench_train'), preset: 'release' },
];

// Builds bench_train of a preset if it is missing; returns a note when it cannot.
function ensureBuilt(build) {
  if (existsSync(build.bin)) return null;
  const dir = path.dirname(path.dirname(build.bin));
  console.error(`${path.relative(root, build.bin)} is missing: building it (cmake --preset ${build.preset})`);
  try {
    const env = { ...process.env, NODE_PATH: '/usr/share/nodejs' };
    if (!existsSync(path.join(dir, 'CMakeCache.txt'))) execFileSync('cmake', ['--preset', build.preset], { cwd: root, stdio: 'inherit', env });
    execFileSync('cmake', ['--build', '--preset', build.preset, '-j2', '--target', 'bench_train'], { cwd: root, stdio: 'inherit', env });
  } catch (error) {
    return `could not build ${path.relative(root, build.bin)}: ${error.message}`;
  }
  return existsSync(build.bin) ? null : `${path.relative(root, build.bin)} not found after building`;
}

function runNative(build) {
  if (build.missing) return null;
  return JSON.parse(execFileSync(build.bin, ['--seconds', String(Math.min(seconds, 5))], { encoding: 'utf8' }));
}

// ---- browser -------------------------------------------------------------------------------------

let url, browser;  // set by measure()
const state = (page) => page.evaluate(() => window.diffuse.state());

async function freshPage(hash = '') {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(url + hash);
  await page.waitForFunction(() => window.diffuse?.state().ready, null, { timeout: 120000 });
  return page;
}

// Time to interactive: three fresh loads, the median.
async function timeToInteractive() {
  const loads = [];
  for (let i = 0; i < 3; i++) {
    const page = await freshPage();
    loads.push(await page.evaluate(() => performance.getEntriesByName('diffuse:ready')[0].startTime));
    await page.close();
  }
  return loads.sort((a, b) => a - b)[1];
}

// Training rate over `seconds` after a warm-up, at the current batch. The worker's rate is its own
// running estimate (an exponential average over the last few slices of the time inside train()),
// read every 250 ms through the window: the median of those readings, since a single reading swings
// with whatever else the machine runs during those few slices.
async function trainingRate(page) {
  await page.waitForFunction(() => window.diffuse.state().step >= 3, null, { timeout: 300000, polling: 100 });
  await page.waitForTimeout(2000);
  const a = await state(page), t0 = Date.now();
  const readings = [];
  let b = a;
  while (Date.now() - t0 < seconds * 1000) {
    await page.waitForTimeout(250);
    b = await state(page);
    readings.push(b.stepsPerSec);
  }
  const t1 = Date.now();
  return { wall: (b.step - a.step) / ((t1 - t0) / 1000), worker: median(readings), memoryMiB: b.memoryBytes / 2 ** 20 };
}

async function sampleSeconds(page, sampler, steps) {
  await page.selectOption('#setting-sampler', sampler);
  await page.selectOption('#setting-samplerSteps', String(steps));
  await page.selectOption('#setting-sampleN', '10000');
  const before = (await state(page)).samplings, t0 = Date.now();
  await page.click('[data-testid=sample]');
  await page.waitForFunction((n) => window.diffuse.state().samplings > n, before, { timeout: 3600000, polling: 100 });
  return (Date.now() - t0) / 1000;
}

// "Pressing Train on moons produces good samples within 10 seconds": a fresh page with the default
// settings (so the learning rate follows the default run's 10,000-step cosine schedule), Train,
// and Sample 10 s after the Train click; the samples are of the weights at that moment (sampling
// shares the worker with training, which goes on).
async function tenSeconds() {
  const page = await freshPage();
  const t0 = Date.now();
  await page.click('[data-testid=train]');
  await page.waitForTimeout(Math.max(0, QUALITY_AFTER_MS - (Date.now() - t0)));
  const { step, samplings } = await state(page);
  const previewStep = Number((await page.textContent('#preview-step')).replace(/,/g, ''));  // the live preview on screen
  const pressedAt = (Date.now() - t0) / 1000;
  await page.click('[data-testid=sample]');
  await page.waitForFunction((n) => window.diffuse.state().samplings > n, samplings, { timeout: 600000, polling: 50 });
  const shownAt = (Date.now() - t0) / 1000;
  const samples = await page.evaluate(() => window.diffuse.samples());
  await page.close();
  return { step, previewStep, pressedAt, shownAt, n: samples.length, energy: energyDistance(samples, qualityData) };
}
// "Recognisable digits within a minute of pressing Train".
const DIGITS_AFTER_MS = 60000;
const judgeDigits = await digitsJudge();
async function digitsMinute(extra = '') {
  const page = await freshPage(`#dataset=digits${extra ? `&${extra}` : ''}`);
  const t0 = Date.now();
  await page.click('[data-testid=train]');
  const rates = [];
  while (Date.now() - t0 < DIGITS_AFTER_MS) {
    await page.waitForTimeout(Math.min(1000, Math.max(0, DIGITS_AFTER_MS - (Date.now() - t0))));
    rates.push((await state(page)).stepsPerSec);
  }
  await page.click('[data-testid=train]');  // Pause
  await page.waitForFunction(() => !window.diffuse.state().running, null, { timeout: 60000, polling: 50 });
  const { step, samplings, memoryBytes } = await state(page);
  const t1 = Date.now();
  await page.click('[data-testid=sample]');
  await page.waitForFunction((n) => window.diffuse.state().samplings > n, samplings, { timeout: 600000, polling: 50 });
  const sampleSeconds = (Date.now() - t1) / 1000;
  const drawn = await page.evaluate(() => window.diffuse.samples());
  const labels = await page.evaluate(() => window.diffuse.labels());
  await page.close();
  const q = judgeDigits(drawn.data, labels);
  return { step, stepsPerSec: median(rates), sampleSeconds, n: drawn.shape[0], agreement: q.agreement,
    frechet: q.frechet, heldOutFrechet: q.baselineFrechet, memoryMiB: memoryBytes / 2 ** 20 };
}

// The reference set and the two baselines (fixed seeds: the same numbers every run).
const qualityData = moons(2000, 7);
const baselines = {
  dataVsData: energyDistance(moons(2000, 9), qualityData),
  gaussian: energyDistance(gaussianLike(qualityData, 2000, 8), qualityData),
};

async function browserRun() {
  const r = { load: os.loadavg()[0] };
  r.timeToInteractiveMs = await timeToInteractive();
  r.tenSeconds = await tenSeconds();
  r.digitsMinute = await digitsMinute();
  // --digits-variants "batch=32|channels=8%2C16": the same minute with other settings, to choose
  // the page's defaults by measurement.
  r.digitsVariants = {};
  for (const extra of digitsVariants) r.digitsVariants[extra] = await digitsMinute(extra);
  const page = await freshPage();
  await page.click('[data-testid=train]');
  r.batch256 = await trainingRate(page);
  await page.selectOption('#setting-batch', '4096');  // applies live
  await page.waitForTimeout(500);
  r.batch4096 = await trainingRate(page);
  await page.click('[data-testid=train]');
  await page.waitForFunction(() => !window.diffuse.state().running);
  r.memoryMiB = (await state(page)).memoryBytes / 2 ** 20;
  r.sampleDdim50Seconds = await sampleSeconds(page, 'ddim', 50);
  if (ddpm) r.sampleDdpm1000Seconds = await sampleSeconds(page, 'ddpm', 1000);
  r.wasm = await page.evaluate(() => document.getElementById('build-info').textContent);
  await page.close();
  return r;
}

// Every repetition: the browser, then each native build.
async function measure() {
  const notes = [];
  for (const build of nativeBuilds) {
    const note = ensureBuilt(build);
    if (note) { notes.push(note); build.missing = true; }
  }
  const server = await startServer({ dir: path.join(root, 'web', 'dist'), listenPort: 0 });
  url = `http://127.0.0.1:${server.address().port}/`;
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const runs = [];
  for (let i = 0; i < repeat; i++) {
    const run = { browser: await browserRun() };
    for (const build of nativeBuilds) run[build.key] = runNative(build);
    runs.push(run);
    const b = run.browser;
    console.error(`repetition ${i + 1}/${repeat} (load ${b.load.toFixed(2)}): worker ${b.batch256.worker.toFixed(0)} steps/s at 256, ` +
      `native SSE4.2 ${run.sse42?.train_steps_per_second_batch_256?.toFixed(0) ?? '–'}, ` +
      `native ${run.native?.train_steps_per_second_batch_256?.toFixed(0) ?? '–'}; 10 s: step ${b.tenSeconds.step}, ` +
      `D² ${b.tenSeconds.energy.toFixed(5)}`);
  }
  await browser.close();
  server.close();
  return { runs, notes };
}

// Measured now, or (--from a.json,b.json) the repetitions saved by earlier runs' --json, pooled.
const from = option('--from');
const { runs, notes } = from
  ? from.split(',').map((file) => JSON.parse(readFileSync(file, 'utf8')))
    .reduce((all, saved) => ({ runs: [...all.runs, ...saved.runs], notes: [...all.notes, ...saved.notes] }), { runs: [], notes: [] })
  : await measure();

// ---- the table -----------------------------------------------------------------------------------

const f = (x, digits = 1) => (x === undefined || x === null || !Number.isFinite(x) ? '–' : Number(x).toFixed(digits));
// "median (min – max)" of a value over the repetitions.
const stat = (get, digits = 1) => {
  const xs = runs.map((r) => { try { return get(r); } catch { return undefined; } }).filter((x) => Number.isFinite(x));
  if (!xs.length) return '–';
  if (xs.length === 1) return f(xs[0], digits);
  return `${f(median(xs), digits)} (${f(Math.min(...xs), digits)} – ${f(Math.max(...xs), digits)})`;
};
// (WASM time) / (native time) for one build: the median over repetitions (min – max).
const ratio = (key, get) => {
  const xs = runs.map((r) => (r[key] ? get(r.browser, r[key]) : undefined)).filter((x) => Number.isFinite(x));
  if (!xs.length) return '–';
  return xs.length === 1 ? `${f(xs[0], 2)}×` : `${f(median(xs), 2)}× (${f(Math.min(...xs), 2)} – ${f(Math.max(...xs), 2)})`;
};
const trainRatio = (batch) => (b, n) => n[`train_steps_per_second_batch_${batch}`] / b[`batch${batch}`].worker;
const sampleRatio = (b, n) => b.sampleDdim50Seconds / n.sample_10000_ddim50_seconds;
const simd = (key) => runs.find((r) => r[key])?.[key].simd ?? 'not built';

const rows = [
  ['time to interactive (localhost, median of 3 loads)', `${stat((r) => r.browser.timeToInteractiveMs, 0)} ms`, '', '', '', '', '< 1 s'],
  ['train steps/s, batch 256: worker', stat((r) => r.browser.batch256.worker, 0),
    stat((r) => r.sse42.train_steps_per_second_batch_256, 0), stat((r) => r.native.train_steps_per_second_batch_256, 0),
    ratio('sse42', trainRatio(256)), ratio('native', trainRatio(256)), '≥ 100; ≤ 3× SSE4.2'],
  ['train steps/s, batch 256: wall clock', stat((r) => r.browser.batch256.wall, 0), '', '', '', '', ''],
  ['train steps/s, batch 4096: worker', stat((r) => r.browser.batch4096.worker, 2),
    stat((r) => r.sse42.train_steps_per_second_batch_4096, 2), stat((r) => r.native.train_steps_per_second_batch_4096, 2),
    ratio('sse42', trainRatio(4096)), ratio('native', trainRatio(4096)), '≤ 3× SSE4.2'],
  ['train steps/s, batch 4096: wall clock', stat((r) => r.browser.batch4096.wall, 2), '', '', '', '', ''],
  ['sample 10,000 points, DDIM 50 steps (s)', stat((r) => r.browser.sampleDdim50Seconds, 2),
    stat((r) => r.sse42.sample_10000_ddim50_seconds, 2), stat((r) => r.native.sample_10000_ddim50_seconds, 2),
    ratio('sse42', sampleRatio), ratio('native', sampleRatio), '≤ 3× SSE4.2'],
  ...(ddpm ? [['sample 10,000 points, DDPM 1000 steps (s)', stat((r) => r.browser.sampleDdpm1000Seconds, 1), '', '', '', '', '']] : []),
  ['WASM memory while training (largest, batch 4096)', `${stat((r) => r.browser.memoryMiB)} MiB`, '', '', '', '', '< 64 MiB'],
];
const loads = runs.map((r) => r.browser.load);
console.log(`\n${runs.length} repetitions; 1-minute load average at their starts: median ${f(median(loads), 2)} ` +
  `(${f(Math.min(...loads), 2)} – ${f(Math.max(...loads), 2)}), ${os.cpus().length} CPUs`);
console.log(`\n| measurement | Chromium (WASM SIMD128) | native ${simd('sse42')} | native ${simd('native')} | ` +
  'WASM ÷ SSE4.2 (time) | WASM ÷ native (time) | target |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | --- |');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);

const ten = runs.map((r) => r.browser.tenSeconds);
console.log(`\nTen seconds (default settings: Train, then Sample ${QUALITY_AFTER_MS / 1000} s later; DDIM 50, ` +
  `${ten[0].n} samples against 2,000 fresh moons):`);
console.log(`  step reached when Sample was pressed: ${stat((r) => r.browser.tenSeconds.step, 0)}; ` +
  `samples shown ${stat((r) => r.browser.tenSeconds.shownAt, 1)} s after Train; ` +
  `the live preview on screen at 10 s was of step ${stat((r) => r.browser.tenSeconds.previewStep, 0)}`);
console.log(`  energy distance ×10⁻³: samples ${stat((r) => 1e3 * r.browser.tenSeconds.energy, 2)}, ` +
  `fresh moons (perfect sampler) ${f(1e3 * baselines.dataVsData, 2)}, Gaussian fit ${f(1e3 * baselines.gaussian, 2)}; ` +
  `samples ÷ Gaussian ${stat((r) => r.browser.tenSeconds.energy / baselines.gaussian, 2)}`);
const hasDigits = runs.some((r) => r.browser.digitsMinute);
if (hasDigits) {
  const d = (get, digits) => stat((r) => get(r.browser.digitsMinute), digits);
  console.log(`\nDigits in a minute (the page's digits defaults: Train, Pause at ${DIGITS_AFTER_MS / 1000} s, Sample ` +
    `${runs.find((r) => r.browser.digitsMinute).browser.digitsMinute.n} images, DDPM 50, w = 2, ten of each class):`);
  console.log(`  step reached: ${d((m) => m.step, 0)} at ${d((m) => m.stepsPerSec, 1)} steps/s (worker); ` +
    `sampling took ${d((m) => m.sampleSeconds, 1)} s; WASM memory ${d((m) => m.memoryMiB, 0)} MiB`);
  console.log(`  class agreement ${d((m) => m.agreement, 2)}; Fréchet distance ${d((m) => m.frechet, 1)} ` +
    `(held-out digits against held-out digits: ${d((m) => m.heldOutFrechet, 1)})`);
  const variants = [...new Set(runs.flatMap((r) => Object.keys(r.browser.digitsVariants ?? {})))];
  for (const extra of variants) {
    const v = (get, digits) => stat((r) => get(r.browser.digitsVariants[extra]), digits);
    console.log(`  with ${decodeURIComponent(extra)}: step ${v((m) => m.step, 0)} at ${v((m) => m.stepsPerSec, 1)} steps/s; ` +
      `agreement ${v((m) => m.agreement, 2)}; Fréchet distance ${v((m) => m.frechet, 1)}; sampling ${v((m) => m.sampleSeconds, 1)} s`);
  }
}
console.log(`\n${runs[0].browser.wasm}`);
for (const note of notes) console.log(`note: ${note}`);
if (option('--json') && !from) writeFileSync(option('--json'), JSON.stringify({ runs, baselines, notes }, null, 2));
