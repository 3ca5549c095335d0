// Images in WebAssembly: the page's digits asset (web/dist/data, scripts/web_assets.mjs) holds
// exactly sklearn's 1,797 digits and splits as the CLI does; a U-Net run trains on it, saves a
// checkpoint that names its data instead of storing it, and resumes bit for bit from it; samples
// come out as images in data units; the quality classifier scores held-out images as it should; and
// bad bytes are refused with a message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { loadDiffuse, repoRoot } from './load_module.mjs';

const diffuse = await loadDiffuse();
const assets = path.join(repoRoot, 'web', 'dist', 'data');
const asset = (name) => new Uint8Array(gunzipSync(readFileSync(path.join(assets, name))));
const imageBytes = asset('digits-images-idx3-ubyte.gz');
const labelBytes = asset('digits-labels-idx1-ubyte.gz');
const loaded = diffuse.imageDataLoad('digits', imageBytes, labelBytes);
const images = loaded.images;
const small = { channels: '8,16', layersPerBlock: 1, groups: 4, batch: 8, steps: 40, warmup: 5, lr: 2e-3, seed: 3,
  conditional: true, timesteps: 100 };
const bits = (f32) => Array.from(new Uint32Array(Float32Array.from(f32).buffer));

test('the digits asset holds sklearn\'s 1,797 digits, split 1,500 / 297 as the CLI splits them', () => {
  assert.equal(loaded.ok, true, loaded.error);
  assert.deepEqual([loaded.train, loaded.test, loaded.levels, loaded.classes], [1500, 297, 17, 10]);
  assert.deepEqual(loaded.shape, [1, 8, 8]);
  // Independently of the asset script: the CSV's rows (pixels and label) are exactly the union of
  // the two parts, as multisets.
  const csv = gunzipSync(readFileSync(path.join(repoRoot, 'data', 'digits.csv.gz'))).toString('latin1')
    .trim().split('\n').map((line) => line.trim());
  const rows = [];
  for (const part of ['train', 'test']) {
    const t = images.take(part, 0, 2000);
    assert.equal(t.ok, true, t.error);
    for (let i = 0; i < t.n; i++) rows.push([...t.data.subarray(64 * i, 64 * i + 64), t.labels[i]].join(','));
  }
  assert.deepEqual(rows.sort(), csv.sort());
});

test('a U-Net run on the digits trains, and its checkpoint resumes bit for bit on the same images', () => {
  const created = diffuse.trainerCreateImages(small, images);
  assert.equal(created.ok, true, created.error);
  assert.deepEqual(created.shape, [1, 8, 8]);
  assert.equal(created.trainSize, 1500);
  assert.equal(created.classes, 10);
  assert.equal(created.settings.modelKind, 'unet');
  assert.equal(created.settings.channels, '8,16');
  assert.equal(created.normalization.levels, 17);
  const a = created.trainer;
  const first = a.train(10);
  assert.equal(first.ok, true, first.error);
  assert.ok(first.losses.every(Number.isFinite));
  const saved = diffuse.checkpointSave(a);
  assert.equal(saved.ok, true, saved.error);
  // The data set is named, not stored (a checkpoint of the CLI's would be the same): 1,500 images
  // would be 384 KB of floats.
  const reopened = diffuse.checkpointLoad(saved.bytes, 'page.safetensors');
  assert.equal(reopened.ok, true, reopened.error);
  assert.equal(reopened.reloadData, 'digits');
  assert.equal(reopened.trainer, null);
  assert.equal(reopened.data, null);
  reopened.model.delete();
  const resumed = diffuse.checkpointResumeImages(saved.bytes, 'page.safetensors', images);
  assert.equal(resumed.ok, true, resumed.error);
  assert.equal(resumed.step, 10);
  const b = resumed.trainer;
  assert.deepEqual(bits(b.train(5).losses), bits(a.train(5).losses));
  a.delete();
  b.delete();
});

test('a checkpoint of a run on other data does not resume on the digits', () => {
  const created = diffuse.trainerCreate({ hidden: 16, layers: 1, batch: 8, steps: 5, warmup: 0, trainSize: 100 }, { dataset: 'moons' });
  assert.equal(created.ok, true, created.error);
  const moons = created.trainer;
  const saved = diffuse.checkpointSave(moons);
  const r = diffuse.checkpointResumeImages(saved.bytes, 'moons.safetensors', images);
  assert.equal(r.ok, false);
  assert.match(r.error, /trained on moons, not on digits/);
  moons.delete();
});

test('image samples are images in data units, one class per row in turn, and the forward process noises them', () => {
  const trainer = diffuse.trainerCreateImages(small, images).trainer;
  trainer.train(2);
  const model = trainer.model(true).model;
  const s = model.sampler({ sampler: 'ddim', samplerSteps: 5, n: 12, seed: 1, chunkRows: 5, classLabel: 'all',
    guidance: 2, recordEvery: 1 }).sampler;
  let p;
  do { p = s.advance(3); } while (!p.done);
  const now = s.current();
  assert.deepEqual(now.shape, [1, 8, 8]);
  assert.equal(now.x.length, 12 * 64);
  assert.deepEqual(Array.from(now.labels), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
  assert.ok(now.x.every(Number.isFinite));
  const tr = s.trajectory(5);
  assert.equal(tr.n, 5);
  assert.equal(tr.x.length, tr.frames * 5 * 64);
  s.delete();
  model.delete();
  trainer.delete();
  // With T = 1000, x_t at t = 999 is pure noise (alpha_bar = 4e-5): in data units 8 + 8 z (the
  // levels' map), so (x - 8) / 8 over 8 x 64 values has mean 0 +- 0.044 and variance 1 +- 0.0625
  // (one standard error each): the bounds are 4.5 and 4 of them.
  const noisy = diffuse.trainerCreateImages({ ...small, timesteps: 1000 }, images).trainer;
  const fwd = diffuse.forwardFromTrainer(noisy, 8, 0);
  assert.equal(fwd.ok, true, fwd.error);
  const at0 = fwd.forward.at(0).points;
  const clean = images.take('train', 0, 8).data;
  const beta0 = 1e-4;  // x_0 = sqrt(1 - beta_0) x + sqrt(beta_0) eps: within 8 * (0.01 * 5 + 1e-4) of the image
  for (let i = 0; i < at0.length; i++) assert.ok(Math.abs(at0[i] - clean[i]) < 8 * (Math.sqrt(beta0) * 5 + beta0), `pixel ${i}`);
  const last = fwd.forward.at(999);
  const z = Array.from(last.points, (x) => (x - 8) / 8);
  const mean = z.reduce((a, b) => a + b, 0) / z.length;
  const variance = z.reduce((a, b) => a + (b - mean) ** 2, 0) / z.length;
  assert.ok(Math.abs(mean) < 0.2 && variance > 0.75 && variance < 1.25, `mean ${mean}, variance ${variance}`);
  fwd.forward.delete();
  noisy.delete();
});

test('the quality classifier: held-out digits agree with their labels, and score 0 against themselves', () => {
  const c = diffuse.classifierLoad(new Uint8Array(readFileSync(path.join(assets, 'digits-classifier.safetensors'))), 'c');
  assert.equal(c.ok, true, c.error);
  assert.equal(c.dataset, 'digits');
  const reference = images.take('test', 0, 148);
  const same = c.classifier.quality(reference.data, reference.labels, images, 148);
  assert.equal(same.ok, true, same.error);
  assert.ok(Math.abs(same.frechet) < 1e-3 * same.baselineFrechet, `self-distance ${same.frechet}`);
  assert.ok(same.agreement > 0.9, `agreement ${same.agreement}`);  // the classifier's test accuracy is 0.976
  const other = images.take('test', 148, 148);
  const q = c.classifier.quality(other.data, other.labels, images, 148);
  assert.ok(Math.abs(q.frechet - q.baselineFrechet) < 1e-9 * q.baselineFrechet);  // the baseline is exactly this
  // Wrong labels agree about 1 in 10 times at most.
  const wrong = Int32Array.from(other.labels, (k) => (k + 1) % 10);
  assert.ok(c.classifier.quality(other.data, wrong, images, 148).agreement < 0.1);
  // Unconditional samples: no agreement.
  assert.equal(c.classifier.quality(other.data, null, images, 148).agreement, null);
  c.classifier.delete();
});

test('bad image bytes, settings and checkpoints are refused with a message', () => {
  const truncated = diffuse.imageDataLoad('digits', imageBytes.slice(0, 1000), labelBytes);
  assert.equal(truncated.ok, false);
  assert.match(truncated.error, /images/);
  const fashion = diffuse.imageDataLoad('fashion', imageBytes, labelBytes);
  assert.equal(fashion.ok, false);
  assert.match(fashion.error, /allowed is digits/);
  const bright = imageBytes.slice();
  bright[16 + 70] = 17;
  const r = diffuse.imageDataLoad('digits', bright, labelBytes);
  assert.equal(r.ok, false);
  assert.match(r.error, /pixel 6 of image 1 is 17/);
  const wide = diffuse.trainerCreateImages({ ...small, channels: '8,200' }, images);
  assert.equal(wide.ok, false);
  assert.match(wide.error, /channels/);
  const mlp = diffuse.trainerCreateImages({ ...small, modelKind: 'mlp' }, images);
  assert.equal(mlp.ok, false);
  assert.match(mlp.error, /allowed is unet/);
  const groups = diffuse.trainerCreateImages({ ...small, groups: 3 }, images);
  assert.equal(groups.ok, false);
  const garbage = diffuse.checkpointResumeImages(new Uint8Array(100), 'x.safetensors', images);
  assert.equal(garbage.ok, false);
  assert.match(garbage.error, /x\.safetensors/);
});

test('a flow-matching U-Net (the page\'s objective setting) trains on the digits and samples with Euler', () => {
  const created = diffuse.trainerCreateImages({ ...small, objective: 'flow', shift: 3, modelKind: 'unet' }, images);
  assert.equal(created.ok, true, created.error);
  assert.deepEqual([created.settings.objective, created.settings.shift], ['flow', 3]);
  const r = created.trainer.train(10);
  assert.equal(r.ok, true, r.error);
  assert.ok(Array.from(r.losses).every(Number.isFinite));
  const model = created.trainer.model(true).model;
  assert.match(model.sampler({ sampler: 'ddpm', n: 2 }).error, /ddpm is for diffusion models/);
  const s = model.sampler({ sampler: 'euler', samplerSteps: 5, n: 10, seed: 1, classLabel: 'all', guidance: 2 });
  assert.equal(s.ok, true, s.error);
  while (!s.sampler.advance(10).done);
  const x = s.sampler.current().x;
  assert.equal(x.length, 10 * 64);
  assert.ok(x.every((v) => v >= 0 && v <= 16), 'clipped to the grey levels');
  for (const o of [s.sampler, model, created.trainer]) o.delete();
});
