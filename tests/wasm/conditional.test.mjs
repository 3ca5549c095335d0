// Class conditioning in the page's module: a conditional run draws labeled data, its sampler gives
// every sample the class asked for (all in turn, or one), samples carry their labels and shape,
// guidance w = 1 is the conditional model itself and w = 0 the unconditional one, and the page's
// settings spec is the core's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadDiffuse, repoRoot } from './load_module.mjs';

const diffuse = await loadDiffuse();
const ok = (r) => { assert.equal(r.ok, true, r.error); return r; };
const bits = (f32) => Array.from(new Uint32Array(Float32Array.from(f32).buffer));

function conditionalRun(extra = {}) {
  const created = ok(diffuse.trainerCreate({ hidden: 16, layers: 2, batch: 32, steps: 50, trainSize: 400,
    conditional: true, seed: 2, warmup: 5, ...extra }, { dataset: 'gaussians8' }));
  return created;
}

test('a conditional run has the data set\'s classes and labels', () => {
  const created = conditionalRun();
  assert.equal(created.classes, 8);
  assert.deepEqual(created.shape, [2]);
  assert.equal(created.settings.conditional, true);
  const data = ok(created.trainer.data());
  assert.equal(data.labels.length, 400);
  assert.ok(data.labels.every((k) => k >= 0 && k < 8));
  ok(created.trainer.train(10));
  created.trainer.delete();
});

test('sampling a conditional model: classes all in turn or one, labels and shape returned', () => {
  const created = conditionalRun();
  ok(created.trainer.train(50));
  const model = ok(created.trainer.model(true)).model;
  const sample = (options) => {
    const { sampler } = ok(model.sampler({ sampler: 'ddim', samplerSteps: 5, n: 20, seed: 1, chunkRows: 7, ...options }));
    while (!ok(sampler.advance(5)).done);
    const current = ok(sampler.current());
    sampler.delete();
    return current;
  };
  const all = sample({ classLabel: 'all', guidance: 2 });
  assert.deepEqual(Array.from(all.labels), Array.from({ length: 20 }, (_, i) => i % 8));
  assert.deepEqual(all.shape, [2]);
  const three = sample({ classLabel: 3, guidance: 2 });
  assert.ok(three.labels.every((k) => k === 3));
  // w = 1 is the conditional model unguided; w = 0 is the null class, which is sampling without a class
  const unguided = sample({ classLabel: 3, guidance: 1 }), guided = sample({ classLabel: 3, guidance: 2 });
  assert.notDeepEqual(bits(unguided.x), bits(guided.x));
  const zero = sample({ classLabel: 3, guidance: 0 }), none = sample({});
  assert.deepEqual(bits(zero.x), bits(none.x));
  assert.equal(none.labels, null);
  for (const [options, pattern] of [[{ classLabel: 8 }, /classLabel = 8/], [{ classLabel: 'some' }, /classLabel/],
    [{ classLabel: 1, guidance: NaN }, /guidance/]]) {
    const r = model.sampler({ n: 4, ...options });
    assert.equal(r.ok, false);
    assert.match(r.error, pattern);
  }
  model.delete();
  created.trainer.delete();
});

test('an unconditional model refuses a class; a conditional run needs a labeled data set', () => {
  const plain = ok(diffuse.trainerCreate({ hidden: 8, layers: 1, steps: 5, warmup: 0, trainSize: 100 }, { dataset: 'moons' }));
  const model = ok(plain.trainer.model(true)).model;
  const r = model.sampler({ n: 4, classLabel: 0 });
  assert.equal(r.ok, false);
  assert.match(r.error, /unconditional/);
  model.delete();
  plain.trainer.delete();
  const swiss = diffuse.trainerCreate({ conditional: true, trainSize: 100 }, { dataset: 'swissroll' });
  assert.equal(swiss.ok, false);
  assert.match(swiss.error, /swissroll has no class labels/);
  const unlabeled = diffuse.trainerCreate({ conditional: true }, { points: new Float32Array([0, 0, 1, 1, 2, 0]) });
  assert.equal(unlabeled.ok, false);
  assert.match(unlabeled.error, /labeled points/);
  const labeled = ok(diffuse.trainerCreate({ conditional: true, hidden: 8, layers: 1, steps: 5, warmup: 0 },
    { points: new Float32Array([0, 0, 1, 1, 2, 0, 3, 1]), labels: new Int32Array([0, 1, 0, 2]), source: 'drawn' }));
  assert.equal(labeled.classes, 3);
  labeled.trainer.delete();
});

test('a CSV label column is the labels, never a coordinate', () => {
  const csv = ok(diffuse.csvParse('x,label,y\n0,1,0\n1,0,2\n2,1,1\n', 'points.csv'));
  assert.equal(csv.dims, 2);
  assert.deepEqual(Array.from(csv.points), [0, 0, 1, 2, 2, 1]);
  assert.deepEqual(Array.from(csv.labels), [1, 0, 1]);
  assert.equal(csv.classes, 2);
  const bad = diffuse.csvParse('x,y,label\n0,0,1.5\n1,1,0\n', 'bad.csv');
  assert.equal(bad.ok, false);
  assert.match(bad.error, /label 1.5/);
});

test('web/src/core_settings.js is the module\'s settingsSpec(): the page reads the core\'s limits', async () => {
  const spec = diffuse.settingsSpec();
  const file = path.join(repoRoot, 'web', 'src', 'core_settings.js');
  const { CORE_SETTINGS } = await import(`file://${file}?${Date.now()}`);
  assert.deepEqual(JSON.parse(JSON.stringify(CORE_SETTINGS)), JSON.parse(JSON.stringify(spec)));
  assert.deepEqual(spec.hidden, { default: 128, min: 1, max: 1024 });
  assert.equal(spec.labelDropout.default, 0.1);
  assert.equal(spec.guidance.default, 1);
  assert.ok(readFileSync(file, 'utf8').includes('Generated by scripts/assemble_web.mjs'));
});
