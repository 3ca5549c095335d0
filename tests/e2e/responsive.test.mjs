// The page stays responsive while the worker trains (the default model, batch 256) and while it
// samples: a click's handler runs within a few milliseconds of the click, because nothing heavy
// runs on the main thread. Reported: the median and worst delay from the click being sent to its
// handler running, and how long Pause takes to stop training. Fails only past a generous 1 s.
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
      window.__clicks.push({ delay: performance.now() - e.timeStamp, at: Date.now() });
    });
  }, selector);
  const delays = [], trips = [];
  for (let i = 0; i < count; i++) {
    const sent = Date.now();
    await page.click(selector);
    await page.waitForFunction((n) => window.__clicks.length > n, i);
    const click = await page.evaluate((n) => window.__clicks[n], i);
    delays.push(click.delay);
    trips.push(click.at - sent);
    await page.waitForTimeout(100);
  }
  const summary = (a) => {
    a.sort((x, y) => x - y);
    return { median: Math.round(a[a.length >> 1]), worst: Math.round(a[a.length - 1]) };
  };
  return { handler: summary(delays), roundTrip: summary(trips) };
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
    assert.ok(training.roundTrip.worst < 1000, `a click took ${training.roundTrip.worst} ms`);

    await page.click('[data-testid=sample]');  // 10,000 points, sliced in the worker, alongside training
    await page.waitForSelector('#sample-progress:not([hidden])');
    const sampling = await clickDelays(page, 'details summary', 12);
    console.log(`while training and sampling 10,000 points: ${describe(sampling)}`);
    assert.ok(sampling.roundTrip.worst < 1000, `a click took ${sampling.roundTrip.worst} ms`);

    const before = Date.now();
    await page.click('[data-testid=train]');
    await page.waitForFunction(() => !window.diffuse.state().running, null, { timeout: 30000 });
    const pause = Date.now() - before;
    const stepAtPause = (await state(page)).step;
    await page.waitForTimeout(1000);
    console.log(`Pause stopped training after ${pause} ms (the worker finishes its current slice)`);
    assert.equal((await state(page)).step, stepAtPause, 'training went on after Pause');
    assert.ok(pause < 5000);
    await page.click('#sample-cancel');
    await page.waitForSelector('#sample-progress', { state: 'hidden', timeout: 30000 });
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});
