// The browser benchmark (a measurement, never a timed test): in headless Chromium on this machine,
//   - time to interactive on localhost (navigation start to the first run being ready to train),
//   - training steps/s of the reference workload (default model, batch 256 and 4096, one thread):
//     the worker's own rate (time inside train() only) and the wall-clock rate seen by the page
//     (which also pays for the live sample previews),
//   - the WebAssembly memory while training (target < 64 MiB),
//   - the time to sample 10,000 points (DDIM, 50 steps; DDPM with all 1000 steps with --ddpm),
// and the same workload natively (build/bin/bench_train, one thread) in the same run.
//
//   node bench/browser_bench.mjs [--seconds 15] [--ddpm] [--json out.json]
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../scripts/serve.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const seconds = Number(option('--seconds', 15));
const ddpm = args.includes('--ddpm');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];

const server = await startServer({ dir: path.join(root, 'web', 'dist'), listenPort: 0 });
const url = `http://127.0.0.1:${server.address().port}/`;
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
const state = (page) => page.evaluate(() => window.diffuse.state());
const results = {};

async function freshPage(hash = '') {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(url + hash);
  await page.waitForFunction(() => window.diffuse?.state().ready, null, { timeout: 120000 });
  return page;
}

// Time to interactive: three fresh loads, the median.
const loads = [];
for (let i = 0; i < 3; i++) {
  const page = await freshPage();
  loads.push(await page.evaluate(() => performance.getEntriesByName('diffuse:ready')[0].startTime));
  await page.close();
}
results.timeToInteractiveMs = loads.sort((a, b) => a - b)[1];

// Training rate over `seconds` after a warm-up, at the current batch.
async function trainingRate(page, label) {
  await page.waitForFunction(() => window.diffuse.state().step >= 3, null, { timeout: 300000, polling: 100 });
  await page.waitForTimeout(2000);
  const a = await state(page), t0 = Date.now();
  await page.waitForTimeout(seconds * 1000);
  const b = await state(page), t1 = Date.now();
  results[label] = { wall: (b.step - a.step) / ((t1 - t0) / 1000), worker: b.stepsPerSec, memoryMiB: b.memoryBytes / 2 ** 20 };
}

const page = await freshPage();
await page.click('[data-testid=train]');
await trainingRate(page, 'batch256');
await page.selectOption('#setting-batch', '4096');  // applies live
await page.waitForTimeout(500);
await trainingRate(page, 'batch4096');
await page.click('[data-testid=train]');
await page.waitForFunction(() => !window.diffuse.state().running);
results.memoryMiB = (await state(page)).memoryBytes / 2 ** 20;

async function sampleSeconds(sampler, steps) {
  await page.selectOption('#setting-sampler', sampler);
  await page.selectOption('#setting-samplerSteps', String(steps));
  await page.selectOption('#setting-sampleN', '10000');
  const before = (await state(page)).samplings, t0 = Date.now();
  await page.click('[data-testid=sample]');
  await page.waitForFunction((n) => window.diffuse.state().samplings > n, before, { timeout: 3600000, polling: 100 });
  return (Date.now() - t0) / 1000;
}
results.sampleDdim50Seconds = await sampleSeconds('ddim', 50);
if (ddpm) results.sampleDdpm1000Seconds = await sampleSeconds('ddpm', 1000);
results.wasm = await page.evaluate(() => document.getElementById('build-info').textContent);
await browser.close();
server.close();

const bench = path.join(root, 'build', 'bin', 'bench_train');
results.native = existsSync(bench) ? JSON.parse(execFileSync(bench, ['--seconds', String(Math.min(seconds, 5))], { encoding: 'utf8' })) : null;

const f = (x, digits = 1) => (x === undefined || x === null ? '–' : Number(x).toFixed(digits));
const n = results.native ?? {};
const rows = [
  ['time to interactive (localhost)', `${f(results.timeToInteractiveMs, 0)} ms`, '', '< 1000 ms'],
  ['train steps/s, batch 256 (worker / wall)', `${f(results.batch256.worker)} / ${f(results.batch256.wall)}`,
    f(n.train_steps_per_second_batch_256), '≥ 100'],
  ['train steps/s, batch 4096 (worker / wall)', `${f(results.batch4096.worker, 2)} / ${f(results.batch4096.wall, 2)}`,
    f(n.train_steps_per_second_batch_4096, 2), ''],
  ['sample 10,000 points, DDIM 50 steps', `${f(results.sampleDdim50Seconds)} s`, `${f(n.sample_10000_ddim50_seconds)} s`, ''],
  ...(ddpm ? [['sample 10,000 points, DDPM 1000 steps', `${f(results.sampleDdpm1000Seconds)} s`, '', '']] : []),
  ['WASM memory while training (largest)', `${f(results.memoryMiB)} MiB`, '', '< 64 MiB'],
];
console.log(`\n| measurement | Chromium (WASM SIMD128) | native (${n.simd ?? 'not built'}, 1 thread) | target |`);
console.log('| --- | --- | --- | --- |');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
console.log(`\n${results.wasm}`);
if (option('--json')) writeFileSync(option('--json'), JSON.stringify(results, null, 2));
