// Training in the page with every setting that shapes the run at its default (the model of
// docs/reference-workload.md, batch 256, 10,000 planned steps on moons): the loss falls, and after
// the number of steps the page reaches in about 10 seconds on the reference machine, the samples
// land near the data. Then every panel is exercised (sampling, the quality sweep, the ELBO) and
// screenshotted to test-results/ for inspection.
//
// Why this step count. "Pressing Train on moons produces good samples within 10 seconds":
// bench/browser_bench.mjs measures that on this machine (fresh default page, Train, Sample 10 s
// later; docs/benchmarks.md "Browser"). A test cannot assert a wall-clock time on a shared
// machine, so this one trains to a fixed step, STEPS, the count those 10 seconds reached (the
// median of the benchmark's repetitions, 911, at load averages of 3 to 6.5 on the 2 vCPUs; rounded
// down), and asserts the quality there. The run keeps the default 10,000-step cosine learning-rate
// schedule, as the user's run does: the test pauses near STEPS and steps up to it exactly
// (helpers.mjs trainTo), and training is deterministic, so the weights are those of the default
// run at step STEPS whatever the machine's speed. On a quieter machine 10 s reach further, but the
// quality hardly changes from here: D^2 / D^2(G) = 0.32, 0.27, 0.24, 0.23, 0.21, 0.24 and 0.25
// after 500, 700, 900, 1,000, 1,200, 1,500 and 2,000 steps (these samples, this reference set).
//
// The sample-quality bound. The energy distance D^2(P, Q) = 2E|X - Y| - E|X - X'| - E|Y - Y'| is 0
// only for P = Q. Its reference point here is G, the Gaussian with the data's mean and per-coordinate
// standard deviation: exactly where the samples start (x_T ~ N(0, I) in the normalized space), and the
// best any model that learned only the first two moments could do. For moons, D^2(G, data) is about
// 0.028. The test requires D^2(samples, fresh data) < 0.5 D^2(G, fresh data): the model must have
// closed more than half of the gap between its starting noise and the data. The estimator's own
// noise for 2,000 against 2,000 points is about 0.001 (D^2 of two independent moons samples), far
// below the bound. At STEPS the samples score 0.0068 (0.24 of G's 0.0285); the loss of the last
// batch is 0.24, from about 1.0 at the start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { energyDistance, gaussianLike, moons, openPage, resultsDir, sampleAndWait, screenshotFigures, state,
  trainTo, waitReady } from './helpers.mjs';

// The step the page reaches 10 s after Train on the reference machine (see above).
const STEPS = 900;
// The defaults (DDIM, 50 steps, 2,000 points, EMA weights) for the samples; small quality-sweep and
// ELBO panels to keep the test short.
const HASH = '#elboN=32&qualityN=100';

test('training moons lowers the loss; samples land near the data; every panel renders', { timeout: 30 * 60000 }, async () => {
  const { page, problems, close } = await openPage({ hash: HASH });
  try {
    await waitReady(page);
    // The first ten losses, one Step at a time: the model as initialized (the warm-up's learning
    // rate is still below 1e-4), at about 1. Training is deterministic, so these are fixed numbers.
    const early = [];
    for (let i = 1; i <= 10; i++) {
      await page.click('#step');
      await page.waitForFunction((s) => window.diffuse.state().step >= s && !window.diffuse.state().running, i, { polling: 20 });
      early.push((await state(page)).loss);
    }
    await page.click('[data-testid=train]');
    assert.match(await page.textContent('[data-testid=status]'), /^training from step 10$/);
    await page.waitForFunction(() => window.diffuse.state().step >= 100);
    await page.screenshot({ path: path.join(resultsDir, 'train-running.png') });
    assert.equal(await trainTo(page, STEPS), STEPS);
    const finalState = await state(page);
    assert.equal(finalState.step, STEPS);
    assert.equal(Number(await page.textContent('[data-testid=steps]')), STEPS);
    assert.ok(Number.isFinite(Number(await page.textContent('[data-testid=loss]'))));
    const mean = (a) => a.reduce((s, x) => s + x, 0) / a.length;
    console.log(`loss: early ${mean(early).toFixed(3)}, at step ${STEPS} ${finalState.loss.toFixed(3)}; ` +
      `${finalState.stepsPerSec.toFixed(1)} steps/s; memory ${(finalState.memoryBytes / 2 ** 20).toFixed(1)} MiB`);
    assert.ok(finalState.loss < 0.6 * mean(early), `the loss did not fall: ${mean(early)} -> ${finalState.loss}`);
    assert.ok(finalState.memoryBytes < 64 * 2 ** 20);

    const samples = await sampleAndWait(page, 10 * 60000);
    assert.equal(samples.length, 2000);
    const data = moons(2000, 7);
    const dSamples = energyDistance(samples, data);
    const dGaussian = energyDistance(gaussianLike(data, 2000, 8), data);
    const dNoise = energyDistance(moons(2000, 9), data);
    console.log(`energy distance to fresh moons: samples ${dSamples.toFixed(5)}, Gaussian ${dGaussian.toFixed(5)}, ` +
      `fresh moons ${dNoise.toFixed(5)} (bound ${(0.5 * dGaussian).toFixed(5)})`);
    assert.ok(dSamples < 0.5 * dGaussian, `samples too far from the data: ${dSamples} vs bound ${0.5 * dGaussian}`);

    // The other panels: the quality sweep and the ELBO (small, to keep the test short), the field.
    await page.click('#quality');
    await page.waitForSelector('#quality-progress', { state: 'hidden', timeout: 10 * 60000 });
    await page.click('#elbo');
    await page.waitForSelector('#elbo-progress', { state: 'hidden', timeout: 10 * 60000 });
    assert.match(await page.textContent('#elbo-note'), /nats per point/);
    await page.$eval('#setting-fieldT', (el) => {
      el.value = '50';
      el.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await page.waitForTimeout(1000);
    const shots = await screenshotFigures(page, 'panel');
    assert.ok(shots >= 14, `${shots} panels`);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(resultsDir, 'train-done-full.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(500);
    await page.screenshot({ path: path.join(resultsDir, 'train-done-phone.png'), fullPage: true });
    // Readable on a phone: nothing makes the page wider than the screen (no sideways scrolling).
    const pageWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(pageWidth <= 390, `the page is ${pageWidth} px wide on a 390 px screen`);
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});
