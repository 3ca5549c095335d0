#!/usr/bin/env bash
# Builds the page's extra WebAssembly module, the threaded one (build-wasm-threads/bin/
# diffuse-threads.{mjs,wasm,worker.js}: -pthread, docs/threads.md), and copies it into web/dist/wasm.
# It runs after the page works with its single-thread module (scripts/build.sh runs it last): the
# page uses the single-thread module until this has finished, and wherever it cannot run threads.
# Incremental, like scripts/build.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH=/usr/share/nodejs   # Emscripten's optimizer needs node-acorn

jobs=$(nproc)
[ -f build-wasm-threads/CMakeCache.txt ] || cmake --preset wasm-threads
cmake --build --preset wasm-threads -j "$jobs"
if [ -d web/dist/wasm ]; then
  for file in diffuse-threads.mjs diffuse-threads.wasm diffuse-threads.worker.js; do
    cp build-wasm-threads/bin/$file web/dist/wasm/$file
  done
  echo "build_extra_wasm: copied the threaded module into web/dist/wasm"
fi
