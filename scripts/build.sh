#!/usr/bin/env bash
# Builds the native CLI (build/bin/diffuse), the WebAssembly modules (build-wasm/bin: the page's
# diffuse.{mjs,wasm} and diffuse_bench.{mjs,wasm} for benchmarks and kernel tests) and the static
# page (web/dist, with the page's module only). Incremental: a second run only rebuilds what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH=/usr/share/nodejs   # Emscripten's optimizer needs node-acorn

jobs=$(nproc)
[ -f build/CMakeCache.txt ] || cmake --preset release
cmake --build --preset release -j "$jobs"
[ -f build-wasm/CMakeCache.txt ] || cmake --preset wasm
cmake --build --preset wasm -j "$jobs"
node scripts/assemble_web.mjs
