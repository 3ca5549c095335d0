// The kernels inside WebAssembly (SIMD128: no FMA, the reciprocal estimate is a division) agree
// with their scalar twins to the same derived tolerances as the native tests (checkKernels runs
// gemm on every path and transpose, and SiLU/GELU, against gemm_ref and the activation twins).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadDiffuse, loadDiffuseBench } from './load_module.mjs';

test('gemm and the activations match their scalar twins in WebAssembly', async () => {
  const result = (await loadDiffuseBench()).checkKernels();
  assert.equal(result.ok, true, result.error);
  assert.ok(result.checked > 100000, `only ${result.checked} values checked`);
  assert.equal(result.failures, 0, result.first);
});

test('the benchmark bindings answer, and report bad arguments as errors', async () => {
  const diffuse = await loadDiffuseBench();
  const r = diffuse.benchGemm(16, 16, 16, false, true, 0, 1, 0);
  assert.equal(r.ok, true, r.error);
  assert.ok(r.seconds > 0 && r.minSeconds > 0 && r.minSeconds <= r.seconds);
  assert.equal(diffuse.benchKernel('tanh', 100, 1, 0).ok, false);
  assert.equal(diffuse.benchMlp('infer', 10, 1, 0).ok, false);
  assert.ok(diffuse.benchShapes().length >= 19);
});

test('the page\'s module leaves the benchmark bindings to diffuse_bench', async () => {
  const diffuse = await loadDiffuse();
  assert.equal(typeof diffuse.buildInfo, 'function');
  for (const name of ['benchShapes', 'benchGemm', 'benchKernel', 'benchMlp', 'checkKernels']) {
    assert.equal(diffuse[name], undefined, `${name} is in the page's module`);
  }
});
