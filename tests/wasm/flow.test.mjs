// Flow matching through the bindings (issue 13): the page's settings make a flow run whose training
// is the native CLI's (`diffuse train --objective flow`), and its views read the flow's own path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadDiffuse, nativeBinary } from './load_module.mjs';

const diffuse = await loadDiffuse();
const dir = mkdtempSync(path.join(tmpdir(), 'diffuse-flow-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const haveCli = existsSync(nativeBinary) &&
  /--objective/.test(execFileSync(nativeBinary, ['train', '--help'], { encoding: 'utf8' }));

// The tensors of a safetensors file (8-byte little-endian header length, a JSON header, the data):
// read here independently of the core's reader. { config (the __metadata__'s JSON), tensors: { name:
// Float32Array } } (F32 tensors only; the others are left out).
function readSafetensors(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  const tensors = {};
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__' || t.dtype !== 'F32') continue;
    const [a, b] = t.data_offsets;
    tensors[name] = new Float32Array(bytes.slice(8 + n + a, 8 + n + b).buffer);
  }
  return { metadata: header.__metadata__ ?? {}, tensors };
}

const flowSettings = { objective: 'flow', shift: 2, hidden: 32, layers: 2, batch: 64, steps: 120, trainSize: 1000,
  seed: 11, prediction: 'v', lossWeighting: 'none' };

test('the page\'s flow settings: objective and shift reach the trainer; the other objective\'s are left alone', () => {
  const created = diffuse.trainerCreate(flowSettings, { dataset: 'moons' });
  assert.equal(created.ok, true, created.error);
  // prediction is diffusion's (the page keeps it while flow is chosen): not read
  assert.deepEqual([created.settings.objective, created.settings.shift, created.settings.prediction], ['flow', 2, 'eps']);
  created.trainer.delete();
  const diffusion = diffuse.trainerCreate({ ...flowSettings, objective: 'diffusion', shift: 100 }, { dataset: 'moons' });
  assert.equal(diffusion.ok, true, diffusion.error);
  assert.deepEqual([diffusion.settings.objective, diffusion.settings.shift, diffusion.settings.prediction], ['diffusion', 1, 'v']);
  diffusion.trainer.delete();
  // refused by name, as the CLI refuses the flags
  const cases = [[{ shift: 0 }, /shift = 0 is invalid: must be in \[0.01, 100\]/],
    [{ objective: 'score' }, /objective 'score' is unknown|score/],
    [{ lossWeighting: 'min_snr' }, /loss weighting min_snr applies to diffusion/],
    [{ zeroSnr: true }, /zero terminal SNR applies to diffusion/]];
  for (const [bad, message] of cases) {
    const r = diffuse.trainerCreate({ ...flowSettings, ...bad }, { dataset: 'moons' });
    assert.equal(r.ok, false, JSON.stringify(bad));
    assert.match(r.error, message);
  }
  // the sampler spec says which samplers take a flow model (the core's rule)
  const spec = diffuse.settingsSpec();
  assert.deepEqual(Object.entries(spec.sampler.samplers).filter(([, s]) => s.flow).map(([n]) => n), ['euler', 'heun']);
  assert.deepEqual([spec.objective.default, spec.shift.default, spec.shift.min, spec.shift.max], ['diffusion', 1, 0.01, 100]);
});

test('a flow run in WebAssembly trains as `diffuse train --objective flow` does', { skip: !haveCli && `no ${nativeBinary} with --objective` }, () => {
  const created = diffuse.trainerCreate(flowSettings, { dataset: 'moons' });
  const r = created.trainer.train(1000);
  assert.equal(r.step, flowSettings.steps);
  const wasmFile = path.join(dir, 'wasm-flow.safetensors'), nativeFile = path.join(dir, 'native-flow.safetensors');
  writeFileSync(wasmFile, diffuse.checkpointSave(created.trainer).bytes);
  created.trainer.delete();
  execFileSync(nativeBinary, ['train', '--dataset', 'moons', '--objective', 'flow', '--shift', '2', '--hidden', '32',
    '--layers', '2', '--batch', '64', '--steps', String(flowSettings.steps), '--train-size', '1000', '--seed', '11',
    '--out', nativeFile, '-q']);
  const wasm = readSafetensors(new Uint8Array(readFileSync(wasmFile)));
  const native = readSafetensors(new Uint8Array(readFileSync(nativeFile)));
  // The same run: the same configuration, and the same training points bit for bit (the core's own
  // generator draws them, with no floating-point sums that could round differently).
  assert.deepEqual(JSON.parse(wasm.metadata.config ?? '{}'), JSON.parse(native.metadata.config ?? '{}'));
  assert.deepEqual(Object.keys(wasm.tensors).sort(), Object.keys(native.tensors).sort());
  const data = Object.keys(wasm.tensors).find((k) => /data/.test(k));
  assert.ok(data, `no training data among ${Object.keys(wasm.tensors).join(', ')}`);
  assert.deepEqual(Array.from(wasm.tensors[data]), Array.from(native.tensors[data]));
  // The weights: the same initial draws, batches, noise and levels; only the rounding of sums differs
  // (AVX-512 with FMA natively, 4-lane WebAssembly without). BOUND is derived in the comment below.
  let worst = 0, worstName = '';
  for (const [name, w] of Object.entries(wasm.tensors)) {
    if (name === data) continue;
    const v = native.tensors[name];
    for (let i = 0; i < w.length; i++) {
      const d = Math.abs(w[i] - v[i]);
      if (d > worst) [worst, worstName] = [d, name];
    }
  }
  console.log(`flow training, WASM vs native after ${flowSettings.steps} steps: largest weight difference ${worst.toExponential(2)} (${worstName})`);
  assert.ok(worst < WEIGHT_BOUND, `weights differ by ${worst} (${worstName}), above ${WEIGHT_BOUND}`);
});

// A bound on how far two runs of Adam that differ only in rounding can move apart. A gradient
// component computed in float32 through 2 hidden layers of 33-term sums is within a relative
// ~4 x 33 u = 8e-6 of the other build's (Higham 3.1; u = 2^-24), so the first moment m and the
// second v agree to that relative error, and the update lr m_hat / (sqrt(v_hat) + eps) to about
// 1.5 x 8e-6 of its size, which is at most lr (Adam's step is bounded by the learning rate while
// |m_hat| <= sqrt(v_hat)). Over K steps of the default peak lr 1e-3 that is K x 1e-3 x 1.2e-5 =
// 1.4e-6 for K = 120, plus the change the weights' own difference makes to the next gradients (a
// factor of a few: the network is smooth and the steps small). The bound allows 1e-4: 70 times
// that estimate, and still 10 times below one step's size (1e-3), so a step that differs (a
// different batch, noise, level or learning rate) fails it.
const WEIGHT_BOUND = 1e-4;

test('a flow model\'s views: the forward process is its straight path, the schedule its levels; no ELBO', () => {
  const t = diffuse.trainerCreate({ ...flowSettings, shift: 1, steps: 10, warmup: 0, timesteps: 100 }, { dataset: 'moons' }).trainer;
  t.train(10);
  const points = new Float32Array([0, 0, 1, 0.5, -1, 0.25, 0.5, -0.5]);
  const f = diffuse.forwardCreate({ objective: 'flow', shift: 1, timesteps: 100 }, points, 0).forward;
  const d = diffuse.forwardCreate({ timesteps: 100 }, points, 0).forward;
  // x_s = (1 - s) x0 + s eps at level s = (t + 1)/T (shift 1: diffusers' training sigmas): s = 1 at
  // t = 99 is eps itself, s = 0.01 at t = 0 is 0.99 x0 + 0.01 eps, so x0 and then x at s = 0.5 follow
  // (affine in data units too: the normalization is affine). Float32 rounding: 1e-5.
  const at = f.at(49);
  assert.equal(at.level, 0.5);
  assert.equal(at.alphaBar, null);
  const start = f.at(0).points, eps = f.at(99).points, mid = at.points;
  for (let i = 0; i < mid.length; i++) {
    const x0 = (start[i] - 0.01 * eps[i]) / 0.99;
    assert.ok(Math.abs(mid[i] - (0.5 * x0 + 0.5 * eps[i])) < 1e-5, `${i}: ${mid[i]} vs ${0.5 * x0 + 0.5 * eps[i]}`);
  }
  assert.equal(d.at(49).level, null);
  const tables = diffuse.scheduleTables({ objective: 'flow', shift: 3, timesteps: 100 });
  assert.equal(tables.objective, 'flow');
  const s = 0.5, shifted = 3 * s / (1 + 2 * s);
  assert.ok(Math.abs(tables.level[49] - shifted) < 1e-12);
  assert.ok(Math.abs(tables.snr[49] - ((1 - shifted) / shifted) ** 2) < 1e-12);
  const model = t.model(true).model;
  assert.match(model.elbo(points, {}).error, /flow-matching model/);
  // the field of a flow model: its velocity, and x0_hat = x - s v
  const field = model.field(49, { xmin: -1, xmax: 1, ymin: -1, ymax: 1, nx: 2, ny: 2 });
  assert.equal(field.ok, true, field.error);
  assert.equal(field.eps.length, 8);
  for (const o of [f, d, model, t]) o.delete();
});
