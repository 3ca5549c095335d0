// Time to interactive on localhost, and the load's waterfall: fresh loads of one or more static
// sites (default web/dist) in headless Chromium, each in a new browser (a fresh profile, so an empty
// cache), printing per site the median (min – max) of
//   - ready: the `diffuse:ready` mark (navigation start to the first run being ready to train),
//   - when main.js, worker.js, diffuse.mjs and diffuse.wasm were requested (ms after navigation
//     start; Chromium reports the worker's requests through the page),
// and the 1-minute load average before and after. With several sites the loads interleave (one
// of each per round, the order alternating), so they compare under the same load, and each site
// after the first is also compared round by round with the first (in how many rounds it was ready
// sooner, and the median of the per-round differences).
//
//   node bench/time_to_interactive.mjs [--loads 9] [--json out.json] [DIR ...]
import { chromium } from 'playwright-core';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../scripts/serve.mjs';
import { CHROMIUM_ARGS } from './browser_support.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const value = args[i + 1];
  args.splice(i, 2);
  return value;
};
const loads = Number(option('--loads', 9));
const jsonOut = option('--json', null);
const dirs = (args.length ? args : [path.join(root, 'web', 'dist')]).map((d) => path.resolve(d));
const WATCHED = { 'main.js': /\/src\/main\.js$/, 'worker.js': /\/src\/worker\.js$/,
  'diffuse.mjs': /\/wasm\/diffuse\.mjs$/, 'diffuse.wasm': /\/wasm\/diffuse\.wasm$/ };

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const summary = (xs) => `${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)} – ${Math.max(...xs).toFixed(0)})`;
const load1 = () => os.loadavg()[0];

// One fresh load: the ready mark and when each watched file was requested, in ms after navigation.
async function measure(url) {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const requested = {};  // name -> wall-clock ms since the epoch
    page.on('request', (request) => {
      for (const [name, pattern] of Object.entries(WATCHED)) {
        if (pattern.test(request.url()) && !(name in requested)) requested[name] = Date.now();
      }
    });
    page.on('requestfinished', (request) => {  // the browser's own start time, when it has one
      for (const [name, pattern] of Object.entries(WATCHED)) {
        const start = request.timing().startTime;
        if (pattern.test(request.url()) && start > 0) requested[name] = Math.min(requested[name] ?? Infinity, start);
      }
    });
    await page.goto(url);
    await page.waitForFunction(() => performance.getEntriesByName('diffuse:ready').length, null, { timeout: 120000, polling: 10 });
    const { origin, ready } = await page.evaluate(() => ({
      origin: performance.timeOrigin, ready: performance.getEntriesByName('diffuse:ready')[0].startTime,
    }));
    const result = { ready };
    for (const name of Object.keys(WATCHED)) result[name] = requested[name] === undefined ? NaN : requested[name] - origin;
    return result;
  } finally {
    await browser.close();
  }
}

const sites = [];
for (const dir of dirs) {
  const server = await startServer({ dir, listenPort: 0 });
  sites.push({ dir, server, url: `http://127.0.0.1:${server.address().port}/`, runs: [] });
}
const loadBefore = load1();
console.log(`${loads} fresh loads of each of ${sites.length} site(s), 1-minute load average ${loadBefore.toFixed(2)} on ${os.cpus().length} CPUs`);
for (let round = 0; round < loads; round++) {
  const order = round % 2 ? [...sites].reverse() : sites;
  for (const site of order) {
    const run = await measure(site.url);
    site.runs.push(run);
    console.log(`  ${path.relative(process.cwd(), site.dir) || '.'}: ready ${run.ready.toFixed(0)} ms, worker.js ${run['worker.js'].toFixed(0)}, ` +
      `diffuse.wasm ${run['diffuse.wasm'].toFixed(0)}`);
  }
}
const loadAfter = load1();
console.log(`\nmedian (min – max) over ${loads} loads, ms after navigation start; load average ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after`);
for (const site of sites) {
  console.log(`${site.dir}`);
  console.log(`  ready (time to interactive)  ${summary(site.runs.map((r) => r.ready))}`);
  for (const name of Object.keys(WATCHED)) console.log(`  ${(name + ' requested').padEnd(28)} ${summary(site.runs.map((r) => r[name]))}`);
  if (site !== sites[0]) {
    const diffs = site.runs.map((r, i) => r.ready - sites[0].runs[i].ready);
    console.log(`  against the first site: ready sooner in ${diffs.filter((d) => d < 0).length} of ${loads} rounds, ` +
      `per-round difference ${summary(diffs)} ms`);
  }
  site.server.close();
}
if (jsonOut) {
  writeFileSync(jsonOut, JSON.stringify({ loads, loadAverage: { before: loadBefore, after: loadAfter },
    sites: sites.map(({ dir, runs }) => ({ dir, runs })) }, null, 2));
}
