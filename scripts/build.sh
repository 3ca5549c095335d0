#!/usr/bin/env bash
# Builds what `npm start` serves: the native CLI (build/bin/diffuse), the page's WebAssembly module
# (build-wasm/bin/diffuse.{mjs,wasm}), the image data sets' quality classifiers
# (data/{digits,fashion}-classifier.safetensors) and the static page (web/dist). With --all (as
# `npm test` runs it) also every test and benchmark executable, the benchmark module
# (build-wasm/bin/diffuse_bench.{mjs,wasm}) and the threaded page module
# (scripts/build_extra_wasm.sh), which a first start does not need. Incremental: a
# second run only rebuilds what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH=/usr/share/nodejs   # Emscripten's optimizer needs node-acorn

native_targets=(--target diffuse) wasm_targets=(--target diffuse_wasm)
if [ "${1:-}" = "--all" ]; then native_targets=() wasm_targets=(); fi

jobs=$(nproc)
[ -f build/CMakeCache.txt ] || cmake --preset release
cmake --build --preset release -j "$jobs" "${native_targets[@]}"

# The quality classifiers (docs/datasets.md, "The quality classifier"), trained by the CLI just
# built when missing, or trained by another classifier version or recipe (--if-outdated: a
# second build finds them current and does nothing). Without a data set (no setup yet) this says
# so and goes on; the tests that need that classifier then skip with a warning.
classifier() {  # data set name, a file it needs
  local name=$1 needs=$2
  if [ ! -f "$needs" ]; then
    echo "build: $needs is missing (run scripts/setup.sh): the $name classifier is not trained"
    return
  fi
  mkdir -p data
  build/bin/diffuse classifier --dataset "$name" --out "data/$name-classifier.safetensors" --if-outdated
}
classifier digits "${DIFFUSE_DATA_DIR:-data}/digits.csv.gz"
classifier fashion /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
[ -f build-wasm/CMakeCache.txt ] || cmake --preset wasm
cmake --build --preset wasm -j "$jobs" "${wasm_targets[@]}"
node scripts/assemble_web.mjs
# The threaded page module (scripts/build_extra_wasm.sh): with --all here; `npm start` builds it
# after the page is served (scripts/start.sh), so that it never delays the first start.
if [ "${1:-}" = "--all" ]; then bash scripts/build_extra_wasm.sh; fi
