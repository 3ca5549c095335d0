// The trainer binding: same-seed runs repeat exactly (the page's "same link, same run"), settings
// are validated with messages naming the setting, live changes keep the run's state, and the data
// is the data set the seed draws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadDiffuse } from './load_module.mjs';

const diffuse = await loadDiffuse();
const small = { hidden: 16, layers: 2, batch: 32, steps: 200, trainSize: 500 };

function losses(settings, steps) {
  const created = diffuse.trainerCreate(settings, { dataset: 'moons' });
  assert.equal(created.ok, true, created.error);
  const r = created.trainer.train(steps);
  created.trainer.delete();
  assert.equal(r.ok, true, r.error);
  return r.losses;
}

const bits = (f32) => Array.from(new Uint32Array(Float32Array.from(f32).buffer));

test('same seed, same settings: the loss sequence repeats bit for bit', () => {
  const a = losses({ ...small, seed: 3 }, 40), b = losses({ ...small, seed: 3 }, 40);
  assert.equal(a.length, 40);
  assert.deepEqual(bits(a), bits(b));
  assert.notDeepEqual(bits(losses({ ...small, seed: 4 }, 40)), bits(a));
});

test('slicing does not change a run: 40 steps in one call equal 10 calls of 4', () => {
  const whole = losses({ ...small, seed: 5 }, 40);
  const created = diffuse.trainerCreate({ ...small, seed: 5 }, { dataset: 'moons' });
  const sliced = [];
  for (let i = 0; i < 10; i++) sliced.push(...created.trainer.train(4).losses);
  created.trainer.delete();
  assert.deepEqual(bits(sliced), bits(whole));
});

test('training lowers the loss and stops at the planned number of steps', () => {
  const created = diffuse.trainerCreate({ ...small, hidden: 32, batch: 64, steps: 400, warmup: 20, seed: 1 },
    { dataset: 'moons' });
  const r = created.trainer.train(1000);
  assert.equal(r.step, 400);
  assert.equal(r.finished, true);
  const mean = (a) => a.reduce((s, x) => s + x, 0) / a.length;
  const first = mean(r.losses.slice(0, 50)), last = mean(r.losses.slice(-50));
  assert.ok(last < 0.8 * first, `loss did not fall: ${first} -> ${last}`);
  assert.equal(created.trainer.train(5).losses.length, 0, 'a finished run takes no more steps');
  created.trainer.delete();
});

test('invalid settings are refused with the setting named', () => {
  const cases = [
    [{ hidden: 'wide' }, /hidden = "wide"/],
    [{ hidden: 0 }, /hidden = 0/],
    [{ lr: -1 }, /learning rate/],
    [{ schedule: 'quadratic' }, /quadratic/],
    [{ prediction: 'score' }, /score/],
    [{ zeroSnr: true }, /zero terminal SNR/],
    [{ seed: -2 }, /seed = -2/],
    [{ batch: 2.5 }, /batch = 2.5/],
  ];
  for (const [settings, message] of cases) {
    const r = diffuse.trainerCreate(settings, { dataset: 'moons' });
    assert.equal(r.ok, false, JSON.stringify(settings));
    assert.match(r.error, message);
  }
  assert.match(diffuse.trainerCreate({}, { dataset: 'moonz' }).error, /moonz/);
  assert.match(diffuse.trainerCreate({}, { points: [1, 2, 3] }).error, /n \* 2/);
  assert.match(diffuse.trainerCreate({}, { points: [1, 2, 1, 2] }).error, /standard deviation|std/);
});

test('the data is the set the seed draws, as the CLI draws it', () => {
  const created = diffuse.trainerCreate({ seed: 9, trainSize: 300 }, { dataset: 'circles' });
  const data = created.trainer.data();
  const drawn = diffuse.datasetSample({ dataset: 'circles', n: 300, seed: 9 }).points;
  assert.equal(data.n, 300);
  for (let i = 0; i < drawn.length; i++) assert.ok(Math.abs(data.points[i] - drawn[i]) < 1e-5, `value ${i}`);
  created.trainer.delete();
});

test('live changes keep weights and optimizer state; only the changed settings apply', () => {
  const base = { ...small, seed: 2 };
  const a = diffuse.trainerCreate(base, { dataset: 'moons' }).trainer;
  const b = diffuse.trainerCreate(base, { dataset: 'moons' }).trainer;
  a.train(20);
  b.train(20);
  const same = b.update(base);
  assert.deepEqual(same.changed, []);
  assert.deepEqual(bits(a.train(10).losses), bits(b.train(10).losses), 'an update without changes changes nothing');
  const changed = b.update({ ...base, lr: 0.01, batch: 64 });
  assert.deepEqual(changed.changed.sort(), ['batch', 'lr']);
  assert.equal(b.info().step, 30);
  assert.equal(b.info().settings.lr, 0.01);
  assert.notDeepEqual(bits(a.train(10).losses), bits(b.train(10).losses));
  assert.match(b.update({ ...base, seed: 3 }).error, /seed cannot change/);
  a.delete();
  b.delete();
});

test('loss by t has a bucket per range of t, filled in by training', () => {
  const t = diffuse.trainerCreate(small, { dataset: 'moons' }).trainer;
  t.train(50);
  const byT = t.lossByT();
  assert.equal(byT.values.length, 20);
  assert.equal(byT.starts[0], 0);
  assert.equal(byT.starts[20], 1000);
  assert.ok(Array.from(byT.values).every(Number.isFinite));
  t.delete();
});

test('a finite blow-up stops training as the CLI does: a loss above 100x the median of the last ones', () => {
  // Learning rate 10 without warm-up: the second loss is finite (about 2e15) and far above the first.
  const created = diffuse.trainerCreate({ lr: 10, warmup: 0, steps: 300 }, { dataset: 'moons' });
  assert.equal(created.ok, true, created.error);
  const r = created.trainer.train(50);
  assert.equal(r.ok, true, r.error);
  assert.equal(r.diverged, true);
  assert.equal(r.finite, true);
  assert.equal(r.losses.length, 1);  // the first step's loss; the second diverged
  assert.ok(r.loss > 100 * r.losses[0], `${r.loss} against ${r.losses[0]}`);
  // The weights that produced the blow-up are bad: the run is back at its last good state (the
  // initial one, as no 100-step mark was passed), as `diffuse train` saves it.
  assert.equal(r.restoredStep, 0);
  assert.equal(r.step, 0);
  assert.equal(created.trainer.info().step, 0);
  const healthy = diffuse.trainerCreate({ steps: 300, trainSize: 1000 }, { dataset: 'moons' }).trainer;
  const h = healthy.train(300);
  assert.equal(h.diverged, false);
  assert.equal(h.losses.length, 300);
  created.trainer.delete();
  healthy.delete();
});
