// The page stays responsive while the worker trains (the default model, batch 256) and while it
// samples: every click's handler runs while the work is still going on (the main thread is not
// waiting for it), Pause stops training, and Cancel stops sampling. Reported, not asserted (tests
// assert no wall-clock bound: a loaded machine would make them flake): the median and worst delay
// from the click to its handler, and how long Pause takes to stop training.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, state, waitForStep, waitReady } from './helpers.mjs';

// Clicks `selector` count times; for each, the delay from the browser receiving the click (the
// event's timeStamp) to its handler running on the main thread, and the round trip from the test's
// click to the handler having run (CDP and actionability checks included).
async function clickDelays(page, selector, count) {
  await page.evaluate((sel) => {
    window.__clicks = [];
    if (window.__clickHooked) return;
    window.__clickHooked = true;
    document.querySelector(sel).addEventListener('click', (e) => {
      const s = window.diffuse.state();
      window.__clicks.push({ delay: performance.now() - e.timeStamp, at: Date.now(), running: s.running,
                             sampling: !document.querySelector('#sample-progress').hidden });
    });
  }, selector);
  const delays = [], trips = [], during = [];
  for (let i = 0; i < count; i++) {
    const sent = Date.now();
    await page.click(selector);
    await page.waitForFunction((n) => window.__clicks.length > n, i);
    const click = await page.evaluate((n) => window.__clicks[n], i);
    delays.push(click.delay);
    trips.push(click.at - sent);
    during.push(click);
    await page.waitForTimeout(100);
  }
  const summary = (a) => {
    a.sort((x, y) => x - y);
    return { median: Math.round(a[a.length >> 1]), worst: Math.round(a[a.length - 1]) };
  };
  return { handler: summary(delays), roundTrip: summary(trips), during };
}

const describe = (d) => `input to handler ${d.handler.median} ms median, ${d.handler.worst} ms worst; ` +
  `test click to handler ${d.roundTrip.median} ms median, ${d.roundTrip.worst} ms worst`;

test('clicks are handled promptly while training and sampling run', { timeout: 15 * 60000 }, async () => {
  // DDPM (1,000 steps over 10,000 points, about a minute in the worker): long enough that the
  // sampling is still running when the test stops it at the end (DDIM-50 can finish first).
  const { page, problems, close } = await openPage({ hash: '#sampleN=10000&sampler=ddpm' });
  try {
    await waitReady(page);
    await page.click('[data-testid=train]');
    await waitForStep(page, 3, 5 * 60000);
    const training = await clickDelays(page, 'details summary', 12);
    console.log(`while training: ${describe(training)}`);
    assert.ok(training.during.every((c) => c.running), 'a click was handled only after training stopped');

    await page.click('[data-testid=sample]');  // 10,000 points, sliced in the worker, alongside training
    await page.waitForSelector('#sample-progress:not([hidden])');
    const sampling = await clickDelays(page, 'details summary', 12);
    console.log(`while training and sampling 10,000 points: ${describe(sampling)}`);
    assert.ok(sampling.during.every((c) => c.running && c.sampling),
              'a click was handled only after training or sampling stopped');

    const before = Date.now();
    await page.click('[data-testid=train]');
    await page.waitForFunction(() => !window.diffuse.state().running, null, { timeout: 30000 });
    const pause = Date.now() - before;
    const stepAtPause = (await state(page)).step;
    await page.waitForTimeout(1000);
    console.log(`Pause stopped training after ${pause} ms (the worker finishes its current slice)`);
    assert.equal((await state(page)).step, stepAtPause, 'training went on after Pause');
    await page.click('#sample-cancel');
    await page.waitForSelector('#sample-progress', { state: 'hidden', timeout: 30000 });
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

test('digits: while the U-Net trains and samples, a live setting applies and Pause stops training', { timeout: 15 * 60000 }, async () => {
  // One U-Net step at batch 64 is one unit of the worker's work (tens of ms here; issue 12 asks that
  // Pause and setting changes take effect within 0.5 s): reported, with the sampling of 500 images
  // (units of 32 images a step) running alongside.
  const { page, problems, close } = await openPage({ hash: '#dataset=digits&imageN=500' });
  try {
    await waitReady(page);
    await page.click('[data-testid=train]');
    await waitForStep(page, 3, 5 * 60000);
    await page.click('[data-testid=sample]');
    await page.waitForSelector('#sample-progress:not([hidden])');
    const clicks = await clickDelays(page, 'details summary', 8);
    console.log(`digits, while training and sampling 500 images: ${describe(clicks)}`);
    assert.ok(clicks.during.every((c) => c.running && c.sampling), 'a click was handled only after the work stopped');

    const changed = Date.now();
    await page.selectOption('#setting-lr', '0.001');
    await page.waitForFunction(() => /applied live .*: lr/.test(document.querySelector('[data-testid=status]').textContent),
      null, { timeout: 30000, polling: 10 });
    console.log(`a learning-rate change was applied ${Date.now() - changed} ms after the click`);

    const before = Date.now();
    await page.click('[data-testid=train]');
    await page.waitForFunction(() => !window.diffuse.state().running, null, { timeout: 30000, polling: 10 });
    console.log(`Pause stopped the U-Net's training after ${Date.now() - before} ms`);
    const stepAtPause = (await state(page)).step;
    await page.waitForTimeout(1000);
    assert.equal((await state(page)).step, stepAtPause, 'training went on after Pause');
    await page.click('#sample-cancel');
    await page.waitForSelector('#sample-progress', { state: 'hidden', timeout: 30000 });
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});
