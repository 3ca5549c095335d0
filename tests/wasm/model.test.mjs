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

const SAMPLERS = ['ddpm', 'ddim', 'euler', 'euler_a', 'heun', 'dpmpp_2m', 'dpmpp_2m_sde', 'unipc'];
// The options of one sampler only: eta is DDIM's, the variance DDPM's (the bindings refuse them elsewhere).
const own = (sampler) => (sampler === 'ddim' ? { eta: 0.5 } : sampler === 'ddpm' ? { variance: 'fixed_large' } : {});

test('a sampler in row chunks gives exactly the samples of one sampler over all rows, for every sampler', () => {
  for (const sampler of SAMPLERS) {
    const options = { sampler, samplerSteps: 10, n: 300, seed: 4, ...own(sampler) };
    const whole = run({ ...options, chunkRows: 300 }), chunked = run({ ...options, chunkRows: 64 });
    assert.equal(chunked.unitsTotal, (sampler === 'heun' ? 19 : 10) * 5, sampler);
    assert.deepEqual(bits(chunked.x), bits(whole.x), sampler);
    // and the first rows of a larger run are the same rows
    assert.deepEqual(bits(run({ ...options, n: 500, chunkRows: 128 }).x.slice(0, 600)), bits(whole.x), sampler);
  }
});

test('every sampler samples through the bindings, with Karras sigmas where offered', () => {
  const { samplers } = diffuse.settingsSpec().sampler;
  assert.deepEqual(Object.keys(samplers), SAMPLERS);
  for (const sampler of SAMPLERS) {
    for (const karras of samplers[sampler].karras ? [false, true] : [false]) {
      const created = model.sampler({ sampler, samplerSteps: 8, karras, n: 200, seed: 2, ...own(sampler) });
      assert.equal(created.ok, true, created.error);
      assert.equal(created.steps, 8);
      assert.equal(created.stepsTotal, sampler === 'heun' ? 15 : 8, `${sampler}: model calls`);
      assert.equal(created.spacing, samplers[sampler].spacing, sampler);
      assert.ok(created.timestepList instanceof Float64Array);
      assert.equal(created.timestepList.length, created.stepsTotal);
      let p;
      do { p = created.sampler.advance(4); } while (!p.done);
      assert.equal(p.t, -1);
      const { x } = created.sampler.current();
      created.sampler.delete();
      assert.equal(x.length, 400);
      assert.ok(x.every(Number.isFinite), `${sampler} karras ${karras}: finite samples`);
    }
  }
});

test('the deterministic samplers solve the same ODE from the same x_T: at 50 steps they agree', () => {
  // (This barely trained model's samples are far from the data: what matters is that each sampler
  // scales x_T and the model's input as its diffusers scheduler does, so all reach one solution.)
  const ref = run({ sampler: 'ddim', samplerSteps: 200, n: 200, seed: 2 }).x;
  const scale = Math.max(...ref.map(Math.abs));
  for (const sampler of ['ddim', 'euler', 'heun', 'dpmpp_2m', 'unipc']) {
    const { x } = run({ sampler, samplerSteps: 50, n: 200, seed: 2 });
    const worst = Math.max(...x.map((v, i) => Math.abs(v - ref[i])));
    assert.ok(worst < 0.02 * scale, `${sampler}: ${worst} against DDIM 200 (scale ${scale})`);
  }
});

test('euler evaluates the model at fractional timesteps, and the trajectory shows them', () => {
  // np.linspace(0, 999, 7) reversed: diffusers' EulerDiscreteScheduler with linspace spacing
  const expected = [999, 832.5, 666, 499.5, 333, 166.5, 0];
  const created = model.sampler({ sampler: 'euler', samplerSteps: 7, n: 10, seed: 1, recordEvery: 1 });
  assert.equal(created.ok, true, created.error);
  assert.deepEqual(Array.from(created.timestepList), expected);
  const first = created.sampler.advance(1);
  assert.equal(first.t, 832.5);
  created.sampler.delete();
  const { trajectory } = run({ sampler: 'euler', samplerSteps: 7, n: 10, seed: 1, recordEvery: 1 });
  assert.ok(trajectory.timesteps instanceof Float64Array);
  assert.deepEqual(Array.from(trajectory.timesteps), [...expected, -1]);
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

test('spacing: absent is the sampler\'s own default (trailing for ddpm and ddim, linspace for the others)', () => {
  const list = (options) => {
    const created = model.sampler({ n: 1, samplerSteps: 10, ...options });
    assert.equal(created.ok, true, created.error);
    created.sampler.delete();
    return Array.from(created.timestepList);
  };
  assert.deepEqual(list({ sampler: 'ddim' }), list({ sampler: 'ddim', spacing: 'trailing' }));
  assert.deepEqual(list({ sampler: 'ddim' }).slice(0, 2), [999, 899]);
  assert.deepEqual(list({ sampler: 'dpmpp_2m' }), list({ sampler: 'dpmpp_2m', spacing: 'linspace' }));
  assert.notDeepEqual(list({ sampler: 'dpmpp_2m' }), list({ sampler: 'dpmpp_2m', spacing: 'trailing' }));
  assert.equal(diffuse.settingsSpec().spacing.default, null);
});

test('sampler settings are validated, with the setting named', () => {
  assert.match(model.sampler({ sampler: 'dpm' }).error, /unknown sampler 'dpm': allowed are ddpm, ddim, euler, euler_a/);
  assert.match(model.sampler({ samplerSteps: 5000 }).error, /samplerSteps = 5000/);
  assert.match(model.sampler({ sampler: 'ddim', eta: 2 }).error, /eta/);
  assert.match(model.sampler({ sampler: 'ddim', spacing: 'karras' }).error, /timestep spacing 'karras'/);
  // options of another sampler
  assert.match(model.sampler({ sampler: 'ddpm', eta: 0 }).error, /eta applies to sampler ddim only/);
  assert.match(model.sampler({ sampler: 'euler', variance: 'fixed_small' }).error, /variance applies to sampler ddpm only/);
  // Karras sigmas where diffusers offers them only
  for (const sampler of ['ddpm', 'ddim', 'euler_a']) {
    const error = model.sampler({ sampler, karras: true, n: 1, ...own(sampler) }).error;
    assert.match(error, new RegExp(`karras = true applies to samplers euler, heun, dpmpp_2m, dpmpp_2m_sde, unipc only .*${sampler}`));
    assert.equal(model.sampler({ sampler, karras: false, n: 1 }).ok, true, sampler);
  }
  assert.match(model.sampler({ sampler: 'euler', karras: 'yes' }).error, /karras = "yes" is invalid: must be true or false/);
  // a multistep solver whose rounded steps would repeat (linspace with K = T) has no plan
  assert.match(model.sampler({ sampler: 'dpmpp_2m', samplerSteps: 1000, n: 1 }).error,
    /steps = 1000 is too many for dpmpp_2m with linspace spacing and T = 1000: the rounded timesteps repeat/);
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
