// Memory over a long run in the page (issue 14, "Long runs"): a benchmark, never a test. A fresh
// page at the 2D defaults (moons, batch 256) with "Training steps" set to 200,000 trains to the end
// while the live previews run, as a user would leave it. Every `--every` seconds it reads the step,
// the worker's WebAssembly memory (which can only grow: a leak in the core or the bindings shows
// there), the page's JavaScript heap (Chromium's Performance.getMetrics) and the resident set of
// the whole browser (every process under the one playwright started, from /proc). Memory is flat
// when each is within a small slack at the end of what it was after the first tenth of the run.
//
//   node bench/long_run_memory_browser.mjs [--steps 200000] [--every 15] [--json out.json]
import { chromium } from 'playwright-core';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../scripts/serve.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const steps = Number(option('--steps', 200000));
const every = Number(option('--every', 15));
const MiB = 2 ** 20;

// Resident set of a process and all its descendants, in bytes (Linux /proc).
function treeRss(rootPid) {
  const parent = new Map(), rss = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(entry), Number(fields[1]));
      rss.set(Number(entry), Number(fields[21]) * 4096);  // field 24 of stat: resident pages
    } catch { /* the process ended meanwhile */ }
  }
  const inTree = (pid) => { for (let p = pid; p > 1; p = parent.get(p)) if (p === rootPid) return true; return false; };
  let total = 0;
  for (const [pid, bytes] of rss) if (inTree(pid)) total += bytes;
  return total;
}

const server = await startServer({ dir: path.join(root, 'web', 'dist'), listenPort: 0 });
// A fresh user-data dir, which also marks this browser's main process among any others running.
const profile = mkdtempSync(path.join(os.tmpdir(), 'diffuse-long-run-'));
const context = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'], viewport: { width: 1280, height: 800 } });
const browserPid = readdirSync('/proc').filter((e) => /^\d+$/.test(e)).map(Number).sort((a, b) => a - b).find((pid) => {
  try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(profile); } catch { return false; }
});
const page = context.pages()[0] ?? await context.newPage();
const cdp = await context.newCDPSession(page);
await cdp.send('Performance.enable');
await page.goto(`http://127.0.0.1:${server.address().port}/#steps=${steps}`);
await page.waitForFunction(() => window.diffuse?.state().ready, null, { timeout: 120000 });
await page.click('[data-testid=train]');
const start = Date.now(), readings = [];
for (;;) {
  await page.waitForTimeout(every * 1000);
  const s = await page.evaluate(() => window.diffuse.state());
  const { metrics } = await cdp.send('Performance.getMetrics');
  const heap = metrics.find((m) => m.name === 'JSHeapUsedSize').value;
  const reading = { seconds: (Date.now() - start) / 1000, step: s.step, wasm: s.memoryBytes, heap,
    rss: treeRss(browserPid) };
  readings.push(reading);
  console.error(`page: ${reading.seconds.toFixed(0)} s  step ${s.step}  WASM ${(reading.wasm / MiB).toFixed(1)} MiB  ` +
    `page heap ${(heap / MiB).toFixed(1)} MiB  browser RSS ${(reading.rss / MiB).toFixed(0)} MiB`);
  if (s.step >= steps || (!s.running && s.step > 0)) break;
}
await context.close();
rmSync(profile, { recursive: true, force: true });
await new Promise((resolve) => server.close(resolve));

const tenth = readings.filter((r) => r.seconds >= readings.at(-1).seconds / 10);
const rows = Array.from({ length: 8 }, (_, i) => readings[Math.round((i * (readings.length - 1)) / 7)]);
console.log(`**The page, moons defaults, "Training steps" ${steps.toLocaleString('en')}**\n`);
console.log('| time | step | WebAssembly memory | page JS heap | browser RSS (all processes) |\n|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.seconds.toFixed(0)} s | ${r.step.toLocaleString('en')} | ${(r.wasm / MiB).toFixed(1)} MiB | ` +
    `${(r.heap / MiB).toFixed(1)} MiB | ${(r.rss / MiB).toFixed(0)} MiB |`);
}
for (const key of ['wasm', 'heap', 'rss']) {
  const early = tenth[0][key], end = readings.at(-1)[key], grown = Math.max(...tenth.map((r) => r[key])) - early;
  console.log(`\n${key}: after the first tenth ${(early / MiB).toFixed(1)} MiB, at the end ${(end / MiB).toFixed(1)} MiB, ` +
    `largest growth after the first tenth ${(grown / MiB).toFixed(1)} MiB`);
}
if (option('--json')) writeFileSync(option('--json'), JSON.stringify({ steps, readings }));
