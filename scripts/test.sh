#!/usr/bin/env bash
# Runs every test: builds (native Release with -Werror, WebAssembly), then the Catch2 and CLI
# tests through CTest, the WebAssembly tests under node, the page's own JavaScript under node
# (tests/web: no browser, no module), and the end-to-end tests in headless Chromium. Exits
# non-zero on the first failing stage.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh

echo "== native unit and CLI tests (ctest)"
ctest --preset release -j "$(nproc)"

echo "== WebAssembly tests (node)"
node --test tests/wasm/

echo "== page script tests (node)"
node --test tests/web/

if compgen -G "tests/e2e/*.test.mjs" >/dev/null; then
  echo "== end-to-end tests (headless Chromium)"
  node --test --test-concurrency=1 tests/e2e/
fi
echo "== all tests passed"
