// Shared by the end-to-end tests: a static server for web/dist on a free port and a headless
// Chromium page on it (each test file starts its own), plus the test's own reference computations
// (a moons generator and the energy distance, written here independently of the core).
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../../scripts/serve.mjs';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const resultsDir = path.join(repoRoot, 'test-results');
export const nativeBinary = process.env.DIFFUSE_NATIVE_BIN ?? path.join(repoRoot, 'build', 'bin', 'diffuse');
mkdirSync(resultsDir, { recursive: true });

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];

// A server, a browser and a page at `hash`; `problems` collects console errors, page errors and
// failed requests. close() ends all three.
export async function openPage({ hash = '', viewport = { width: 1280, height: 800 }, init } = {}) {
  const server = await startServer({ dir: path.join(repoRoot, 'web', 'dist'), listenPort: 0 });
  const url = `http://127.0.0.1:${server.address().port}/`;
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  if (init) await page.addInitScript(init);
  await page.goto(url + hash);
  const close = async () => {
    await browser.close();
    await new Promise((resolve) => server.close(resolve));
  };
  return { page, url, problems, close };
}

export const state = (page) => page.evaluate(() => window.diffuse.state());

export async function waitReady(page, timeout = 60000) {
  await page.waitForFunction(() => window.diffuse?.state().ready, null, { timeout });
}

export async function waitForStep(page, step, timeout) {
  await page.waitForFunction((s) => window.diffuse.state().step >= s, step, { timeout, polling: 250 });
}

// Trains from a paused run to exactly `steps` optimizer steps without touching the settings (so the
// learning rate follows the run's planned "Training steps", e.g. the default 10,000-step cosine
// schedule): Train until `margin` steps short, Pause, then Shift+Step (100 steps) and Step (1) up to
// the target. Training is deterministic, so the weights do not depend on where the pause landed.
export async function trainTo(page, steps, { margin = 500, timeout = 30 * 60000 } = {}) {
  const idleAt = (s) => page.waitForFunction((t) => window.diffuse.state().step >= t && !window.diffuse.state().running,
    s, { timeout, polling: 20 });
  let step = (await state(page)).step;
  if (step < steps - margin) {
    if (!(await state(page)).running) await page.click('[data-testid=train]');
    await page.waitForFunction((t) => window.diffuse.state().step >= t, steps - margin, { timeout, polling: 20 });
  }
  if ((await state(page)).running) await page.click('[data-testid=train]');  // Pause
  await page.waitForFunction(() => !window.diffuse.state().running, null, { timeout, polling: 20 });
  step = (await state(page)).step;
  if (step > steps) throw new Error(`trainTo: the run paused at step ${step}, past ${steps} (raise the margin)`);
  while (step < steps) {
    const shift = steps - step >= 100;
    await page.click('#step', shift ? { modifiers: ['Shift'] } : {});
    await idleAt(step + (shift ? 100 : 1));
    step = (await state(page)).step;
  }
  return step;
}

// Clicks Sample and returns the samples once that sampling has finished.
export async function sampleAndWait(page, timeout) {
  const before = (await state(page)).samplings;
  await page.click('[data-testid=sample]');
  await page.waitForFunction((b) => window.diffuse.state().samplings > b, before, { timeout, polling: 250 });
  return page.evaluate(() => window.diffuse.samples());
}

// Is the native CLI built, with a `name` command?
export function cliHas(name) {
  if (!existsSync(nativeBinary)) return false;
  try {
    const help = execFileSync(nativeBinary, ['--help'], { encoding: 'utf8' });
    return help.split('\n').some((line) => new RegExp(`^\\s+${name}(\\s|$)`).test(line));
  } catch {
    return false;
  }
}

// ---- reference computations ------------------------------------------------------------------------

// A small seeded generator (mulberry32) and Box-Muller normals.
export function randomSource(seed) {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

// docs/reference-workload.md "moons": with probability 1/2 the upper moon (cos a, sin a), else the
// lower (1 - cos a, 1/2 - sin a), a ~ U[0, pi], plus N(0, 0.05^2) per coordinate.
export function moons(n, seed) {
  const r = randomSource(seed);
  const out = [];
  for (let i = 0; i < n; i++) {
    const a = Math.PI * r.uniform();
    const [x, y] = r.uniform() < 0.5 ? [Math.cos(a), Math.sin(a)] : [1 - Math.cos(a), 0.5 - Math.sin(a)];
    out.push([x + 0.05 * r.normal(), y + 0.05 * r.normal()]);
  }
  return out;
}

// n points of N(mean, diag(std^2)) per coordinate: the best a model that learned only the first two
// moments could do.
export function gaussianLike(points, n, seed) {
  const r = randomSource(seed);
  const mean = [0, 1].map((d) => points.reduce((s, p) => s + p[d], 0) / points.length);
  const std = [0, 1].map((d) => Math.sqrt(points.reduce((s, p) => s + (p[d] - mean[d]) ** 2, 0) / points.length));
  return Array.from({ length: n }, () => [mean[0] + std[0] * r.normal(), mean[1] + std[1] * r.normal()]);
}

// The energy distance's unbiased U-statistic: 2 E|X - Y| - E|X - X'| - E|Y - Y'| (Szekely-Rizzo).
export function energyDistance(x, y) {
  const mean = (a, b, same) => {
    let sum = 0;
    for (let i = 0; i < a.length; i++) {
      for (let j = same ? i + 1 : 0; j < b.length; j++) sum += Math.hypot(a[i][0] - b[j][0], a[i][1] - b[j][1]);
    }
    return sum / (same ? (a.length * (a.length - 1)) / 2 : a.length * b.length);
  };
  return 2 * mean(x, y, false) - mean(x, x, true) - mean(y, y, true);
}

// Every visible figure (the other kind of data's are hidden: points or images).
export async function screenshotFigures(page, prefix) {
  const figures = await page.$$('figure');
  let i = 0;
  for (const figure of figures) {
    if (!(await figure.isVisible())) continue;
    const title = (await figure.$eval('figcaption b', (b) => b.textContent).catch(() => `figure ${i}`))
      .toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
    await figure.scrollIntoViewIfNeeded();
    await figure.screenshot({ path: path.join(resultsDir, `${prefix}-${String(i).padStart(2, '0')}-${title}.png`) });
    i += 1;
  }
  return i;
}

// The project's digit classifier, run in WebAssembly from the page's own assets (web/dist/data):
// judge(images (flat, data units), labels (the classes asked for)) -> { agreement, frechet,
// baselineFrechet } against the first 148 held-out digits, as the page's quality chart measures.
export async function digitsJudge() {
  const { loadDiffuse } = await import('../wasm/load_module.mjs');
  const { gunzipSync } = await import('node:zlib');
  const { readFileSync } = await import('node:fs');
  const diffuse = await loadDiffuse();
  const asset = (name) => new Uint8Array(readFileSync(path.join(repoRoot, 'web', 'dist', 'data', name)));
  const loaded = diffuse.imageDataLoad('digits', new Uint8Array(gunzipSync(asset('digits-images-idx3-ubyte.gz'))),
    new Uint8Array(gunzipSync(asset('digits-labels-idx1-ubyte.gz'))));
  if (!loaded.ok) throw new Error(loaded.error);
  const created = diffuse.classifierLoad(asset('digits-classifier.safetensors'), 'digits-classifier.safetensors');
  if (!created.ok) throw new Error(created.error);
  return (data, labels) => {
    const q = created.classifier.quality(Float32Array.from(data), Int32Array.from(labels), loaded.images, 148);
    if (!q.ok) throw new Error(q.error);
    return q;
  };
}
