// The page's samplers (issue 13): every sampler of the core in the sampler control, Karras sigmas
// only where offered, the spacing's 'sampler default', Heun's model calls beside the steps, the
// URL keeping them (a link asking for Karras sigmas with a sampler that has none is rolled back and
// says so), and the quality chart measuring every sampler against model calls, with how long the
// whole chart takes for moons at the page's defaults.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { openPage, resultsDir, sampleAndWait, state, trainTo, waitReady } from './helpers.mjs';

const SAMPLERS = ['ddpm', 'ddim', 'euler', 'euler_a', 'heun', 'dpmpp_2m', 'dpmpp_2m_sde', 'unipc'];
const NAMES = ['DDPM', 'DDIM', 'Euler', 'Euler ancestral', 'Heun', 'DPM-Solver++ 2M', 'DPM-Solver++ 2M SDE', 'UniPC'];
const BUDGETS = [5, 10, 20, 50, 100, 1000];  // the page's (web/src/main.js)
const TRAIN_STEPS = 2000;

const statusText = (page) => page.textContent('[data-testid=status]');
const disabled = (page, id) => page.$eval(`[data-testid=${id}]`, (e) => e.disabled);

test('a link with Karras sigmas for a sampler without them rolls back and says so', { timeout: 120000 }, async () => {
  const { page, problems, close } = await openPage({ hash: '#sampler=ddim&karras=true&samplerSteps=20' });
  try {
    await waitReady(page);
    const s = (await state(page)).settings;
    assert.deepEqual([s.sampler, s.karras, s.samplerSteps], ['ddim', false, 20]);
    assert.match(await statusText(page),
      /Ignored from the link: karras = true does not apply to sampler ddim \(Karras sigmas: euler, heun, dpmpp_2m, dpmpp_2m_sde, unipc\)/);
    assert.equal(await disabled(page, 'karras'), true);
    // an edited address is told the same way, and rolled back in the address too
    await page.evaluate(() => { location.hash = '#sampler=euler_a&karras=true'; });
    await page.waitForFunction(() => /Ignored from the address: karras = true does not apply to sampler euler_a/
      .test(document.querySelector('[data-testid=status]').textContent));
    assert.equal((await state(page)).settings.sampler, 'euler_a');
    assert.equal((await state(page)).settings.karras, false);
    assert.equal(await page.evaluate(() => location.hash), '#sampler=euler_a');
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

test('dpmpp_2m with Karras sigmas samples; the quality chart measures every sampler against model calls',
  { timeout: 15 * 60000 }, async () => {
    const { page, problems, close } = await openPage();
    try {
      await waitReady(page);
      // every sampler, named as diffusers names the schedulers, from the core
      const options = await page.$$eval('[data-testid=sampler] option', (os) => os.map((o) => [o.value, o.textContent]));
      assert.deepEqual(options, SAMPLERS.map((v, i) => [v, NAMES[i]]));
      assert.equal((await state(page)).settings.sampler, 'ddim');  // the page's default for points
      assert.equal(await disabled(page, 'karras'), true);
      assert.equal(await page.$eval('[data-testid=spacing]', (o) => o.title), 'default: the sampler\'s own (trailing for DDIM)');
      await page.selectOption('[data-testid=sampler]', 'heun');
      // Heun's steps say their model calls (2N - 1; the default 50 steps: 99)
      assert.deepEqual(await page.$$eval('[data-testid=sampler-steps] option', (os) => os.map((o) => o.textContent)),
        ['default (99 calls)', '5 (9 calls)', '10 (19 calls)', '20 (39 calls)', '50 (99 calls)', '100 (199 calls)',
          '250 (499 calls)', '1000 (1999 calls)']);
      await page.selectOption('[data-testid=sampler]', 'dpmpp_2m');
      assert.equal(await disabled(page, 'karras'), false);
      assert.equal(await page.$eval('[data-testid=spacing]', (o) => o.title),
        'default: the sampler\'s own (linspace for DPM-Solver++ 2M)');
      assert.equal(await page.$eval('[data-testid=sampler-steps] option[value="10"]', (o) => o.textContent), '10');
      await page.check('[data-testid=karras]');
      await page.selectOption('[data-testid=sampler-steps]', '10');
      assert.equal(await page.evaluate(() => location.hash), '#sampler=dpmpp_2m&samplerSteps=10&karras=true');

      assert.equal(await trainTo(page, TRAIN_STEPS), TRAIN_STEPS);
      const samples = await sampleAndWait(page, 120000);
      assert.equal(samples.length, 2000);
      assert.ok(samples.every(([x, y]) => Number.isFinite(x) && Number.isFinite(y)));
      assert.match(await page.textContent('#samples-caption'),
        /^2,000 points, DPM-Solver\+\+ 2M, 10 linspace steps, Karras sigmas, EMA weights, seed 0, /);

      // The quality chart: every sampler at every budget of model calls, timed.
      await page.click('#quality');
      await page.waitForFunction(() => window.diffuse.state().qualityDone, null, { timeout: 10 * 60000, polling: 500 });
      const { quality, qualityDone } = await state(page);
      console.log(`quality chart, moons at the page's defaults (${quality.length} points, 400 samples each, ` +
        `budgets ${BUDGETS.join(', ')}): ${(qualityDone.elapsedMs / 1000).toFixed(1)} s`);
      assert.deepEqual(qualityDone.skipped, []);
      for (const sampler of SAMPLERS) {
        const mine = quality.filter((p) => p.sampler === sampler);
        assert.deepEqual(mine.map((p) => p.calls), sampler === 'heun' ? [5, 9, 19, 49, 99, 999] : BUDGETS, sampler);
        assert.deepEqual(mine.map((p) => p.steps), sampler === 'heun' ? [3, 5, 10, 25, 50, 500] : BUDGETS, sampler);
        assert.ok(mine.every((p) => p.metric === 'energy' && Number.isFinite(p.value)), sampler);
      }
      // a trained model: every sampler's samples at 50 calls or more are close to the data
      for (const p of quality.filter((q) => q.calls >= 49)) assert.ok(p.value < 0.05, `${p.sampler} ${p.calls}: ${p.value}`);
      const made = await page.textContent('[data-testid=quality-made]');
      assert.match(made, /energy distance of 400 samples per point to 2,000 training points \(data vs data: 10 other sets of 400 /);
      assert.match(made, /Karras sigmas \(Euler, Heun, DPM-Solver\+\+ 2M, DPM-Solver\+\+ 2M SDE, UniPC\)/);
      assert.doesNotMatch(made, /Not measured/);

      await page.locator('[data-testid=panel-quality]').scrollIntoViewIfNeeded();
      await page.locator('[data-testid=panel-quality]').evaluate((e) => e.closest('figure').scrollIntoView({ block: 'center' }));
      await page.waitForTimeout(300);
      await page.screenshot({ path: path.join(resultsDir, 'samplers-quality-1280x800.png') });
      await page.locator('[data-testid=panel-quality]').screenshot({ path: path.join(resultsDir, 'samplers-quality-chart.png') });
      await page.locator('[data-testid=panel-quality]').evaluate((e) => e.closest('section').scrollIntoView());
      await page.waitForTimeout(300);
      await page.screenshot({ path: path.join(resultsDir, 'samplers-section-1280x800.png') });
      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForTimeout(300);
      await page.locator('[data-testid=panel-quality]').screenshot({ path: path.join(resultsDir, 'samplers-quality-chart-phone.png') });
      await page.setViewportSize({ width: 1280, height: 800 });
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });
