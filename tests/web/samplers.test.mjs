// The page's sampler helpers (web/src/samplers.js): the bindings' options carry only what a sampler
// takes (the bindings refuse the rest), the steps and model calls of a run, and its description.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaults } from '../../web/src/state.js';
import { SAMPLER_NAMES, defaultSpacing, isStochastic, modelCalls, offersKarras, samplerConsistent, samplerDescription,
  samplerOptions, samplerSteps, stepsWithin } from '../../web/src/samplers.js';

const page = { ...defaults('points'), eta: 0.5, variance: 'fixed_large', karras: true, samplerSteps: 20 };

test('the core\'s facts about each sampler: Karras sigmas, default spacing, noise', () => {
  assert.deepEqual(SAMPLER_NAMES.filter(offersKarras), ['euler', 'heun', 'dpmpp_2m', 'dpmpp_2m_sde', 'unipc']);
  assert.deepEqual(SAMPLER_NAMES.map(defaultSpacing),
    ['trailing', 'trailing', 'linspace', 'linspace', 'linspace', 'linspace', 'linspace', 'linspace']);
  assert.deepEqual(SAMPLER_NAMES.filter((s) => isStochastic(s)), ['ddpm', 'euler_a', 'dpmpp_2m_sde']);
  assert.equal(isStochastic('ddim', 0.5), true);
});

test('the bindings\' options: each sampler gets its own options only', () => {
  assert.deepEqual(samplerOptions({ ...page, sampler: 'ddim' }), { sampler: 'ddim', samplerSteps: 20, eta: 0.5 });
  assert.deepEqual(samplerOptions({ ...page, sampler: 'ddpm' }),
    { sampler: 'ddpm', samplerSteps: 20, variance: 'fixed_large' });
  assert.deepEqual(samplerOptions({ ...page, sampler: 'dpmpp_2m' }), { sampler: 'dpmpp_2m', samplerSteps: 20, karras: true });
  assert.deepEqual(samplerOptions({ ...page, sampler: 'euler_a', spacing: 'leading' }),
    { sampler: 'euler_a', samplerSteps: 20, spacing: 'leading' });
  // overrides (the quality chart's DDIM at eta 0)
  assert.deepEqual(samplerOptions(page, { sampler: 'ddim', samplerSteps: 5, eta: 0 }), { sampler: 'ddim', samplerSteps: 5, eta: 0 });
});

test('steps and model calls: Heun\'s N steps are 2N - 1 calls; the default steps are the core\'s', () => {
  assert.deepEqual([1, 3, 25, 500].map((N) => modelCalls('heun', N)), [1, 5, 49, 999]);
  assert.equal(modelCalls('unipc', 25), 25);
  assert.deepEqual([5, 10, 20, 50, 100, 1000].map((b) => stepsWithin('heun', b)), [3, 5, 10, 25, 50, 500]);
  assert.equal(stepsWithin('dpmpp_2m', 10), 10);
  const T = 1000;
  assert.equal(samplerSteps({ sampler: 'ddpm', samplerSteps: 0, timesteps: T }), 1000);
  for (const sampler of SAMPLER_NAMES.slice(1)) assert.equal(samplerSteps({ sampler, samplerSteps: 0, timesteps: T }), 50);
  assert.equal(samplerSteps({ sampler: 'heun', samplerSteps: 0, timesteps: 20 }), 20);
  assert.equal(samplerSteps({ sampler: 'heun', samplerSteps: 7, timesteps: T }), 7);
});

test('settings made consistent, and a run described', () => {
  assert.deepEqual(samplerConsistent({ sampler: 'ddim', karras: true }).values, { sampler: 'ddim', karras: false });
  assert.deepEqual(samplerConsistent({ sampler: 'heun', karras: true }), { values: { sampler: 'heun', karras: true }, problems: [] });
  const s = { ...defaults('points'), sampler: 'heun', karras: true };
  assert.equal(samplerDescription(s, { steps: 10, spacing: 'linspace', stepsTotal: 19 }),
    'Heun, 10 linspace steps (19 model calls), Karras sigmas');
  assert.equal(samplerDescription({ ...s, sampler: 'ddim', karras: false }, { steps: 50, spacing: 'trailing', stepsTotal: 50 }),
    'DDIM, 50 trailing steps, η = 0');
  assert.equal(samplerDescription({ ...s, sampler: 'ddpm' }, { steps: 1000, spacing: 'trailing', stepsTotal: 1000 }),
    'DDPM, 1000 steps, β̃_t variance');
});
