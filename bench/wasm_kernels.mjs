// Kernel benchmarks side by side: native AVX-512 (build/bin/bench_kernels), native SSE4.2 (the
// vector width of WebAssembly SIMD128; build-sse42/bin/bench_kernels) and WebAssembly under node
// (build-wasm/bin/diffuse_bench.mjs: the page's module plus bench/wasm/bench_bindings.cpp, which
// times inside the module). All three time the same workload (bench/kernel_workload.hpp), one
// after the other, in one run.
//
//   node bench/wasm_kernels.mjs [--reps R] [--ms T] [--min] [--wasm-only]
//
// Each figure is the median over R samples of at least T ms (--min: the fastest sample, the
// better estimate of the code on a busy machine). Native binaries that are missing are skipped.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadDiffuseBench, repoRoot } from '../tests/wasm/load_module.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? Number(args[i + 1]) : fallback;
};
const reps = option('--reps', 7);
const ms = option('--ms', 20);
const useMin = args.includes('--min');
const wasmOnly = args.includes('--wasm-only');

// rows: Map "group|name" -> { group, name, unit, work, seconds: { avx512, sse42, wasm } }
const rows = new Map();
function record(column, group, name, unit, work, median, min) {
  const key = `${group}|${name}`;
  if (!rows.has(key)) rows.set(key, { group, name, unit, work, seconds: {} });
  rows.get(key).seconds[column] = useMin ? min : median;
}

function runNative(column, binary) {
  if (!existsSync(binary)) {
    console.error(`(skipping ${column}: ${binary} not built)`);
    return;
  }
  console.error(`running ${path.relative(repoRoot, binary)} ...`);
  const text = execFileSync(binary, ['--json', '--reps', String(reps), '--ms', String(ms)], { encoding: 'utf8' });
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    const r = JSON.parse(line);
    record(column, r.group, r.name, r.unit, r.work, r.seconds, r.min_seconds);
  }
}

function check(result, what) {
  if (!result.ok) throw new Error(`${what}: ${result.error}`);
  return result;
}

async function runWasm() {
  console.error('running WebAssembly (node) ...');
  const diffuse = await loadDiffuseBench();
  const info = diffuse.buildInfo();
  const probe = check(diffuse.benchGemm(192, 32, 128, false, false, 0, reps, ms), 'probe');
  record('wasm', 'probe', 'L1-resident (192,32,128)', 'GFLOP/s', 2 * 192 * 32 * 128, probe.seconds, probe.minSeconds);
  const steps = new Map();  // group -> { median, min, flops }
  for (const s of diffuse.benchShapes()) {
    const r = check(diffuse.benchGemm(s.M, s.N, s.K, s.transA, s.transB, s.beta, reps, ms), s.name);
    const flops = 2 * s.M * s.N * s.K;
    record('wasm', s.group, s.name, 'GFLOP/s', flops, r.seconds, r.minSeconds);
    const step = steps.get(s.group) ?? { median: 0, min: 0, flops: 0 };
    step.median += s.count * r.seconds;
    step.min += s.count * r.minSeconds;
    step.flops += s.count * flops;
    steps.set(s.group, step);
  }
  for (const [group, step] of steps) {
    record('wasm', group, 'all products of one step', 'GFLOP/s', step.flops, step.median, step.min);
  }
  for (const batch of [256, 4096]) {
    const r = check(diffuse.benchMlp('train', batch, reps, ms), 'mlp train');
    record('wasm', `mlp B=${batch}`, 'train step (kernels only)', 'GFLOP/s', r.flops, r.seconds, r.minSeconds);
  }
  const sample = check(diffuse.benchMlp('sample', 10000, reps, ms), 'mlp sample');
  record('wasm', 'mlp M=10000', 'sampling forward', 'GFLOP/s', sample.flops, sample.seconds, sample.minSeconds);
  for (const rowsOf of [256, 4096]) {
    const n = rowsOf * 128;
    for (const act of ['relu', 'silu', 'gelu']) {
      for (const name of [act, `${act}_backward`]) {
        const r = check(diffuse.benchKernel(name, n, reps, ms), name);
        record('wasm', 'elementwise', `${name} ${rowsOf}x128`, 'Gelem/s', n, r.seconds, r.minSeconds);
      }
    }
  }
  for (const name of ['adam', 'ema', 'squared_norm']) {
    const r = check(diffuse.benchKernel(name, 37634, reps, ms), name);
    record('wasm', 'optimizer', `${name} 37634`, 'Gelem/s', 37634, r.seconds, r.minSeconds);
  }
  return info;
}

if (!wasmOnly) {
  runNative('avx512', path.join(repoRoot, 'build', 'bin', 'bench_kernels'));
  runNative('sse42', path.join(repoRoot, 'build-sse42', 'bin', 'bench_kernels'));
}
const info = await runWasm();

const rate = (row, column) => {
  const s = row.seconds[column];
  return s === undefined ? '-' : (row.work / s * 1e-9).toFixed(2);
};
const pad = (text, width) => String(text).padStart(width);
console.log(`\nKernels: ${useMin ? 'fastest' : 'median'} of ${reps} samples of >= ${ms} ms; ` +
            `WebAssembly: ${info.simd}, node ${process.version}`);
console.log(`${'group'.padEnd(15)}${'kernel'.padEnd(28)}${pad('unit', 8)}${pad('AVX-512', 10)}` +
            `${pad('SSE4.2', 10)}${pad('WASM', 10)}${pad('SSE/WASM', 10)}`);
for (const row of rows.values()) {
  const { sse42, wasm } = row.seconds;
  const ratio = sse42 !== undefined && wasm !== undefined ? (wasm / sse42).toFixed(2) : '-';
  console.log(`${row.group.padEnd(15)}${row.name.padEnd(28)}${pad(row.unit, 8)}${pad(rate(row, 'avx512'), 10)}` +
              `${pad(rate(row, 'sse42'), 10)}${pad(rate(row, 'wasm'), 10)}${pad(ratio, 10)}`);
  if (row.group.startsWith('mlp')) {
    const perStep = (c) => (row.seconds[c] === undefined ? '-' : row.name.startsWith('train')
      ? `${(1 / row.seconds[c]).toFixed(0)}/s` : `${(1000 * row.seconds[c]).toFixed(2)}s`);
    const label = row.name.startsWith('train') ? '  steps per second' : '  1000 steps take';
    console.log(`${''.padEnd(15)}${label.padEnd(28)}${pad('', 8)}${pad(perStep('avx512'), 10)}` +
                `${pad(perStep('sse42'), 10)}${pad(perStep('wasm'), 10)}`);
  }
}
