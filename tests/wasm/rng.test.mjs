// The WebAssembly RNG draws exactly the golden values that the native test also checks
// (tests/reference/rng_golden.json, written by an independent Python implementation).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadDiffuse, repoRoot } from './load_module.mjs';

const diffuse = await loadDiffuse();
const golden = JSON.parse(readFileSync(path.join(repoRoot, 'tests', 'reference', 'rng_golden.json'), 'utf8'));

const bitsOf = (floats) => Array.from(new Uint32Array(Float32Array.from(floats).buffer));

for (const g of golden.cases) {
  test(`seed ${g.seed} stream ${g.stream}: same u32, uniform and normal draws as native`, () => {
    const n = g.u32.length;
    const draws = diffuse.rngDraws(g.seed, g.stream, n);
    assert.equal(draws.ok, true, draws.error);
    assert.deepEqual(Array.from(draws.u32), g.u32);
    assert.deepEqual(bitsOf(draws.uniform), g.uniform_bits);
    assert.deepEqual(bitsOf(draws.normal), g.normal_bits);
  });
}
