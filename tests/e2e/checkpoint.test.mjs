// Checkpoints between the page and the native CLI, both ways, and a corrupt upload.
//
// Native side: `diffuse train` / `diffuse sample` (the CLI's commands, landing on another branch);
// until they exist, tests/tools/checkpoint_tool does the same through the core's checkpoint
// reader and writer, and the test says which one it used.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { checkpointTool, cliHas, energyDistance, gaussianLike, moons, nativeBinary, openPage, resultsDir,
  sampleAndWait, state, waitForStep, waitReady } from './helpers.mjs';

const haveCli = cliHas('train') && cliHas('sample');
const haveNative = haveCli || existsSync(checkpointTool);
const native = haveCli ? `the CLI (${nativeBinary})` : `checkpoint_tool (the CLI has no train/sample yet)`;

const statusText = (page) => page.textContent('[data-testid=status]');

test('a corrupt upload shows an error in status and the page keeps working', { timeout: 300000 }, async () => {
  const { page, problems, close } = await openPage({ hash: '#hidden=32&batch=64' });
  try {
    await waitReady(page);
    const file = path.join(resultsDir, 'corrupt.safetensors');
    writeFileSync(file, Buffer.from('this is not a safetensors file at all, just text'));
    await page.setInputFiles('[data-testid=checkpoint-upload]', file);
    await page.waitForSelector('[data-testid=status].error');
    assert.match(await statusText(page), /corrupt\.safetensors/);
    console.log(`status after a corrupt upload: ${await statusText(page)}`);
    // The run is untouched: it trains on.
    await page.click('#step');
    await waitForStep(page, 1, 60000);
    await page.click('[data-testid=train]');
    await waitForStep(page, 20, 120000);
    await page.click('[data-testid=train]');
    assert.deepEqual(problems.filter((p) => !/corrupt/.test(p)), []);
  } finally {
    await close();
  }
});

test(`a page checkpoint samples natively (${native})`, { timeout: 20 * 60000, skip: !haveNative && 'no native build' }, async () => {
  const { page, close } = await openPage({ hash: '#hidden=64&batch=128&steps=1500&sampler=ddim&sampleN=1000' });
  try {
    await waitReady(page);
    await page.click('[data-testid=train]');
    await waitForStep(page, 1500, 15 * 60000);
    const pageSamples = await sampleAndWait(page, 5 * 60000);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=checkpoint-download]')]);
    const file = path.join(resultsDir, 'page.safetensors');
    await download.saveAs(file);
    assert.match(download.suggestedFilename(), /^diffuse-moons-step1500\.safetensors$/);

    let nativeSamples;
    if (haveCli) {
      const csv = path.join(resultsDir, 'page-native-samples.csv');
      execFileSync(nativeBinary, ['sample', '--model', file, '--n', '1000', '--out', csv]);
      nativeSamples = readFileSync(csv, 'utf8').trim().split('\n').map((l) => l.split(',').map(Number))
        .filter((p) => p.length === 2 && p.every(Number.isFinite));
    } else {
      const out = JSON.parse(execFileSync(checkpointTool, ['sample', file, '1000', '0', '50'], { encoding: 'utf8' }));
      assert.equal(out.step, 1500);
      nativeSamples = [];
      for (let i = 0; i < out.samples.length; i += 2) nativeSamples.push([out.samples[i], out.samples[i + 1]]);
    }
    assert.equal(nativeSamples.length, 1000);
    // Both sample the same model: they are as close to each other as to fresh data allows, and the
    // native ones are near the data (the bound of train.test.mjs).
    const data = moons(2000, 21);
    const dNative = energyDistance(nativeSamples, data), dPage = energyDistance(pageSamples, data);
    const dBetween = energyDistance(nativeSamples, pageSamples);
    const dGaussian = energyDistance(gaussianLike(data, 1000, 22), data);
    console.log(`page checkpoint via ${native}: D² native ${dNative.toFixed(5)}, page ${dPage.toFixed(5)}, ` +
      `between ${dBetween.toFixed(5)}, Gaussian ${dGaussian.toFixed(5)}`);
    assert.ok(dNative < 0.6 * dGaussian);
    assert.ok(dBetween < 0.5 * dGaussian);
  } finally {
    await close();
  }
});

test(`a native checkpoint loads and samples in the page (${native})`, { timeout: 20 * 60000, skip: !haveNative && 'no native build' }, async () => {
  const file = path.join(resultsDir, 'native.safetensors');
  let steps;
  if (haveCli) {
    steps = 2000;
    execFileSync(nativeBinary, ['train', '--dataset', 'moons', '--steps', String(steps), '--out', file], { stdio: 'inherit' });
  } else {
    steps = 1500;
    execFileSync(checkpointTool, ['train', file, 'moons', String(steps), '0', '64', '128']);
  }
  const { page, problems, close } = await openPage({ hash: '#sampler=ddim&sampleN=1000' });
  try {
    await waitReady(page);
    await page.setInputFiles('[data-testid=checkpoint-upload]', file);
    await page.waitForFunction(() => /loaded native\.safetensors/.test(document.querySelector('[data-testid=status]').textContent),
      null, { timeout: 60000 });
    const s = await state(page);
    assert.equal(s.step, steps);
    assert.equal(Number(await page.textContent('[data-testid=steps]')), steps);
    assert.equal(s.settings.dataset, 'moons');
    const samples = await sampleAndWait(page, 10 * 60000);
    assert.equal(samples.length, 1000);
    const data = moons(2000, 31);
    const d = energyDistance(samples, data), dGaussian = energyDistance(gaussianLike(data, 1000, 32), data);
    console.log(`native checkpoint (${steps} steps) sampled in the page: D² ${d.toFixed(5)}, Gaussian ${dGaussian.toFixed(5)}`);
    assert.ok(d < 0.6 * dGaussian);
    // It resumes: one more step from where the native run stopped (after raising the planned steps).
    await page.selectOption('#setting-steps', String(steps === 2000 ? 3000 : 2000));
    await page.click('#step');
    await waitForStep(page, steps + 1, 120000);
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});
