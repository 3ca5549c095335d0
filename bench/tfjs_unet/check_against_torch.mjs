// The TF.js U-Net of the browser benchmark against the PyTorch reference (python/diffuse_torch/unet2d.py,
// the stand-in for diffusers' UNet2DModel): same weights (loaded by diffusers' names, PyTorch
// shapes), same batch. Checks, on each TF.js backend asked for:
//   1. the output eps_hat and the loss mean (eps_hat - eps)^2,
//   2. the loss's gradient for every parameter (through the custom filter and embedding gradients
//      of custom_grads.mjs, with both input-gradient variants, 'stock' and 'conv2d'),
//   3. three training updates (clip, Adam at the warm-up/cosine lr, EMA): the weights and the EMA
//      weights after each (trainer.mjs's trainOn against torch_side.py's float64 replay).
// Then, unless --no-self-test: the same check of a model one weight of which is off by 1e-3
// relative must fail (the tolerances below are tight enough to see a wrong formula).
//
//   node bench/tfjs_unet/check_against_torch.mjs [--backends cpu,wasm] [--channels 16,32]
//       [--layers 1] [--groups 8] [--batch 8] [--case case.json] [--no-self-test]
//
// Tolerances (float32 against the float64 reference computed from the same float32 numbers).
// Outputs and gradients: a correct float32 evaluation differs from float64 by rounding alone; how
// much is measured on this very case by an independent float32 implementation, PyTorch's (its
// error e32 = max |torch32 - ref64| over the tensor). Another correct implementation sums in
// another order, so its error has the same size up to a small factor: the bound is
// 16 (e32 + u max |ref|), u = 2^-24 (the second term for tensors PyTorch happens to get exact).
// A wrong formula (padding on the wrong side, sin and cos swapped, a missing shortcut) moves
// values by 1e-2 relative or more, thousands of times this; the self-test shows that even one
// weight off by 1e-3 is seen.
// Training updates: Adam's step m_hat / (sqrt(v_hat) + eps) has magnitude <= 1 per update and
// relative sensitivity about |dg| / |g| to a gradient error dg. With dg bounded as
// 2^-10 (|g| + rms g) (tests/reference/unet_check.py's gradient bound, which covers case 2's
// measured errors with room), element i may differ by sum_k lr_k min(2, 8 dg_ki / |g_ki|) plus the
// rounding of the weights themselves, 8 u |w|; the EMA, a convex combination of the weights,
// gets the same bound.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { fromTf, UNet } from './unet.mjs';
import { Trainer } from './trainer.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const U = 2 ** -24;
const FACTOR = 16;

function loadCase() {
  if (option('--case')) return JSON.parse(readFileSync(option('--case'), 'utf8'));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tfjs-unet-check-'));
  const file = path.join(dir, 'case.json');
  execFileSync('/usr/bin/python3', [path.join(here, 'torch_side.py'), '--out', file,
    '--channels', option('--channels', '16,32'), '--layers', option('--layers', '1'),
    '--groups', option('--groups', '8'), '--batch', option('--batch', '8')], { stdio: 'inherit' });
  const loaded = JSON.parse(readFileSync(file, 'utf8'));
  rmSync(dir, { recursive: true });
  return loaded;
}

const maxAbs = (xs) => xs.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
const rms = (xs) => Math.sqrt(xs.reduce((s, x) => s + x * x, 0) / Math.max(xs.length, 1));

let passed = 0, failed = 0;
const results = [];
// got: Float32Array/array; allowed(i) per element. Records the worst ratio error / allowed.
function compare(label, got, want, allowed, { quiet = false } = {}) {
  if (got.length !== want.length) throw new Error(`${label}: ${got.length} values, reference has ${want.length}`);
  let worst = 0, worstErr = 0, at = 0;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    const ratio = err / allowed(i);
    if (!(ratio <= worst)) { worst = ratio; worstErr = err; at = i; }  // NaN counts as worst
  }
  const ok = worst <= 1;
  results.push({ label, ok, worst, worstErr });
  if (!quiet) {
    console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${label}: max error ${worstErr.toExponential(2)} at ${at}, ` +
      `${worst.toFixed(3)} of allowed`);
  }
  if (ok) passed++; else failed++;
  return ok;
}

// The bound of outputs and gradients: 16 (e32 + u max |ref|).
function roundingBound(ref64, ref32) {
  let e32 = 0;
  for (let i = 0; i < ref64.length; i++) e32 = Math.max(e32, Math.abs(ref32[i] - ref64[i]));
  const bound = FACTOR * (e32 + U * maxAbs(ref64));
  return () => bound;
}

const weightsOf = (c) => Object.fromEntries(Object.entries(c.weights).map(([n, w]) => [n, Float32Array.from(w.values)]));

// 1 and 2: output, loss and every gradient, for one input-gradient variant.
function checkForwardBackward(c, inputGrad, weights, { quiet = false } = {}) {
  const net = new UNet(tf, c.model, weights, { inputGrad });
  const B = c.batch.t.length, S = c.model.sampleSize;
  const { out, loss, grads } = tf.tidy(() => {
    const x = tf.tensor4d(c.batch.x, [B, S, S, 1]);  // NCHW = NHWC for one channel
    const eps = tf.tensor4d(c.batch.eps, [B, S, S, 1]);
    const t = tf.tensor1d(c.batch.t, 'int32'), y = tf.tensor1d(c.batch.labels, 'int32');
    // (The output once more outside variableGrads, which keeps only the loss of its function.)
    const outT = net.forward(x, t, y);
    const { value, grads: g } = tf.variableGrads(() => tf.mean(tf.squaredDifference(net.forward(x, t, y), eps)), net.variables());
    const byName = {};
    for (const { name, shape } of net.specs) byName[name] = fromTf(tf, name, shape, g[net.params[name].name]).dataSync();
    return { out: outT.dataSync(), loss: value.dataSync()[0], grads: byName };
  });
  let ok = compare(`[${inputGrad}] output eps_hat`, out, c.float64.out, roundingBound(c.float64.out, c.float32.out), { quiet });
  ok = compare(`[${inputGrad}] loss`, [loss], [c.float64.loss], roundingBound([c.float64.loss], [c.float32.loss]), { quiet }) && ok;
  let worst = { ratio: 0 };
  for (const name of c.order) {
    const before = results.length;
    ok = compare(`[${inputGrad}] grad ${name}`, grads[name], c.float64.grads[name],
      roundingBound(c.float64.grads[name], c.float32.grads[name]), { quiet: true }) && ok;
    const r = results[before];
    if (!(r.worst <= worst.ratio)) worst = { ratio: r.worst, name, err: r.worstErr };
  }
  if (!quiet) {
    const n = c.order.length;
    const bad = results.slice(-n).filter((r) => !r.ok).map((r) => r.label);
    console.log(`  ${bad.length ? 'FAIL' : 'ok  '} [${inputGrad}] the gradients of all ${n} parameters: worst ${worst.name} ` +
      `(error ${worst.err.toExponential(2)}, ${worst.ratio.toFixed(3)} of allowed)${bad.length ? `; failing: ${bad.join(', ')}` : ''}`);
  }
  for (const v of net.variables()) v.dispose();
  net.frequencies.dispose();
  return ok;
}

// 3: three updates from the case's weights on its three batches.
function checkTraining(c) {
  const S = c.model.sampleSize;
  const trainer = new Trainer(tf, c.model, c.train.config, { weights: weightsOf(c), data: { side: S } });
  let ok = true;
  const lrSum = [];
  c.train.after.forEach((after, k) => {
    lrSum.push((lrSum[k - 1] ?? 0) + after.lr);
    const b = c.train.batches[k];
    trainer.trainOn({ xt: Float32Array.from(b.x), t: Int32Array.from(b.t), labels: Int32Array.from(b.labels), eps: Float32Array.from(b.eps) });
    let worst = { ratio: 0 };
    const bad = [];
    for (const [i, { name, shape }] of trainer.net.specs.entries()) {
      // sum_j lr_j min(2, 8 dg_ji / |g_ji|) over the updates so far, per element.
      const n = c.train.after[0].grads[name].length;
      const slack = new Float64Array(n);
      for (let j = 0; j <= k; j++) {
        const g = c.train.after[j].grads[name], scale = rms(g), lr = c.train.after[j].lr;
        for (let e = 0; e < n; e++) slack[e] += lr * Math.min(2, 8 * 2 ** -10 * (Math.abs(g[e]) + scale) / Math.abs(g[e]));
      }
      for (const [what, tensor, want] of [['weights', trainer.vars[i], after.params[name]], ['EMA', trainer.ema[i], after.ema[name]]]) {
        const got = tf.tidy(() => fromTf(tf, name, shape, tensor).dataSync());
        const before = results.length;
        const good = compare(`update ${k + 1} ${what} ${name}`, got, want, (e) => slack[e] + 8 * U * Math.abs(want[e]), { quiet: true });
        ok = good && ok;
        if (!good) bad.push(`${what} ${name}`);
        if (!(results[before].worst <= worst.ratio)) worst = { ratio: results[before].worst, name: `${what} ${name}`, err: results[before].worstErr };
      }
    }
    console.log(`  ${bad.length ? 'FAIL' : 'ok  '} update ${k + 1} (lr ${after.lr.toExponential(2)}, |g| ${after.grad_norm.toFixed(3)}): ` +
      `weights and EMA of all parameters, worst ${worst.name} (error ${worst.err.toExponential(2)}, ` +
      `${worst.ratio.toFixed(3)} of allowed)${bad.length ? `; failing: ${bad.slice(0, 5).join(', ')}` : ''}`);
  });
  trainer.dispose();
  return ok;
}

const c = loadCase();
console.log(`case: channels ${c.model.channels}, layers per block ${c.model.layersPerBlock}, groups ${c.model.groups}, ` +
  `batch ${c.batch.t.length} (labels ${c.batch.labels}), ${c.order.length} parameter tensors`);
const backends = option('--backends', 'cpu,wasm').split(',');
for (const backend of backends) {
  if (backend === 'wasm') {
    await import('@tensorflow/tfjs-backend-wasm');
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);  // one thread, as in the browser benchmark
  }
  if (!(await tf.setBackend(backend))) throw new Error(`TF.js backend ${backend} is not available`);
  await tf.ready();
  console.log(`backend ${tf.getBackend()}:`);
  for (const inputGrad of ['stock', 'conv2d']) checkForwardBackward(c, inputGrad, weightsOf(c));
  checkTraining(c);
}

if (!args.includes('--no-self-test')) {
  // One weight of a 3x3 convolution off by 1e-3 relative: outputs or gradients must fail.
  const weights = weightsOf(c);
  const name = 'down_blocks.0.resnets.0.conv1.weight';
  weights[name][0] *= 1 + 1e-3;
  const before = failed;
  const counts = { passed, failed };
  checkForwardBackward(c, 'stock', weights, { quiet: true });
  const caught = failed > before;
  [passed, failed] = [counts.passed, counts.failed];
  console.log(`  ${caught ? 'ok  ' : 'FAIL'} self-test: ${name}[0] off by 1e-3 relative is ${caught ? '' : 'NOT '}caught`);
  if (caught) passed++; else failed++;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
