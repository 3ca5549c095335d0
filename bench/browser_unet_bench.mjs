// The digits U-Net's training step, side by side (a measurement, never a timed test):
//   - TensorFlow.js 4.22 (tfjs-backend-wasm, SIMD, one thread) training the identical model, loss
//     and optimizer (bench/tfjs_unet/: checked against PyTorch by check_against_torch.mjs), in a
//     worker of headless Chromium; each input-gradient variant of --tfjs-variants in its own
//     worker: 'stock' (TF.js's own Conv2DBackpropInput kernel: TF.js as shipped, only the missing
//     kernels replaced) and 'conv2d' (the input gradient as a flipped-filter conv2d on XNNPACK: a
//     tuned TF.js, to show what is left once its slowest kernel is avoided),
//   - diffuse's WebAssembly (the benchmark module's benchUNetTrain: the page's Trainer built from
//     the page's settings, timed inside WebAssembly), in another worker of the same page,
//   - diffuse natively with one thread: SSE4.2 (build-sse42, 4 lanes like WASM SIMD128) and
//     -march=native (build): `diffuse bench --dataset digits --json --threads 1` when the config is
//     the digits defaults, else the difference of two `diffuse train --stop-at` runs (steps/s of
//     the steps between them, start-up and checkpoint writing cancelled out).
// Every round runs each side once, one after the other, so the per-round ratios compare numbers
// taken under the same load; the table shows medians over rounds (min - max), and each ratio is
// the median of the per-round ratios. A warm-up round per side comes first and is not counted.
//
//   node bench/browser_unet_bench.mjs [--rounds 5] [--channels 16,32] [--layers 1] [--batch 64]
//       [--groups 8] [--seconds 5] [--tfjs-variants stock,conv2d] [--no-native] [--json out.json]
//
// Builds what is missing: build/bin/diffuse (preset release), build-sse42/bin/diffuse (sse42),
// build-wasm/bin/diffuse_bench.mjs (wasm). The native runs read the digits from the repository's
// data/ (scripts/setup.sh), or from DIFFUSE_DATA_DIR.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../scripts/serve.mjs';
import { CHROMIUM_ARGS, median } from './browser_support.mjs';
import { DIGITS_MODEL, DIGITS_TRAIN } from './tfjs_unet/trainer.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const rounds = Number(option('--rounds', 5));
const seconds = Number(option('--seconds', 5));  // TF.js's stock step takes ~0.35 s: >= 14 steps a round
const variants = option('--tfjs-variants', 'stock,conv2d').split(',').filter(Boolean);
const withNative = !args.includes('--no-native');

// ---- the one config every side trains --------------------------------------------------------------

const model = {
  ...DIGITS_MODEL,
  channels: option('--channels', DIGITS_MODEL.channels.join(',')).split(',').map(Number),
  layersPerBlock: Number(option('--layers', DIGITS_MODEL.layersPerBlock)),
  groups: Number(option('--groups', DIGITS_MODEL.groups)),
};
const train = { ...DIGITS_TRAIN, batch: Number(option('--batch', DIGITS_TRAIN.batch)) };
// The page's settings for the same run (web/bindings/settings.hpp reads them).
const settings = {
  channels: model.channels.join(','), layersPerBlock: model.layersPerBlock, groups: model.groups,
  batch: train.batch, lr: train.lr, warmup: train.warmup, steps: train.steps, emaDecay: train.ema,
  gradClip: train.clip, labelDropout: train.labelDropout, timesteps: train.timesteps, seed: 0,
};
const isDigitsDefault = model.channels.join(',') === DIGITS_MODEL.channels.join(',') &&
  model.layersPerBlock === DIGITS_MODEL.layersPerBlock && model.groups === DIGITS_MODEL.groups &&
  train.batch === DIGITS_TRAIN.batch;

// ---- builds ----------------------------------------------------------------------------------------

const env = { ...process.env, NODE_PATH: '/usr/share/nodejs' };
const builds = [
  { key: 'sse42', preset: 'sse42', file: path.join(root, 'build-sse42', 'bin', 'diffuse'), target: 'diffuse', native: true },
  { key: 'native', preset: 'release', file: path.join(root, 'build', 'bin', 'diffuse'), target: 'diffuse', native: true },
  { key: 'wasm', preset: 'wasm', file: path.join(root, 'build-wasm', 'bin', 'diffuse_bench.mjs'), target: 'diffuse_wasm_bench' },
];

// Builds one target of a preset if its output is missing; returns a note when it cannot.
function ensureBuilt(build) {
  if (existsSync(build.file)) return null;
  const dir = path.join(root, build.preset === 'release' ? 'build' : `build-${build.preset}`);
  console.error(`${path.relative(root, build.file)} is missing: building it (cmake --preset ${build.preset})`);
  try {
    if (!existsSync(path.join(dir, 'CMakeCache.txt'))) execFileSync('cmake', ['--preset', build.preset], { cwd: root, stdio: 'inherit', env });
    execFileSync('cmake', ['--build', '--preset', build.preset, '-j2', '--target', build.target], { cwd: root, stdio: 'inherit', env });
  } catch (error) {
    return `could not build ${path.relative(root, build.file)}: ${error.message}`;
  }
  return existsSync(build.file) ? null : `${path.relative(root, build.file)} not found after building`;
}

// ---- native ----------------------------------------------------------------------------------------

// Steps/s of one thread. The digits defaults: diffuse bench's median over its rounds (wall clock,
// like the browser's numbers). Any other config: `diffuse train` stopped at step 2 and at step
// 2 + n (same plan, so the same learning rates): n / (difference of their wall times).
function runNative(build) {
  if (isDigitsDefault) {
    const out = JSON.parse(execFileSync(build.file, ['bench', '--dataset', 'digits', '--json', '--threads', '1'], { encoding: 'utf8', env }));
    return { stepsPerSecond: out.steps_per_second.median, perCpuSecond: out.steps_per_cpu_second.median, simd: out.simd, how: 'diffuse bench' };
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'unet-bench-'));
  const timeTo = (stopAt) => {
    const t0 = performance.now();
    execFileSync(build.file, ['train', '--dataset', 'digits', '--conditional', '--channels', settings.channels,
      '--layers-per-block', String(model.layersPerBlock), '--groups', String(model.groups), '--batch', String(train.batch),
      '--steps', String(train.steps), '--threads', '1', '--quiet', '--stop-at', String(stopAt),
      '--out', path.join(dir, `s${stopAt}.safetensors`)], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    return (performance.now() - t0) / 1000;
  };
  try {
    const short = timeTo(2);
    // Enough steps for about `seconds` of training, from a first estimate.
    const n = Math.max(5, Math.round(seconds / Math.max(short / 2, 1e-3)));
    const long = timeTo(2 + n);
    const simd = execFileSync(build.file, ['--version'], { encoding: 'utf8' }).match(/SIMD: ([^,)]+)/)?.[1] ?? '';
    return { stepsPerSecond: n / (long - short), simd, how: 'diffuse train --stop-at difference' };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- the browser -----------------------------------------------------------------------------------

async function measure() {
  const notes = [];
  for (const build of builds) {
    if (!withNative && build.native) { build.missing = true; continue; }
    const note = ensureBuilt(build);
    if (note) { notes.push(note); build.missing = true; }
  }
  if (builds.find((b) => b.key === 'wasm').missing) throw new Error(`cannot run without the WebAssembly benchmark module: ${notes.join('; ')}`);
  // The repository root: the page (bench/tfjs_unet), TF.js from node_modules, the benchmark module
  // from build-wasm; nothing is copied anywhere.
  const server = await startServer({ dir: root, listenPort: 0 });
  const userData = mkdtempSync(path.join(os.tmpdir(), 'unet-bench-chromium-'));
  const context = await chromium.launchPersistentContext(userData, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true,
  });
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') console.error(`page: ${m.text()}`); });
  await page.goto(`http://127.0.0.1:${server.address().port}/bench/tfjs_unet/bench.html`);
  await page.waitForFunction(() => window.unetBench, null, { timeout: 60000 });
  const info = await page.evaluate((o) => window.unetBench.start(o), { model, train, settings, tfjsVariants: variants });
  info.chromium = await page.evaluate(() => navigator.userAgent);
  const sides = [...variants.map((v) => `tfjs:${v}`), 'diffuse'];

  // Warm-up (not counted): TF.js 3 steps each; diffuse a short run that also sizes its rounds.
  const warm = {};
  for (const side of sides) {
    warm[side] = await page.evaluate(([s, o]) => window.unetBench.round(s, o), [side, side === 'diffuse' ? { steps: 5 } : { seconds: 0, minSteps: 3 }]);
  }
  const diffuseSteps = Math.max(5, Math.round(seconds * warm.diffuse.steps / warm.diffuse.seconds));

  const runs = [];
  for (let r = 0; r < rounds; r++) {
    const run = { load: os.loadavg()[0], browser: {} };
    for (const side of sides) {
      const options = side === 'diffuse' ? { steps: diffuseSteps } : { seconds, minSteps: 3 };
      const res = await page.evaluate(([s, o]) => window.unetBench.round(s, o), [side, options]);
      run.browser[side] = { ...res, stepsPerSecond: res.steps / res.seconds };
    }
    for (const build of builds.filter((b) => b.native && !b.missing)) run[build.key] = runNative(build);
    runs.push(run);
    console.error(`round ${r + 1}/${rounds} (load ${run.load.toFixed(2)}): ` + sides.map((s) => `${s} ${run.browser[s].stepsPerSecond.toFixed(2)}`).join(', ') +
      (run.sse42 ? `, SSE4.2 ${run.sse42.stepsPerSecond.toFixed(2)}` : '') + (run.native ? `, native ${run.native.stepsPerSecond.toFixed(2)}` : '') + ' steps/s');
  }
  await context.close();
  rmSync(userData, { recursive: true, force: true });
  server.close();
  return { runs, info, notes, diffuseSteps };
}

const result = await measure();
const { runs, info, notes } = result;

// ---- the table ---------------------------------------------------------------------------------------

const f = (x, digits = 2) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits));
const spread = (xs, digits = 2, unit = '') => {
  const v = xs.filter((x) => Number.isFinite(x));
  if (!v.length) return '–';
  return v.length === 1 ? `${f(v[0], digits)}${unit}` : `${f(median(v), digits)}${unit} (${f(Math.min(...v), digits)} – ${f(Math.max(...v), digits)})`;
};
const rate = (get) => runs.map((r) => { try { return get(r); } catch { return undefined; } });
const diffuseRate = (r) => r.browser.diffuse.stepsPerSecond;
const lines = [];
const loads = runs.map((r) => r.load);
lines.push(`${runs.length} rounds on ${os.cpus()[0].model} (${os.cpus().length} CPUs); 1-minute load average at their starts: ` +
  `median ${f(median(loads))} (${f(Math.min(...loads))} – ${f(Math.max(...loads))})`);
lines.push(`model: channels (${model.channels.join(', ')}), ${model.layersPerBlock} resnet(s) per down block, ${model.groups} groups, ` +
  `${model.classes} classes + null, ${info.diffuse.parameters} parameters (TF.js: ${info[`tfjs:${variants[0]}`]?.parameters ?? '–'}); batch ${train.batch}; ` +
  `diffuse rounds of ${result.diffuseSteps} steps, TF.js rounds of >= ${seconds} s`);
lines.push('');
lines.push('| side | steps/s | diffuse WASM ÷ this (steps/s ratio, per-round median) |');
lines.push('| --- | ---: | ---: |');
for (const v of variants) {
  const side = `tfjs:${v}`;
  lines.push(`| TensorFlow.js ${info[side].version} WASM SIMD, one thread, input gradient ${v === 'stock' ? 'stock (Conv2DBackpropInput)' : 'as conv2d'} | ` +
    `${spread(rate((r) => r.browser[side].stepsPerSecond), 2)} | ${spread(rate((r) => diffuseRate(r) / r.browser[side].stepsPerSecond), 1, '×')} |`);
}
lines.push(`| diffuse WASM SIMD128 (Chromium, one thread) | ${spread(rate(diffuseRate), 2)} | 1 |`);
for (const key of ['sse42', 'native']) {
  if (!runs.some((r) => r[key])) continue;
  const label = key === 'sse42' ? 'diffuse native SSE4.2 (x86-64-v2), one thread' : 'diffuse native -march=native, one thread';
  lines.push(`| ${label} [${runs.find((r) => r[key])[key].simd}] | ${spread(rate((r) => r[key].stepsPerSecond), 2)} | ` +
    `${spread(rate((r) => diffuseRate(r) / r[key].stepsPerSecond), 2, '×')} |`);
}
lines.push('');
const ratioSse = median(rate((r) => r.sse42.stepsPerSecond / diffuseRate(r)));
for (const v of variants) {
  const x = median(rate((r) => diffuseRate(r) / r.browser[`tfjs:${v}`].stepsPerSecond));
  lines.push(`ours ÷ TF.js (${v}): ${f(x, 2)}×${v === variants[0] ? ` (target ≥ 5×: ${x >= 5 ? 'met' : 'not met'})` : ''}`);
}
if (Number.isFinite(ratioSse)) lines.push(`SSE4.2 ÷ ours: ${f(ratioSse, 2)}× (target ≤ 1.5×: ${ratioSse <= 1.5 ? 'met' : 'not met'})`);
lines.push(`native runs: ${runs.find((r) => r.sse42 || r.native)?.sse42?.how ?? runs.find((r) => r.native)?.native?.how ?? 'none'}`);
lines.push(`Chromium: ${info.chromium}`);
for (const v of variants) {
  const i = info[`tfjs:${v}`];
  lines.push(`TF.js ${v}: ${i.version}, backend ${i.backend}, SIMD ${i.simd}, threads ${i.threads}`);
}
lines.push(`diffuse: ${info.diffuse.model}; chunk rows ${info.diffuse.chunkRows}; ${JSON.stringify(info.diffuse.build)}`);
for (const note of notes) lines.push(`note: ${note}`);
console.log(lines.join('\n'));
if (option('--json')) writeFileSync(option('--json'), JSON.stringify({ model, train, settings, ...result }, null, 2));
