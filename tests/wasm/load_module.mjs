// Loads a WebAssembly build under node: build-wasm/bin/diffuse.mjs (the page's module) by default,
// or build-wasm/bin/diffuse_bench.mjs (the page's module plus the kernel benchmarks and in-module
// kernel checks of bench/wasm/bench_bindings.cpp) through loadDiffuseBench().
// Emscripten 3.1.6's loader expects CommonJS globals under node and would fetch() the .wasm by
// path under Node 20, so we set `require` and `__dirname` and hand it the bytes ourselves.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const wasmDir = process.env.DIFFUSE_WASM_DIR ?? path.join(repoRoot, 'build-wasm', 'bin');
export const nativeBinary = process.env.DIFFUSE_NATIVE_BIN ?? path.join(repoRoot, 'build', 'bin', 'diffuse');

export async function loadDiffuse(name = 'diffuse') {
  globalThis.require ??= createRequire(import.meta.url);
  globalThis.__dirname ??= wasmDir;
  const { default: createDiffuseModule } = await import(pathToFileURL(path.join(wasmDir, `${name}.mjs`)).href);
  return createDiffuseModule({ wasmBinary: readFileSync(path.join(wasmDir, `${name}.wasm`)) });
}

export const loadDiffuseBench = () => loadDiffuse('diffuse_bench');
