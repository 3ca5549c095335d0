// Images in the page, in real Chromium through the data-testid hooks: a digits run trained for a
// fixed number of steps draws digits that the project's classifier labels as their class; its
// checkpoint samples natively (and resumes on the CLI's own digits); a native Fashion-MNIST
// checkpoint samples in the page; a corrupt image checkpoint is refused, keeping the model; and every
// image panel is photographed at 1280 x 800 and at phone width (test-results/).
//
// Page against native samples. Both evaluate the same U-Net on the same x_T and noise (the core
// draws them from (seed, row)), so they differ only by rounding (AVX-512 with FMA against
// WebAssembly's 4 lanes without): the bound, from float32's unit roundoff u = 2^-24:
//   - one U-Net evaluation: its longest sum is an up block's 3 x 3 convolution over the
//     concatenated skip, 9 x 64 = 576 products (channels 16,32 and 8,16 alike, at most 64 channels
//     concatenated), within 576 u = 3.4e-5 of exact relative to the sum of the products' magnitudes
//     (Higham 3.1); the path from input to output has at most 24 such layers (conv_in, two per
//     resnet: 2 down, 2 middle, 3 + 3 up for two levels of one resnet each, the down- and upsampler
//     convolutions, conv_out), and GroupNorm rescales each layer's error with its signal, so an
//     output eps_hat of size ~1 is within 24 x 3.4e-5 = 8.2e-4;
//   - guidance w = 2 combines two evaluations as u + w (c - u): errors add with weights
//     |1 - w| + |w| = 3, so 2.5e-3;
//   - DDIM (eta = 0) over 50 steps carries an error d of eps_hat to x_0 at most asinh(157) d = 5.75 d
//     (tests/e2e/checkpoint.test.mjs derives it): 1.4e-2 in the normalized space [-1, 1];
//   - in data units, times (levels - 1) / 2: 0.11 grey levels of the digits' 17 (of 16),
//     1.8 of Fashion-MNIST's 256.
// These are per pixel. The measured differences are far smaller (printed by the tests).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cliHas, digitsJudge, nativeBinary, openPage, resultsDir, sampleAndWait, state, trainTo,
  waitReady } from './helpers.mjs';

const haveCli = cliHas('train') && cliHas('sample');
const TRAIN_STEPS = 500;
// Measured with the page's defaults at 500 steps (DDPM 50, w = 2, 100 images, sampling seed 0):
// agreement 1.00, 100 of 100 (docs/images.md, "In the page"). WebAssembly arithmetic is
// deterministic, so this build always measures that; a build that rounds differently draws other
// samples of the same model, whose rate of agreement 100 of 100 puts above 0.97 (95%, one-sided).
// At 0.97, scoring below 90 of 100 has probability 1e-4 (4.1 standard deviations): the bar.
const AGREEMENT_BAR = 0.9;
const TOLERANCE_DIGITS = 0.11;   // grey levels of 16, per pixel (derived above)
const TOLERANCE_FASHION = 1.8;   // grey levels of 255, per pixel
const PANELS = ['data', 'raw', 'ema', 'loss', 'loss-t', 'schedule', 'forward', 'samples', 'trajectory', 'quality',
  'quality-fd', 'elbo', 'elbo-t'];

const statusText = (page) => page.textContent('[data-testid=status]');
// The page's spacing 'default' is the sampler's own: the CLI's without --spacing.
const spacingArgs = (s) => (s.spacing === 'default' ? [] : ['--spacing', s.spacing]);

const judge = await digitsJudge();

// A .npy file of float32 (as `diffuse sample --out x.npy` writes): its shape and values.
function readNpy(file) {
  const bytes = readFileSync(file);
  const headerLength = bytes.readUInt16LE(8);
  const header = bytes.subarray(10, 10 + headerLength).toString('latin1');
  assert.match(header, /'descr': '<f4'/);
  const shape = header.match(/'shape': \(([^)]*)\)/)[1].split(',').filter((s) => s.trim()).map(Number);
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset + 10 + headerLength, bytes.byteOffset + bytes.length));
  return { shape, data };
}

function largestDifference(a, b) {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

async function photograph(page, tag) {
  for (const name of PANELS) {
    const panel = page.locator(`[data-testid=panel-${name}]`);
    assert.ok(await panel.isVisible(), `panel ${name} is visible`);
    await panel.scrollIntoViewIfNeeded();
    await panel.screenshot({ path: path.join(resultsDir, `images-${tag}-${name}.png`) });
  }
  await page.screenshot({ path: path.join(resultsDir, `images-${tag}-page.png`), fullPage: true });
}

async function download(page, file) {
  const waiting = page.waitForEvent('download');
  await page.click('[data-testid=checkpoint-download]');
  await (await waiting).saveAs(file);
}

async function upload(page, file) {
  await page.setInputFiles('[data-testid=checkpoint-upload]', file);
}

test('digits: trained in the page, recognisable by class, measured, photographed, and sampled natively', { timeout: 15 * 60000 }, async () => {
  const { page, problems, close } = await openPage({ hash: '#dataset=digits' });
  try {
    await waitReady(page);
    const s0 = await state(page);
    assert.equal(s0.settings.dataset, 'digits');
    assert.equal(s0.classes, 10);
    assert.equal(await trainTo(page, TRAIN_STEPS), TRAIN_STEPS);
    const drawn = await sampleAndWait(page, 5 * 60000);
    assert.deepEqual(drawn.shape, [100, 1, 8, 8]);
    assert.equal(drawn.data.length, 100 * 64);
    const labels = await page.evaluate(() => window.diffuse.labels());
    assert.deepEqual(labels, Array.from({ length: 100 }, (_, i) => i % 10));
    const q = judge(drawn.data, labels);
    console.log(`digits after ${TRAIN_STEPS} steps: class agreement ${q.agreement}, Fréchet distance ${q.frechet.toFixed(1)} ` +
      `(held-out digits: ${q.baselineFrechet.toFixed(1)})`);
    assert.ok(q.agreement >= AGREEMENT_BAR, `agreement ${q.agreement} < ${AGREEMENT_BAR}`);

    // Quality against model calls (every sampler) and the ELBO, as the page measures them.
    await page.click('#quality');
    await page.waitForFunction(() => window.diffuse.state().qualityDone, null, { timeout: 10 * 60000, polling: 500 });
    const { quality: points, qualityDone } = await state(page);
    console.log(`digits quality chart: ${points.length} points (8 samplers, 4 budgets, 2 metrics) in ` +
      `${(qualityDone.elapsedMs / 1000).toFixed(1)} s`);
    assert.deepEqual(qualityDone.skipped, []);
    assert.equal(new Set(points.map((p) => p.sampler)).size, 8);
    assert.equal(points.length, 8 * 4 * 2);
    // Its DDPM-50 point draws the very samples Sample drew (100, every class in turn, seed 0, w = 2)
    // and judges them with the same classifier in the worker: the same numbers.
    const at50 = (metric) => points.find((p) => p.sampler === 'ddpm' && p.steps === 50 && p.metric === metric).value;
    assert.equal(at50('agreement'), q.agreement);
    assert.ok(Math.abs(at50('frechet') - q.frechet) <= 1e-9 * q.frechet, `${at50('frechet')} against ${q.frechet}`);
    await page.click('#elbo');
    await page.waitForFunction(() => window.diffuse.state().elbo, null, { timeout: 10 * 60000, polling: 500 });
    const elbo = (await state(page)).elbo;
    assert.equal(elbo.dims, 64);
    assert.equal(elbo.examples, 64);
    assert.ok(elbo.bitsPerDim > 0 && Number.isFinite(elbo.bitsPerDim), `bits/dim ${elbo.bitsPerDim}`);
    await page.click('#play');  // the reverse process, stopped on a middle frame for the photograph
    await page.waitForTimeout(300);
    await photograph(page, 'desktop');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300);
    await photograph(page, 'phone');
    await page.setViewportSize({ width: 1280, height: 800 });

    if (haveCli) {
      const file = path.join(resultsDir, 'page-digits.safetensors');
      await download(page, file);
      // DDIM (the bound above is DDIM's): the page and `diffuse sample` on the same checkpoint.
      await page.selectOption('#setting-sampler', 'ddim');
      const ddim = await sampleAndWait(page, 5 * 60000);
      const npy = path.join(resultsDir, 'page-digits-native.npy');
      const s = (await state(page)).settings;
      execFileSync(nativeBinary, ['sample', '--model', file, '--n', '100', '--sampler', 'ddim', '--steps', String(s.samplerSteps),
        ...spacingArgs(s), '--class', 'all', '--guidance', String(s.guidance), '--seed', String(s.sampleSeed), '--out', npy, '-q']);
      const native = readNpy(npy);
      assert.deepEqual(native.shape, [100, 1, 8, 8]);
      const worst = largestDifference(native.data, ddim.data);
      console.log(`page against native digits samples: largest difference ${worst.toExponential(2)} grey levels`);
      assert.ok(worst <= TOLERANCE_DIGITS, `${worst} > ${TOLERANCE_DIGITS}`);
      // It resumes natively on the CLI's digits: the checkpoint's fingerprint of the page's data
      // matches the images the CLI loads.
      // The ELBO bounds the same 64 held-out digits with the same draws (seed) natively. Rounding
      // moves eps_hat by at most 8.2e-4 (above); a term ||eps - eps_hat||^2 then moves by at most
      // 2 x 8.2e-4 / ||eps - eps_hat|| of itself, and the model's residual at this stage is about
      // sqrt(0.09) = 0.3 (the training loss): 0.55%, so 1% bounds the total.
      const json = JSON.parse(execFileSync(nativeBinary, ['elbo', '--model', file, '--dataset', 'digits', '--n', '64',
        '--strata', '0', '--seed', String(s.sampleSeed), '--format', 'json', '-q'], { encoding: 'utf8' }));
      const nativeBits = json.bits_per_dim ?? json.bitsPerDim;
      console.log(`ELBO of 64 held-out digits: page ${elbo.bitsPerDim.toFixed(4)} bits/dim, native ${nativeBits}`);
      assert.ok(Math.abs(elbo.bitsPerDim - nativeBits) <= 0.01 * nativeBits, `${elbo.bitsPerDim} against ${nativeBits}`);
      const out = execFileSync(nativeBinary, ['train', '--resume', file, '--steps', String(TRAIN_STEPS + 5), '--out',
        path.join(resultsDir, 'page-digits-resumed.safetensors'), '-q'], { encoding: 'utf8' });
      assert.match(out, /step 505 of 505/);
    }
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

test('a native Fashion-MNIST checkpoint samples in the page, as natively; a corrupt one is refused', { skip: !haveCli && 'needs build/bin/diffuse', timeout: 10 * 60000 }, async () => {
  const file = path.join(resultsDir, 'native-fashion.safetensors');
  execFileSync(nativeBinary, ['train', '--dataset', 'fashion', '--conditional', '--channels', '8,16', '--groups', '4',
    '--steps', '300', '--batch', '32', '--out', file, '-q']);
  const { page, problems, close } = await openPage({ hash: '#dataset=digits' });
  try {
    await waitReady(page);
    await upload(page, file);
    await page.waitForFunction(() => /loaded native-fashion/.test(document.querySelector('[data-testid=status]').textContent),
      null, { timeout: 60000 });
    assert.match(await statusText(page), /fashion, step 300 \(trained on fashion, which the page does not hold: it can be sampled, not trained\)/);
    assert.equal(await page.isDisabled('[data-testid=train]'), true);
    await page.selectOption('[data-testid=image-n]', '20');
    await page.selectOption('#setting-sampler', 'ddim');
    const drawn = await sampleAndWait(page, 5 * 60000);
    assert.deepEqual(drawn.shape, [20, 1, 28, 28]);
    const s = (await state(page)).settings;
    const npy = path.join(resultsDir, 'native-fashion-samples.npy');
    execFileSync(nativeBinary, ['sample', '--model', file, '--n', '20', '--sampler', 'ddim', '--steps', String(s.samplerSteps),
      ...spacingArgs(s), '--class', 'all', '--guidance', String(s.guidance), '--seed', String(s.sampleSeed), '--out', npy, '-q']);
    const worst = largestDifference(readNpy(npy).data, drawn.data);
    console.log(`page against native Fashion-MNIST samples: largest difference ${worst.toExponential(2)} grey levels`);
    assert.ok(worst <= TOLERANCE_FASHION, `${worst} > ${TOLERANCE_FASHION}`);
    const memory = (await state(page)).memoryBytes;
    console.log(`WebAssembly memory after sampling the 28 x 28 model: ${(memory / 2 ** 20).toFixed(0)} MiB`);
    assert.ok(memory < 256 * 2 ** 20, `${memory} bytes`);
    await page.locator('[data-testid=panel-samples]').screenshot({ path: path.join(resultsDir, 'images-fashion-samples.png') });

    // A corrupt image checkpoint: a clear status, and the Fashion-MNIST model stays.
    const bad = path.join(resultsDir, 'corrupt-fashion.safetensors');
    writeFileSync(bad, readFileSync(file).subarray(0, 5000));
    await upload(page, bad);
    await page.waitForFunction(() => /cannot load this checkpoint/.test(document.querySelector('[data-testid=status]').textContent),
      null, { timeout: 60000 });
    assert.match(await statusText(page), /corrupt-fashion\.safetensors/);
    const again = await sampleAndWait(page, 5 * 60000);
    assert.deepEqual(again.shape, [20, 1, 28, 28]);
    assert.deepEqual(again.data, drawn.data);
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

test('choosing digits switches to the U-Net and its defaults, and back; the address keeps what applies', { timeout: 5 * 60000 }, async () => {
  const { page, problems, close } = await openPage();
  try {
    await waitReady(page);
    const kind = () => page.evaluate(() => document.body.dataset.kind);
    assert.equal(await kind(), 'points');
    assert.equal(await page.isVisible('#setting-channels'), false);
    await page.selectOption('[data-testid=dataset]', 'digits');
    await page.waitForFunction(() => window.diffuse.state().ready && window.diffuse.state().classes === 10, null, { timeout: 60000 });
    assert.equal(await kind(), 'images');
    for (const id of ['channels', 'layersPerBlock', 'attention', 'conditional']) {
      assert.equal(await page.isVisible(`#setting-${id}`), true, id);
    }
    assert.equal(await page.isVisible('#setting-hidden'), false);
    assert.equal(await page.isVisible('#draw'), false);
    const s = (await state(page)).settings;
    assert.deepEqual([s.channels, s.batch, s.lr, s.conditional, s.sampler], ['16,32', 64, 2e-3, true, 'ddpm']);
    assert.match(await page.textContent('#data-caption'), /digits: 1,500 images, a U-Net of/);
    await page.selectOption('[data-testid=channels]', '8,16');
    await page.waitForFunction(() => window.diffuse.state().settings.channels === '8,16' && window.diffuse.state().ready);
    assert.equal(new URL(page.url()).hash, '#dataset=digits&channels=8%2C16');
    await page.selectOption('[data-testid=dataset]', 'moons');
    await page.waitForFunction(() => document.body.dataset.kind === 'points' && window.diffuse.state().classes === 0);
    const back = (await state(page)).settings;
    assert.deepEqual([back.batch, back.lr, back.conditional, back.sampler], [256, 1e-3, false, 'ddim']);
    assert.equal(new URL(page.url()).hash, '');  // moons at its defaults: the U-Net's settings do not apply
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});
