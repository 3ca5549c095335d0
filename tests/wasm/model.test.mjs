// The bindings around a model: samplers (chunked = whole, trajectories), the eps-field, the ELBO,
// the forward process, the metrics against brute-force JavaScript, data and CSV.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadDiffuse } from './load_module.mjs';

const diffuse = await loadDiffuse();
const trainer = diffuse.trainerCreate({ hidden: 16, layers: 2, batch: 32, steps: 100, trainSize: 400, seed: 1 },
  { dataset: 'moons' }).trainer;
trainer.train(60);
const model = trainer.model(true).model;
const bits = (f32) => Array.from(new Uint32Array(Float32Array.from(f32).buffer));

function run(options) {
  const created = model.sampler(options);
  assert.equal(created.ok, true, created.error);
  let p;
  do { p = created.sampler.advance(3); } while (!p.done);
  const out = { x: created.sampler.current().x, trajectory: created.sampler.trajectory(50), unitsTotal: created.unitsTotal };
  created.sampler.delete();
  return out;
}

test('a sampler in row chunks gives exactly the samples of one sampler over all rows', () => {
  for (const sampler of ['ddpm', 'ddim']) {
    const options = { sampler, samplerSteps: 20, eta: 0.5, n: 300, seed: 4 };
    const whole = run({ ...options, chunkRows: 300 }), chunked = run({ ...options, chunkRows: 64 });
    assert.equal(chunked.unitsTotal, 20 * 5);
    assert.deepEqual(bits(chunked.x), bits(whole.x), sampler);
    // and the first rows of a larger run are the same rows
    assert.deepEqual(bits(run({ ...options, n: 500, chunkRows: 128 }).x.slice(0, 600)), bits(whole.x));
  }
});

test('trajectories: a frame every recordEvery steps and the end, x_t and x0_hat per frame', () => {
  const { trajectory, x } = run({ sampler: 'ddim', samplerSteps: 20, n: 80, seed: 1, recordEvery: 5 });
  assert.deepEqual(Array.from(trajectory.timesteps), [999, 749, 499, 249, -1]);
  assert.equal(trajectory.frames, 5);
  assert.equal(trajectory.n, 50);
  assert.equal(trajectory.x.length, 5 * 50 * 2);
  assert.equal(trajectory.x0Hat.length, 5 * 50 * 2);
  assert.deepEqual(bits(trajectory.x.slice(4 * 100)), bits(x.slice(0, 100)), 'the last frame is the sample');
});

test('sampler settings are validated', () => {
  assert.match(model.sampler({ sampler: 'euler' }).error, /euler/);
  assert.match(model.sampler({ samplerSteps: 5000 }).error, /samplerSteps = 5000/);
  assert.match(model.sampler({ sampler: 'ddim', eta: 2 }).error, /eta/);
});

test('the eps-field: a grid in data units, eps and x0_hat consistent with x_t', () => {
  const f = model.field(500, { xmin: -1, xmax: 2, ymin: -1, ymax: 1, nx: 6, ny: 4 });
  assert.equal(f.ok, true, f.error);
  assert.equal(f.points.length, 48);
  assert.ok(Math.abs(f.points[0] - (-1 + 0.25)) < 1e-6);
  // x_t = sqrt(ab) x0_hat + sqrt(1 - ab) eps in the normalized space (prediction eps)
  const info = model.info();
  const { mean, std } = info.normalization;
  const ab = diffuse.scheduleTables({}).alpha_bar[500];
  for (let i = 0; i < 24; i++) {
    for (let d = 0; d < 2; d++) {
      const xt = (f.points[2 * i + d] - mean[d]) / std[d], x0 = (f.x0Hat[2 * i + d] - mean[d]) / std[d];
      const back = Math.sqrt(ab) * x0 + Math.sqrt(1 - ab) * f.eps[2 * i + d];
      assert.ok(Math.abs(back - xt) < 1e-3, `point ${i}: ${back} vs ${xt}`);
    }
  }
  assert.match(model.field(1000, {}).error, /t = 1000/);
});

test('the ELBO: the three terms add up, one term per t, the prior term is near zero', () => {
  const examples = trainer.data().points.slice(0, 80);
  const created = model.elbo(examples, { strata: 0, batch: 20 });
  assert.equal(created.ok, true, created.error);
  assert.equal(created.unitsTotal, 1000 * 2);
  let p;
  do { p = created.elbo.advance(97); } while (!p.done);
  const r = created.elbo.result();
  assert.equal(r.examples, 40);
  assert.equal(r.perT.length, 1000);
  assert.ok(Math.abs(r.prior + r.diffusion + r.decoder - r.nllNats) < 1e-9);
  assert.ok(r.prior >= 0 && r.prior < 1e-3, `L_T = ${r.prior}`);
  assert.ok(r.diffusion > 0);
  const sumPerT = Array.from(r.perT).slice(1).reduce((s, v) => s + v, 0);
  assert.ok(Math.abs(sumPerT - r.diffusion) < 1e-6 * Math.abs(r.diffusion));
  created.elbo.delete();
  assert.match(model.elbo([1, 2, 3], {}).error, /n \* 2/);
});

test('the forward process: x_t at t = 0 is near the data, at T-1 its normalized spread is ~N(0, 1)', () => {
  const points = trainer.data().points;
  const f = diffuse.forwardCreate({}, points, 0).forward;
  const near = f.at(0).points;
  let worst = 0;
  for (let i = 0; i < near.length; i++) worst = Math.max(worst, Math.abs(near[i] - points[i]));
  assert.ok(worst < 0.1, `x_0 moved by ${worst}`);
  const far = f.at(999);
  assert.ok(far.alphaBar < 1e-4);
  const { mean, std } = trainer.info().normalization;
  const z = Array.from(far.points.filter((_, i) => i % 2 === 0), (x) => (x - mean[0]) / std[0]);
  const m = z.reduce((s, v) => s + v, 0) / z.length, v = z.reduce((s, x) => s + (x - m) ** 2, 0) / z.length;
  assert.ok(Math.abs(m) < 0.2 && Math.abs(v - 1) < 0.25, `mean ${m} variance ${v}`);
  // the same eps at every t: the path of a point is a straight line from x_0 to its eps
  const mid = f.at(500).points;
  const a = Math.sqrt(diffuse.scheduleTables({}).alpha_bar[500]);
  const b = Math.sqrt(1 - a * a);
  const eps = (far.points[0] - mean[0]) / std[0] - Math.sqrt(far.alphaBar) * (points[0] - mean[0]) / std[0];
  const predicted = mean[0] + std[0] * (a * (points[0] - mean[0]) / std[0] + b * eps / Math.sqrt(1 - far.alphaBar));
  assert.ok(Math.abs(mid[0] - predicted) < 1e-3, `${mid[0]} vs ${predicted}`);
  f.delete();
});

function energyBruteForce(x, y) {
  const pairs = (a, b, same) => {
    let sum = 0, count = 0;
    for (let i = 0; i < a.length; i += 2) {
      for (let j = 0; j < b.length; j += 2) {
        if (same && i === j) continue;
        sum += Math.hypot(a[i] - b[j], a[i + 1] - b[j + 1]);
        count += 1;
      }
    }
    return sum / count;
  };
  return 2 * pairs(x, y, false) - pairs(x, x, true) - pairs(y, y, true);
}

test('energy distance and MMD agree with brute force in JavaScript', () => {
  const x = diffuse.datasetSample({ dataset: 'moons', n: 120, seed: 1 }).points;
  const y = diffuse.datasetSample({ dataset: 'circles', n: 90, seed: 2 }).points;
  const e = diffuse.energyDistance(x, y);
  assert.ok(Math.abs(e.u - energyBruteForce(x, y)) < 1e-6, `${e.u} vs ${energyBruteForce(x, y)}`);  // float32 distances
  const h = 0.7;
  const k = (a, i, b, j) => Math.exp(-((a[i] - b[j]) ** 2 + (a[i + 1] - b[j + 1]) ** 2) / (2 * h * h));
  const mean = (a, b, same) => {
    let s = 0, c = 0;
    for (let i = 0; i < a.length; i += 2) for (let j = 0; j < b.length; j += 2) if (!same || i !== j) { s += k(a, i, b, j); c++; }
    return s / c;
  };
  const mmd = diffuse.mmd(x, y, { bandwidth: h });
  assert.ok(Math.abs(mmd.mmd2 - (mean(x, x, true) + mean(y, y, true) - 2 * mean(x, y, false))) < 1e-6);
  assert.match(diffuse.energyDistance([1, 2], y).error, /at least 2/);
});

test('data: names, CSV with a header, CSV errors name the line', () => {
  assert.deepEqual(diffuse.datasetNames(), ['moons', 'circles', 'gaussians8', 'gaussians25', 'swissroll', 'checkerboard', 'spirals']);
  const csv = diffuse.csvParse('x,y\n1,2\n\n3.5,-4\n', 'p.csv');
  assert.deepEqual(Array.from(csv.points), [1, 2, 3.5, -4]);
  assert.deepEqual(csv.header, ['x', 'y']);
  const bad = diffuse.csvParse('1,2\n3,oops\n', 'p.csv');
  assert.equal(bad.ok, false);
  assert.match(bad.error, /p\.csv.*line 2/);
  assert.equal(diffuse.dataSummary([0, 0, 2, 4]).normalization.std[1], 2);
  assert.equal(diffuse.dataSummary([0, 0]).ok, false);
});
