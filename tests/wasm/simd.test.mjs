// The .wasm really holds SIMD128 code (v128 / f32x4 instructions), and reports its arch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { loadDiffuse, wasmDir } from './load_module.mjs';

test('the module disassembles to SIMD128 instructions', () => {
  const text = execFileSync('wasm-objdump', ['-d', path.join(wasmDir, 'diffuse.wasm')], {
    encoding: 'utf8', maxBuffer: 1 << 28,
  });
  const f32x4 = (text.match(/f32x4\./g) ?? []).length;
  const v128 = (text.match(/v128\./g) ?? []).length;
  console.log(`f32x4 instructions: ${f32x4}, v128 instructions: ${v128}`);
  assert.ok(f32x4 > 0, 'no f32x4 instructions');
  assert.ok(v128 > 0, 'no v128 instructions');
});

test('buildInfo reports the SIMD128 build', async () => {
  const info = (await loadDiffuse()).buildInfo();
  assert.match(info.simd, /wasm-simd128/);
  assert.equal(info.floatLanes, 4);
});
