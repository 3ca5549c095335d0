// The page's two WebAssembly modules (docs/threads.md): the threaded one (-pthread,
// SharedArrayBuffer) where the page is cross-origin isolated, the single-thread one elsewhere, and
// the same bits from both. The server of helpers.mjs sends COOP/COEP (scripts/serve.mjs); a server
// without them stands for a static host (GitHub Pages), where coi-serviceworker makes the page
// isolated after one reload, or, with the shim told not to register, the page falls back to the
// single-thread module.
//
// Same bits: core splits work into fixed chunks reduced in a fixed order whatever the executor
// (core/base/executor.hpp), so a run trained and sampled on 2 threads must equal, float for float,
// the run of the single-thread module (and of the threaded module on 1 thread). The runs here use
// batches large enough for core to split (1024 points; 32 digits through the U-Net) and sample with
// the executor too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startServer } from '../../scripts/serve.mjs';
import { openPage, repoRoot, state, waitReady } from './helpers.mjs';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];

// Trains `steps` (a multiple of 100) with Shift+Step, samples, and returns the loss and samples.
async function trainAndSample(page, steps) {
  for (let step = 100; step <= steps; step += 100) {
    await page.click('#step', { modifiers: ['Shift'] });
    await page.waitForFunction((s) => window.diffuse.state().step >= s && !window.diffuse.state().running, step,
      { timeout: 10 * 60000, polling: 20 });
  }
  const { step, loss, samplings } = await state(page);
  await page.click('[data-testid=sample]');
  await page.waitForFunction((b) => window.diffuse.state().samplings > b, samplings, { timeout: 10 * 60000, polling: 50 });
  return { step, loss, samples: await page.evaluate(() => window.diffuse.samples()) };
}

// One page per query: its build and its run of `hash`.
async function runWith(query, hash, steps) {
  const { page, problems, close } = await openPage({ hash: `${query}${hash}` });
  try {
    await waitReady(page, 120000).catch(async (error) => {
      throw new Error(`${query}: ${error.message}; status: ${await page.textContent('[data-testid=status]')}; problems: ${problems.join(' / ')}`);
    });
    const build = await page.evaluate(() => window.diffuse.build());
    const shown = await page.textContent('[data-testid=wasm-build]');
    const result = await trainAndSample(page, steps);
    assert.deepEqual(problems, []);
    return { build, shown, ...result };
  } finally {
    await close();
  }
}

test('2D: the threaded module on 2 threads trains and samples exactly as the single-thread module', { timeout: 30 * 60000 }, async () => {
  const hash = '#batch=1024&sampler=ddpm&samplerSteps=100&sampleN=1000';
  const single = await runWith('?build=single', hash, 200);
  const two = await runWith('?threads=2', hash, 200);
  const one = await runWith('?threads=1', hash, 200);
  assert.deepEqual(single.build, { threaded: false, threads: 1 });
  assert.equal(single.shown, 'single-thread');
  assert.deepEqual(two.build, { threaded: true, threads: 2 });
  assert.equal(two.shown, 'threaded (2 threads)');
  assert.deepEqual(one.build, { threaded: true, threads: 1 });
  assert.equal(single.step, 200);
  assert.ok(Number.isFinite(single.loss));
  assert.equal(single.samples.length, 1000);
  for (const other of [two, one]) {
    assert.equal(other.step, single.step);
    assert.equal(other.loss, single.loss);
    assert.deepEqual(other.samples, single.samples);  // every float equal
  }
});

test('digits: the U-Net trains and samples exactly alike on 2 threads and on the single-thread module', { timeout: 30 * 60000 }, async () => {
  const hash = '#dataset=digits&batch=32&samplerSteps=10&imageN=10';
  const single = await runWith('?build=single', hash, 100);
  const two = await runWith('?threads=2', hash, 100);
  assert.deepEqual(two.build, { threaded: true, threads: 2 });
  assert.equal(two.loss, single.loss);
  assert.equal(single.samples.data.length, 10 * 64);
  assert.deepEqual(two.samples, single.samples);
});

// Regression: Emscripten 3.1.6 cannot catch native wasm exceptions in a -pthread build (every
// C++ exception escaped to JavaScript as a WebAssembly.Exception, so a bad checkpoint read
// "cannot load this checkpoint: [object WebAssembly.Exception]"); the threaded module uses
// Emscripten's JavaScript exceptions instead. Both modules, loaded in the page itself, must turn
// a C++ error into { ok: false, error } naming it.
test('both modules turn a C++ error into an error result (the threaded module catches exceptions)', { timeout: 5 * 60000 }, async () => {
  const { page, problems, close } = await openPage({ hash: '?build=single' });
  try {
    await waitReady(page, 120000);
    for (const name of ['diffuse', 'diffuse-threads']) {
      const result = await page.evaluate(async (file) => {
        const { default: create } = await import(`./wasm/${file}.mjs`);
        const module = await create({ pthreadPoolSize: 1 });
        try {
          const load = module.checkpointLoad(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]), 'bad.safetensors');
          const set = module.setThreads(0);
          return { load: { ok: load.ok, error: load.error }, set: { ok: set.ok, error: set.error } };
        } catch (error) {
          return { threw: String(error) };
        }
      }, name);
      assert.equal(result.threw, undefined, `${name}: a C++ exception escaped: ${result.threw}`);
      assert.equal(result.load.ok, false);
      assert.match(result.load.error, /^bad\.safetensors: /, name);
      assert.equal(result.set.ok, false);
      assert.match(result.set.error, /^setThreads\(n\): n = 0 is invalid/, name);
    }
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

// A static host without the headers: `isolate: false`.
async function openStatic(init) {
  const server = await startServer({ dir: path.join(repoRoot, 'web', 'dist'), listenPort: 0, isolate: false });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  if (init) await page.addInitScript(init);
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  const close = async () => {
    await browser.close();
    await new Promise((resolve) => server.close(resolve));
  };
  return { page, problems, close };
}

// The page's build once it is ready, across the shim's reload (which destroys the page's context).
async function buildWhenReady(page) {
  for (let tries = 0; tries < 600; tries++) {
    try {
      const build = await page.evaluate(() => (window.diffuse?.state().ready ? {
        isolated: self.crossOriginIsolated, build: window.diffuse.build(),
        controlled: Boolean(navigator.serviceWorker?.controller) } : null));
      if (build) return build;
    } catch {}  // the reload
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('the page never became ready');
}

test('without COOP/COEP headers the page runs the single-thread module and says so', { timeout: 5 * 60000 }, async () => {
  const { page, problems, close } = await openStatic(() => { window.coi = { shouldRegister: () => false }; });
  try {
    const { isolated, build } = await buildWhenReady(page);
    assert.equal(isolated, false);
    assert.deepEqual(build, { threaded: false, threads: 1 });
    assert.equal(await page.textContent('[data-testid=wasm-build]'), 'single-thread');
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

test('without COOP/COEP headers coi-serviceworker isolates the page, which then runs threaded', { timeout: 5 * 60000 }, async () => {
  const { page, problems, close } = await openStatic();
  try {
    let seen = await buildWhenReady(page);
    // The first load may become ready before the service worker has reloaded it: wait for the reload.
    for (let tries = 0; !seen.isolated && tries < 100; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      seen = await buildWhenReady(page);
    }
    assert.equal(seen.isolated, true);
    assert.equal(seen.controlled, true);
    assert.equal(seen.build.threaded, true);
    assert.ok(seen.build.threads >= 1);
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});
