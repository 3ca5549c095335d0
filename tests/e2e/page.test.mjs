// The page loads cleanly, offers the test hooks, keeps its settings in the URL, and tells a browser
// without WebAssembly SIMD what is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { openPage, resultsDir, state, waitReady } from './helpers.mjs';

const statusMatches = (page, pattern) => page.waitForFunction(
  (source) => new RegExp(source).test(document.querySelector('[data-testid=status]').textContent), pattern.source,
  { timeout: 60000 });

test('loads with no console errors, every test hook present, ready to train', { timeout: 120000 }, async () => {
  const { page, problems, close } = await openPage();
  try {
    await waitReady(page);
    for (const id of ['dataset', 'train', 'sample', 'steps', 'loss', 'status', 'checkpoint-download', 'checkpoint-upload']) {
      assert.equal(await page.locator(`[data-testid=${id}]`).count(), 1, id);
    }
    const options = await page.$$eval('[data-testid=dataset] option', (os) => os.map((o) => o.value));
    for (const name of ['moons', 'circles', 'gaussians8', 'gaussians25', 'swissroll', 'checkerboard', 'spirals']) {
      assert.ok(options.includes(name), name);
    }
    const s = await state(page);
    assert.equal(s.step, 0);
    assert.equal(s.settings.dataset, 'moons');
    assert.equal(s.settings.hidden, 128);
    assert.equal(Number(await page.textContent('[data-testid=steps]')), 0);
    assert.match(await page.textContent('[data-testid=status]'), /ready/);
    await page.waitForTimeout(1500);  // let the first preview and plots finish
    assert.deepEqual(problems, []);
    await page.screenshot({ path: path.join(resultsDir, 'page-initial.png'), fullPage: true });
  } finally {
    await close();
  }
});

test('settings round-trip through the URL hash; a bad entry is reported, not fatal', { timeout: 120000 }, async () => {
  const { page, problems, close } = await openPage({ hash: '#dataset=circles&hidden=64&lr=0.003&zeroSnr=false&bogus=1' });
  try {
    await waitReady(page);
    const s = await state(page);
    assert.equal(s.settings.dataset, 'circles');
    assert.equal(s.settings.hidden, 64);
    assert.equal(s.settings.lr, 0.003);
    assert.match(await page.textContent('[data-testid=status]'), /ready/);
    // changing a control writes the hash: only settings that differ from the defaults
    await page.selectOption('[data-testid=dataset]', 'spirals');
    await page.waitForFunction(() => location.hash.includes('dataset=spirals'));
    const hash = await page.evaluate(() => location.hash);
    assert.match(hash, /hidden=64/);
    assert.match(hash, /lr=0.003/);
    assert.doesNotMatch(hash, /zeroSnr|bogus|batch/);
    // and the new data set starts a new run
    await page.waitForFunction(() => /ready: spirals/.test(document.querySelector('[data-testid=status]').textContent));
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

test('an invalid combination shows an error in status and the page keeps working', { timeout: 120000 }, async () => {
  const { page, close } = await openPage();
  try {
    await waitReady(page);
    await page.check('#setting-zeroSnr');  // eps prediction cannot work with zero terminal SNR
    await page.waitForFunction(() => /zero terminal SNR/.test(document.querySelector('[data-testid=status]').textContent));
    assert.match(await page.getAttribute('[data-testid=status]', 'class'), /error/);
    await page.selectOption('#setting-prediction', 'v');  // the remedy the message names
    await page.waitForFunction(() => /ready/.test(document.querySelector('[data-testid=status]').textContent));
    await page.click('#step');
    await page.waitForFunction(() => window.diffuse.state().step === 1);
  } finally {
    await close();
  }
});

test('without WebAssembly SIMD the page says so clearly', { timeout: 60000 }, async () => {
  const init = () => {
    const validate = WebAssembly.validate.bind(WebAssembly);
    WebAssembly.validate = (bytes) => (bytes.length < 40 ? false : validate(bytes));
  };
  const { page, close } = await openPage({ init });
  try {
    await page.waitForSelector('#unsupported:not([hidden])');
    assert.match(await page.textContent('#unsupported'), /WebAssembly SIMD/);
    assert.match(await page.textContent('[data-testid=status]'), /unsupported/);
  } finally {
    await close();
  }
});

test('your own data: drawn points and a CSV file each start a run on them', { timeout: 120000 }, async () => {
  const { page, problems, close } = await openPage({ hash: '#hidden=32' });
  try {
    await waitReady(page);
    await page.click('#draw');
    const box = await page.locator('#plot-data').boundingBox();
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.3);
    await page.mouse.down();
    for (let i = 0; i <= 20; i++) await page.mouse.move(box.x + box.width * (0.3 + 0.02 * i), box.y + box.height * (0.3 + 0.015 * i));
    await page.mouse.up();
    await statusMatches(page, /ready: drawn/);
    assert.equal((await state(page)).settings.dataset, 'custom');
    await page.screenshot({ path: path.join(resultsDir, 'page-drawn.png') });
    await page.click('#draw');  // done drawing: the data plot shows the run's data again

    const csv = path.join(resultsDir, 'ring.csv');
    const lines = ['x,y'];
    for (let i = 0; i < 200; i++) lines.push(`${Math.cos(i / 10).toFixed(4)},${Math.sin(i / 10).toFixed(4)}`);
    writeFileSync(csv, lines.join('\n'));
    await page.setInputFiles('#csv', csv);
    await statusMatches(page, /ready: ring\.csv/);
    assert.match(await page.textContent('#data-caption'), /200 points/);
    await page.click('#step');
    await page.waitForFunction(() => window.diffuse.state().step === 1);
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});
