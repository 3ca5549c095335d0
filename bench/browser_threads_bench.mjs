// The threaded page against the single-thread page (a measurement, never a timed test; issue 15
// item 2, docs/threads.md): in headless Chromium on the COOP/COEP server (scripts/serve.mjs), the
// worker's training steps/s of the reference workload (default model, moons) at batch 256 and 4096
// for each build:
//   single     ?build=single        the single-thread module (what non-isolated pages run)
//   threads=1  ?threads=1           the threaded module with one thread (its own overhead)
//   threads=N  ?threads=N           the threaded module with N threads (default: 2, and os cores)
// Each repetition measures every build back to back, so ratios compare numbers taken under the
// same load; the table shows medians over the repetitions (min – max) and each ratio is the median
// of the per-repetition ratios against `single`. The rate is the worker's own running estimate
// (time inside train() only) read every 250 ms, the median of the readings, after a warm-up.
//
//   node bench/browser_threads_bench.mjs [--repeat 3] [--seconds 10] [--threads 2,4] [--json out.json]
import { chromium } from 'playwright-core';
import { existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../scripts/serve.mjs';
import { CHROMIUM_ARGS, median } from './browser_support.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const seconds = Number(option('--seconds', 10));
const repeat = Number(option('--repeat', 3));
const threadCounts = option('--threads', String(Math.max(2, Math.min(os.cpus().length, 8)))).split(',').map(Number);
const BATCHES = [256, 4096];

if (!existsSync(path.join(root, 'web', 'dist', 'wasm', 'diffuse-threads.wasm'))) {
  console.error('web/dist/wasm/diffuse-threads.wasm is missing: run scripts/build.sh (scripts/build_extra_wasm.sh)');
  process.exit(1);
}

const builds = [{ name: 'single', query: '?build=single' }, { name: 'threads=1', query: '?threads=1' },
  ...threadCounts.map((n) => ({ name: `threads=${n}`, query: `?threads=${n}` }))];

const server = await startServer({ dir: path.join(root, 'web', 'dist'), listenPort: 0 });
const url = `http://127.0.0.1:${server.address().port}/`;
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
const state = (page) => page.evaluate(() => window.diffuse.state());

// steps/s of the worker at `batch`, as browser_bench.mjs's trainingRate measures it.
async function rate(query, batch) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(`${url}${query}#batch=${batch}`);
  await page.waitForFunction(() => window.diffuse?.state().ready, null, { timeout: 120000 });
  const build = await page.evaluate(() => window.diffuse.build());
  await page.click('[data-testid=train]');
  await page.waitForFunction(() => window.diffuse.state().step >= 3, null, { timeout: 300000, polling: 100 });
  await page.waitForTimeout(2000);
  const readings = [];
  const t0 = Date.now();
  while (Date.now() - t0 < seconds * 1000) {
    await page.waitForTimeout(250);
    readings.push((await state(page)).stepsPerSec);
  }
  await context.close();
  return { stepsPerSec: median(readings), build };
}

const runs = [];
for (let r = 0; r < repeat; r++) {
  const run = { load: os.loadavg()[0] };
  for (const batch of BATCHES) {
    for (const b of builds) {
      const m = await rate(b.query, batch);
      run[`${b.name} ${batch}`] = m.stepsPerSec;
      run[`${b.name} build`] = m.build;
      console.error(`repetition ${r + 1}: ${b.name} (${JSON.stringify(m.build)}), batch ${batch}: ${m.stepsPerSec?.toFixed(1)} steps/s`);
    }
  }
  runs.push(run);
}
await browser.close();
await new Promise((resolve) => server.close(resolve));

const fmt = (x) => (x === undefined ? '–' : x >= 100 ? x.toFixed(0) : x.toFixed(1));
console.log(`Chromium (headless), ${os.cpus().length} CPUs, ${repeat} repetitions of ${seconds} s; load ${runs.map((r) => r.load.toFixed(2)).join(', ')}`);
console.log('\n| build | batch | steps/s (median, min – max) | × single |');
console.log('| --- | ---: | ---: | ---: |');
for (const batch of BATCHES) {
  for (const b of builds) {
    const xs = runs.map((r) => r[`${b.name} ${batch}`]);
    const ratios = runs.map((r) => r[`${b.name} ${batch}`] / r[`single ${batch}`]);
    console.log(`| ${b.name} | ${batch} | ${fmt(median(xs))} (${fmt(Math.min(...xs))} – ${fmt(Math.max(...xs))}) | ${median(ratios).toFixed(2)} |`);
  }
}
const json = option('--json', null);
if (json) writeFileSync(json, JSON.stringify({ seconds, repeat, runs }, null, 2));
