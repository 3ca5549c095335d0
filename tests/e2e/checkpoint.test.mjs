// Checkpoints between the page and the native CLI (`diffuse train` / `diffuse sample`), both ways,
// and a corrupt upload. The default model and batch throughout.
//
// Same seed, same samples. The core draws x_T and every step's noise from (seed, row) alone
// (core/diffusion/sampler.hpp), so the page and `diffuse sample` given the same checkpoint, sampler,
// steps, spacing, weights and seed compute the same points, up to floating-point rounding: the
// builds round differently (AVX-512 with FMA and 16-lane sums, WebAssembly with separate multiply
// and add in 4 lanes, each with its own exp). The tests compare the two sample sets point by point.
//
// The tolerance, from float32's unit roundoff u = 2^-24 = 6.0e-8:
//   - one network evaluation: each of the 4 layers sums at most 129 products (128 inputs + bias);
//     in any order, with or without FMA, such a sum is within 129 u = 7.7e-6 of exact, relative to
//     the sum of the products' magnitudes (Higham, Accuracy and Stability of Numerical Algorithms,
//     3.1); so the output eps_hat (|eps_hat| ~ 1) to about 4 x 7.7e-6 = 3.1e-5;
//   - DDIM with eta = 0 is Euler's method for dxbar/dsigma = eps_hat in xbar = x / sqrt(abar),
//     sigma = sqrt((1 - abar) / abar) (Song et al. 2021, eq. 14): a step from sigma to sigma' adds
//     (sigma' - sigma) eps_hat, so an error d in eps_hat moves xbar by |sigma' - sigma| d; the flow
//     from sigma to 0 shrinks a change of xbar by 1 / sqrt(1 + sigma^2) (exactly so for unit-
//     Gaussian data). Summed over the steps: about the integral of d / sqrt(1 + sigma^2) from 0 to
//     sigma_max = sqrt((1 - abar_999) / abar_999) = 157, i.e. asinh(157) d = 5.75 x 3.1e-5 = 1.8e-4
//     in the normalized space; times the data's larger standard deviation (moons: 0.87), 1.6e-4.
// So TOLERANCE = 2e-4 data units on every point. Measured (2,000 points, 1,000 and 2,000 steps):
// at most 1.1e-6 against the AVX-512 build and 1.5e-6 against an SSE4.2 build, the median 2e-7, so
// the estimate is generous; yet a different sampler configuration moves some point by far more:
// the same checkpoint sampled by the CLI with leading or linspace spacing, 49 or 51 steps, the raw
// weights or eta = 0.01 differs from trailing/50/EMA/eta 0 by 5e-3 to 0.11 at its largest point
// (4.6e-3 to 2.1e-2 at the median), and another seed by ~1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cliHas, energyDistance, gaussianLike, moons, nativeBinary, openPage, repoRoot, resultsDir, sampleAndWait, state,
  waitForStep, waitReady } from './helpers.mjs';

const haveCli = cliHas('train') && cliHas('sample');
const TOLERANCE = 2e-4;  // data units, per point (derived above)

const statusText = (page) => page.textContent('[data-testid=status]');

// `diffuse sample` on `file` with the sampler settings the page used (its state's settings).
function nativeSample(file, settings, n, csv) {
  const K = settings.samplerSteps > 0 ? settings.samplerSteps
    : settings.sampler === 'ddpm' ? settings.timesteps : Math.min(50, settings.timesteps);
  // The page's spacing 'default' is the sampler's own, as the CLI's without --spacing.
  const samplerArgs = ['--sampler', settings.sampler, '--steps', String(K),
    ...(settings.spacing === 'default' ? [] : ['--spacing', settings.spacing]),
    '--seed', String(settings.sampleSeed), ...(settings.weights === 'raw' ? ['--raw'] : []),
    ...(settings.sampler === 'ddim' ? ['--eta', String(settings.eta)] : []),
    ...(settings.sampler === 'ddpm' ? ['--variance', settings.variance] : []),
    ...(settings.karras ? ['--karras'] : [])];
  const out = execFileSync(nativeBinary, ['sample', '--model', file, '--n', String(n), ...samplerArgs, '--out', csv, '-q'],
    { encoding: 'utf8' });
  console.log(`diffuse sample ${samplerArgs.join(' ')}: ${out.trim()}`);
  return readFileSync(csv, 'utf8').trim().split('\n').map((l) => l.split(',').map(Number))
    .filter((p) => p.length === 2 && p.every(Number.isFinite));
}

// Point-by-point distances between two sample sets of the same seed: { median, p99, max }.
function pointDistances(a, b) {
  const d = a.map((p, i) => Math.hypot(p[0] - b[i][0], p[1] - b[i][1])).sort((x, y) => x - y);
  return { median: d[d.length >> 1], p99: d[Math.floor(0.99 * (d.length - 1))], max: d[d.length - 1] };
}
const fmt = (d) => `median ${d.median.toExponential(1)}, 99th percentile ${d.p99.toExponential(1)}, max ${d.max.toExponential(1)}`;

// The same points up to rounding, and near the data (the bound of train.test.mjs).
function checkSameSamples(label, pageSamples, nativeSamples, dataSeed) {
  assert.equal(nativeSamples.length, pageSamples.length);
  const d = pointDistances(pageSamples, nativeSamples);
  const data = moons(2000, dataSeed);
  const dNative = energyDistance(nativeSamples, data), dPage = energyDistance(pageSamples, data);
  const dGaussian = energyDistance(gaussianLike(data, 2000, dataSeed + 1), data);
  console.log(`${label}: page vs native, point by point: ${fmt(d)} (tolerance ${TOLERANCE}); ` +
    `D² to fresh moons: native ${dNative.toFixed(5)}, page ${dPage.toFixed(5)}, Gaussian ${dGaussian.toFixed(5)}`);
  assert.ok(d.max < TOLERANCE, `${label}: the page's and the CLI's samples differ by up to ${d.max} (${fmt(d)})`);
  assert.ok(dNative < 0.5 * dGaussian, `${label}: native samples too far from the data: ${dNative} vs ${0.5 * dGaussian}`);
}

test('a corrupt upload shows an error in status and the page keeps working', { timeout: 300000 }, async () => {
  const { page, problems, close } = await openPage();
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

test('a page checkpoint samples natively to the same points', { timeout: 20 * 60000, skip: !haveCli && `no ${nativeBinary} with train and sample` }, async () => {
  const steps = 2000;
  const { page, close } = await openPage({ hash: `#steps=${steps}&sampleSeed=3` });
  try {
    await waitReady(page);
    await page.click('[data-testid=train]');
    await waitForStep(page, steps, 15 * 60000);
    const pageSamples = await sampleAndWait(page, 5 * 60000);
    const { settings } = await state(page);
    assert.equal(settings.sampler, 'ddim');  // the page's defaults
    assert.equal(settings.spacing, 'default');  // DDIM's own: trailing
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=checkpoint-download]')]);
    const file = path.join(resultsDir, 'page.safetensors');
    await download.saveAs(file);
    assert.match(download.suggestedFilename(), new RegExp(`^diffuse-moons-step${steps}\\.safetensors$`));
    const nativeSamples = nativeSample(file, settings, pageSamples.length, path.join(resultsDir, 'page-native-samples.csv'));
    checkSameSamples('page checkpoint', pageSamples, nativeSamples, 21);
  } finally {
    await close();
  }
});

test('a native checkpoint loads and samples in the page to the same points', { timeout: 20 * 60000, skip: !haveCli && `no ${nativeBinary} with train and sample` }, async () => {
  const file = path.join(resultsDir, 'native.safetensors');
  const steps = 2000;
  execFileSync(nativeBinary, ['train', '--dataset', 'moons', '--steps', String(steps), '--out', file, '-q'], { stdio: 'inherit' });
  const { page, problems, close } = await openPage();
  try {
    await waitReady(page);
    await page.setInputFiles('[data-testid=checkpoint-upload]', file);
    await page.waitForFunction(() => /loaded native\.safetensors/.test(document.querySelector('[data-testid=status]').textContent),
      null, { timeout: 60000 });
    const s = await state(page);
    assert.equal(s.step, steps);
    assert.equal(Number(await page.textContent('[data-testid=steps]')), steps);
    assert.equal(s.settings.dataset, 'moons');
    const pageSamples = await sampleAndWait(page, 10 * 60000);
    const { settings } = await state(page);
    const nativeSamples = nativeSample(file, settings, pageSamples.length, path.join(resultsDir, 'native-native-samples.csv'));
    checkSameSamples(`native checkpoint (${steps} steps)`, pageSamples, nativeSamples, 31);
    // A sampler of diffusers' beside DDIM: DPM-Solver++ 2M with Karras sigmas, 20 steps. Its step is
    // DDIM's in the data-prediction form plus half the difference of the last two x0 estimates, so
    // an error in eps_hat carries through as in DDIM's derivation above, within a small factor.
    await page.selectOption('[data-testid=sampler]', 'dpmpp_2m');
    await page.check('[data-testid=karras]');
    await page.selectOption('[data-testid=sampler-steps]', '20');
    const dpmSamples = await sampleAndWait(page, 10 * 60000);
    const dpm = (await state(page)).settings;
    assert.deepEqual([dpm.sampler, dpm.karras, dpm.samplerSteps], ['dpmpp_2m', true, 20]);
    checkSameSamples('native checkpoint, DPM-Solver++ 2M, Karras sigmas, 20 steps', dpmSamples,
      nativeSample(file, dpm, dpmSamples.length, path.join(resultsDir, 'native-native-dpm-samples.csv')), 31);
    // It resumes: one more step from where the native run stopped (after raising the planned steps).
    await page.selectOption('#setting-steps', '3000');
    await page.click('#step');
    await waitForStep(page, steps + 1, 120000);
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

// A model trained with PyTorch's DistributedDataParallel (examples/train_ddp.py under torchrun, 2
// processes, gloo on CPU; docs/torch.md), continuing a native run: the page loads the checkpoint
// rank 0 wrote and samples it to the CLI's points (the tolerance above: the network and sampler are
// the same, only the weights came from torch). torchrun's --redirects/--tee: Debian 12's torch 1.13
// under Python 3.11 cannot parse its own defaults (docs/torch.md).
const haveTorchrun = (() => {
  try {
    execFileSync('torchrun', ['--help'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

test('a checkpoint trained with torchrun on 2 processes loads and samples in the page to the same points',
  { timeout: 20 * 60000, skip: (!haveCli || !haveTorchrun) && `needs ${nativeBinary} and torchrun` }, async () => {
    const native = path.join(resultsDir, 'torch-init.safetensors');
    const exported = path.join(resultsDir, 'torch-export.safetensors');
    const data = path.join(resultsDir, 'torch-moons.csv');
    const file = path.join(resultsDir, 'torch-ddp.safetensors');
    execFileSync(nativeBinary, ['train', '--dataset', 'moons', '--steps', '2000', '--out', native, '-q'], { stdio: 'inherit' });
    execFileSync(nativeBinary, ['export', native, '--out', exported], { stdio: 'inherit' });
    execFileSync(nativeBinary, ['data', '--dataset', 'moons', '--n', '10000', '--out', data], { stdio: 'inherit' });
    // (A rendezvous on a free port rather than --standalone's fixed 29400, which a test may be using.)
    execFileSync('torchrun', ['--nnodes', '1', '--rdzv_backend', 'c10d', '--rdzv_endpoint', 'localhost:0',
      '--nproc_per_node', '2', '--redirects', '9:1', '--tee', '9:1',
      path.join(repoRoot, 'examples', 'train_ddp.py'), '--init', exported, '--data', data, '--steps', '40', '--lr', '1e-4',
      '--out', file], { stdio: 'inherit', env: { ...process.env, OMP_NUM_THREADS: '1' } });
    const { page, problems, close } = await openPage();
    try {
      await waitReady(page);
      await page.setInputFiles('[data-testid=checkpoint-upload]', file);
      await page.waitForFunction(() => /loaded torch-ddp\.safetensors/.test(document.querySelector('[data-testid=status]').textContent),
        null, { timeout: 60000 });
      console.log(`status: ${await statusText(page)}`);
      const s = await state(page);
      assert.equal(s.step, 2040);
      assert.equal(s.settings.dataset, 'moons');
      const pageSamples = await sampleAndWait(page, 10 * 60000);
      const { settings } = await state(page);
      const nativeSamples = nativeSample(file, settings, pageSamples.length, path.join(resultsDir, 'torch-native-samples.csv'));
      checkSameSamples('torchrun checkpoint (2000 native + 40 DDP steps)', pageSamples, nativeSamples, 41);
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });
