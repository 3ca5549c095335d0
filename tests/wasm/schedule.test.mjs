// The WebAssembly schedule equals the native one (build/bin/diffuse schedule --format json) to
// 1e-6 relative in every column, for every kind, with and without zero terminal SNR.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { loadDiffuse, nativeBinary } from './load_module.mjs';

const diffuse = await loadDiffuse();
const columns = ['beta', 'alpha', 'alpha_bar', 'sqrt_alpha_bar', 'sqrt_one_minus_alpha_bar',
  'posterior_variance', 'posterior_log_variance_clipped', 'posterior_mean_coef1',
  'posterior_mean_coef2', 'snr'];

for (const schedule of ['linear', 'scaled_linear', 'cosine', 'sigmoid']) {
  for (const zeroSnr of [false, true]) {
    test(`${schedule}${zeroSnr ? ' zero-SNR' : ''}: WASM equals native`, () => {
      const args = ['schedule', '--schedule', schedule, '--timesteps', '1000', '--format', 'json'];
      if (zeroSnr) args.push('--zero-snr');
      const native = JSON.parse(execFileSync(nativeBinary, args, { encoding: 'utf8' }));
      const wasm = diffuse.scheduleTables({ schedule, timesteps: 1000, zeroSnr });
      assert.equal(wasm.ok, true, wasm.error);
      assert.equal(wasm.timesteps, 1000);
      for (const name of columns) {
        assert.ok(wasm[name] instanceof Float64Array, name);
        assert.equal(wasm[name].length, 1000, name);
        for (let t = 0; t < 1000; t++) {
          const a = wasm[name][t], b = native[name][t];
          assert.ok(Math.abs(a - b) <= 1e-6 * Math.abs(b), `${name}[${t}]: wasm ${a} native ${b}`);
        }
      }
    });
  }
}

test('invalid parameters come back as { ok: false, error } naming the value', () => {
  const bad = diffuse.scheduleTables({ schedule: 'linear', timesteps: 1 });
  assert.equal(bad.ok, false);
  assert.match(bad.error, /timesteps = 1/);
  const unknown = diffuse.scheduleTables({ schedule: 'quadratic' });
  assert.equal(unknown.ok, false);
  assert.match(unknown.error, /quadratic/);
  // The module keeps working after an error.
  assert.equal(diffuse.scheduleTables({}).ok, true);
});
