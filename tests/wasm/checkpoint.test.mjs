// Checkpoints are the same bytes natively and in WebAssembly: a WASM checkpoint resumes exactly in
// WASM, the native reader (build/tests/tools/checkpoint_tool, the core's checkpoint_read) accepts
// it and samples what WASM samples, and a natively written checkpoint loads and samples in WASM.
// Corrupt bytes are refused with a message and leave the module working.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadDiffuse, repoRoot } from './load_module.mjs';

const diffuse = await loadDiffuse();
const tool = process.env.DIFFUSE_CHECKPOINT_TOOL ?? path.join(repoRoot, 'build', 'tests', 'tools', 'checkpoint_tool');
const dir = mkdtempSync(path.join(tmpdir(), 'diffuse-ckpt-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const settings = { hidden: 32, layers: 2, batch: 64, steps: 300, trainSize: 2000, seed: 11 };
const bits = (f32) => Array.from(new Uint32Array(Float32Array.from(f32).buffer));

function ddim(model, n, seed, steps) {
  const s = model.sampler({ sampler: 'ddim', samplerSteps: steps, n, seed }).sampler;
  let p;
  do { p = s.advance(10); } while (!p.done);
  const x = s.current().x;
  s.delete();
  return x;
}

test('a checkpoint resumes exactly: save at step 20, load, train 10 = the same 10 losses', () => {
  const a = diffuse.trainerCreate(settings, { dataset: 'moons' }).trainer;
  a.train(20);
  const saved = diffuse.checkpointSave(a);
  assert.equal(saved.ok, true, saved.error);
  assert.equal(saved.step, 20);
  const loaded = diffuse.checkpointLoad(saved.bytes, 'a.safetensors');
  assert.equal(loaded.ok, true, loaded.error);
  assert.equal(loaded.step, 20);
  assert.equal(loaded.resumable, true);
  assert.equal(loaded.source, 'moons');
  assert.equal(loaded.settings.hidden, 32);
  assert.equal(loaded.data.length, 2 * 2000);
  assert.deepEqual(bits(loaded.trainer.train(10).losses), bits(a.train(10).losses));
  for (const o of [a, loaded.trainer, loaded.model]) o.delete();
});

test('corrupt or truncated bytes are refused with a message; the module keeps working', () => {
  const t = diffuse.trainerCreate(settings, { dataset: 'moons' }).trainer;
  const good = diffuse.checkpointSave(t).bytes;
  const cases = [new Uint8Array(0), new Uint8Array([1, 2, 3]), good.slice(0, good.length - 100),
    Uint8Array.from(good, (b, i) => (i > 8 && i < 60 ? 0x20 : b))];
  for (const bytes of cases) {
    const r = diffuse.checkpointLoad(bytes, 'bad.safetensors');
    assert.equal(r.ok, false);
    assert.match(r.error, /bad\.safetensors/);
  }
  assert.match(diffuse.checkpointLoad([1, 2], 'x').error, /Uint8Array/);
  assert.equal(t.train(2).ok, true);
  t.delete();
});

const haveTool = existsSync(tool);

test('WASM checkpoint -> native reader: accepted, and native DDIM samples equal WASM ones', { skip: !haveTool && `no ${tool}` }, () => {
  const t = diffuse.trainerCreate(settings, { dataset: 'moons' }).trainer;
  t.train(120);
  const file = path.join(dir, 'wasm.safetensors');
  writeFileSync(file, diffuse.checkpointSave(t).bytes);
  const native = JSON.parse(execFileSync(tool, ['sample', file, '200', '5', '20'], { encoding: 'utf8' }));
  assert.equal(native.step, 120);
  assert.equal(native.source, 'moons');
  assert.equal(native.resumable, true);
  assert.equal(native.model.hidden, 32);
  const model = t.model(true).model;
  const wasm = ddim(model, 200, 5, 20);
  let worst = 0;
  for (let i = 0; i < wasm.length; i++) worst = Math.max(worst, Math.abs(wasm[i] - native.samples[i]));
  // Same weights, same noise; only float rounding differs (SIMD widths differ).
  assert.ok(worst < 1e-3, `largest difference ${worst}`);
  model.delete();
  t.delete();
});

test('native checkpoint -> WASM: loads, resumes and samples what native samples', { skip: !haveTool && `no ${tool}` }, () => {
  const file = path.join(dir, 'native.safetensors');
  execFileSync(tool, ['train', file, 'circles', '150', '3', '32', '64']);
  const loaded = diffuse.checkpointLoad(new Uint8Array(readFileSync(file)), 'native.safetensors');
  assert.equal(loaded.ok, true, loaded.error);
  assert.equal(loaded.step, 150);
  assert.equal(loaded.source, 'circles');
  assert.equal(loaded.settings.seed, 3);
  const native = JSON.parse(execFileSync(tool, ['sample', file, '100', '8', '25'], { encoding: 'utf8' }));
  const wasm = ddim(loaded.model, 100, 8, 25);
  let worst = 0;
  for (let i = 0; i < wasm.length; i++) worst = Math.max(worst, Math.abs(wasm[i] - native.samples[i]));
  assert.ok(worst < 1e-3, `largest difference ${worst}`);
  assert.equal(loaded.trainer.train(5).step, 150, 'a finished run takes no more steps');
  assert.equal(loaded.trainer.update({ ...loaded.settings, steps: 160 }).ok, true);
  assert.equal(loaded.trainer.train(100).step, 160);
  loaded.trainer.delete();
  loaded.model.delete();
});

const cli = process.env.DIFFUSE_NATIVE_BIN ?? path.join(repoRoot, 'build', 'bin', 'diffuse');
const haveFlow = existsSync(cli) && /--objective/.test(execFileSync(cli, ['train', '--help'], { encoding: 'utf8' }));

// Samples 100 points with `sampler` (10 steps, seed 4) in WASM and with the native CLI from the same
// checkpoint file: the two agree to float32 rounding of the same arithmetic (bound 1e-3).
function assertSamplesAsNative(model, file, csv, sampler) {
  const created = model.sampler({ sampler, samplerSteps: 10, n: 100, seed: 4 });
  assert.equal(created.ok, true, created.error);
  while (!created.sampler.advance(5).done);
  const wasm = created.sampler.current().x;
  created.sampler.delete();
  execFileSync(cli, ['sample', '--model', file, '--sampler', sampler, '--steps', '10', '--n', '100', '--seed', '4',
    '--out', csv, '-q']);
  const native = readFileSync(csv, 'utf8').trim().split('\n').slice(1).flatMap((l) => l.split(',').map(Number));
  assert.equal(native.length, wasm.length);
  let worst = 0;
  for (let i = 0; i < wasm.length; i++) worst = Math.max(worst, Math.abs(wasm[i] - native[i]));
  assert.ok(worst < 1e-3, `largest difference ${worst}`);
}

test('a native flow-matching checkpoint samples in WASM on its own levels: euler as natively, ddim refused',
  { skip: !haveFlow && `no ${cli} with train --objective` }, () => {
    const file = path.join(dir, 'flow.safetensors'), csv = path.join(dir, 'flow.csv');
    execFileSync(cli, ['train', '--dataset', 'moons', '--objective', 'flow', '--hidden', '32', '--layers', '2',
      '--steps', '200', '--out', file, '-q']);
    const loaded = diffuse.checkpointLoad(new Uint8Array(readFileSync(file)), 'flow.safetensors');
    assert.equal(loaded.ok, true, loaded.error);
    const model = loaded.model;
    assert.match(model.sampler({ sampler: 'ddim', n: 4 }).error, /ddim is for diffusion models/);
    assert.match(model.sampler({ sampler: 'euler', karras: true, n: 4 }).error, /karras/);
    assertSamplesAsNative(model, file, csv, 'euler');
    for (const o of [loaded.trainer, loaded.model]) o?.delete();
  });

const haveLearned = existsSync(cli) && /--learn-variance/.test(execFileSync(cli, ['train', '--help'], { encoding: 'utf8' }));

test('a native learned-variance checkpoint loads in WASM and samples its mean as natively (the page offers fixed variances)',
  { skip: !haveLearned && `no ${cli} with train --learn-variance` }, () => {
    const file = path.join(dir, 'learned.safetensors'), csv = path.join(dir, 'learned.csv');
    execFileSync(cli, ['train', '--dataset', 'moons', '--learn-variance', '--hidden', '32', '--layers', '2',
      '--steps', '200', '--out', file, '-q']);
    const loaded = diffuse.checkpointLoad(new Uint8Array(readFileSync(file)), 'learned.safetensors');
    assert.equal(loaded.ok, true, loaded.error);
    assertSamplesAsNative(loaded.model, file, csv, 'ddim');
    const ddpm = loaded.model.sampler({ sampler: 'ddpm', samplerSteps: 20, n: 50, seed: 1, variance: 'fixed_small' });
    assert.equal(ddpm.ok, true, ddpm.error);
    while (!ddpm.sampler.advance(10).done);
    assert.ok(ddpm.sampler.current().x.every(Number.isFinite));
    ddpm.sampler.delete();
    if (loaded.trainer) assert.equal(loaded.trainer.train(5).step, 200, 'a finished run takes no more steps');
    for (const o of [loaded.trainer, loaded.model]) o?.delete();
  });
