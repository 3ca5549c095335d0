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

# The unit and CLI suites again under AddressSanitizer + UndefinedBehaviorSanitizer: the asan
# preset (GCC, -O1 -g1 to build fast, no benchmarks, build-asan/), built only here. The CLI tests
# run build-asan/bin/diffuse (CTest passes each its target's file). The preset's test environment
# makes every sanitizer report abort the process (ASAN_OPTIONS, UBSAN_OPTIONS: leaks included), so
# a CLI test that expects exit 1 or 2 sees a signal instead. The checkpoint mutation fuzz runs
# 40 MLP mutants here instead of 200 (DIFFUSE_MUTANTS). Skipped here, and only here (docs/ci.md, "The
# sanitizer stage"), as they add nothing under the sanitizers or are long quality runs:
# - reference/*: the Python references' self-tests, which run no diffuse code at all;
# - repo/*: lint of the repository's layout, no diffuse code either;
# - diffusion/test_training_quality:*: training runs judged by their result (minutes of the
#   same trainer code that the short training tests already run under the sanitizers);
# - cli/test_train_sample_eval, cli/test_conditional, cli/test_classifier, cli/test_images: the
#   same, through the CLI (thousands of training steps each, judged by sample quality), while
#   the short runs of every command (train, resume, sample, eval, elbo, nll, export, import,
#   predict, classifier) run in the other CLI tests;
# - cli/test_readme: the README's walkthroughs, which train models for minutes (the digits U-Net
#   among them); the release stage above runs it, and the commands it runs are in the short CLI
#   tests here.
asan_skip='^(reference/|repo/|diffusion/test_training_quality:|cli/test_(train_sample_eval|conditional|classifier|images|readme)$)'
stage "native unit and CLI tests under ASan + UBSan (build-asan; long quality tests skipped)"
[ -f build-asan/CMakeCache.txt ] || cmake --preset asan
cmake --build --preset asan -j "$jobs"
DIFFUSE_MUTANTS=40 ctest --preset asan -j "$jobs" -E "$asan_skip"

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
