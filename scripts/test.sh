#!/usr/bin/env bash
# Runs every test: builds (native Release with -Werror, WebAssembly), then the Catch2 and CLI
# tests through CTest, the WebAssembly tests under node, the page's own JavaScript under node
# (tests/web: no browser, no module), the end-to-end tests in headless Chromium, and a short run
# of every fuzz target (tests/fuzz). Exits non-zero on the first failing stage. Each stage prints
# its time; docs/ci.md records them.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

stage_name="" stage_start=0
# Ends the current stage (printing its time) and starts the next one, if named.
stage() {
  if [ -n "$stage_name" ]; then echo "== stage $stage_name took $((SECONDS - stage_start)) s"; fi
  stage_name=${1:-} stage_start=$SECONDS
  if [ -n "$stage_name" ]; then echo "== $stage_name"; fi
}

stage "build (native release, WebAssembly, page, every test and benchmark)"
bash scripts/build.sh --all

stage "native unit and CLI tests (ctest)"
ctest --preset release -j "$jobs"

stage "WebAssembly tests (node)"
node --test tests/wasm/

stage "page script tests (node)"
node --test tests/web/

if compgen -G "tests/e2e/*.test.mjs" >/dev/null; then
  stage "end-to-end tests (headless Chromium)"
  node --test --test-concurrency=1 tests/e2e/
fi

# Every libFuzzer target (clang, build-fuzz/) for 10 s from its seed corpus, and the page's
# settings parser in a node fuzz loop: tests/fuzz/README.md. A crash fails the stage and leaves
# its input in build-fuzz/tests/fuzz/<target>/.
stage "fuzz smoke (build-fuzz, 10 s per target)"
[ -f build-fuzz/CMakeCache.txt ] || cmake --preset fuzz
cmake --build --preset fuzz -j "$jobs"
ctest --preset fuzz -j "$jobs"

stage
echo "== all tests passed"
