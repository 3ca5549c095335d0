#!/usr/bin/env bash
# Builds what the page needs (native CLI, the single-thread WebAssembly module, the static page) and
# serves it on http://127.0.0.1:8000/ (override with PORT=...). Then, with the page already served,
# builds the threaded module (scripts/build_extra_wasm.sh, docs/threads.md), which the page uses
# from its next load; until then, and if that build fails, the page runs single-thread.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
echo "The native CLI is at build/bin/diffuse (try: build/bin/diffuse --help)."
node scripts/serve.mjs &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT INT TERM
mkdir -p build-wasm-threads
log=build-wasm-threads/build.log
echo "Building the threaded page module in the background (log: $log); reload the page when it is done."
if nice -n 5 bash scripts/build_extra_wasm.sh > "$log" 2>&1; then
  echo "The threaded module is ready: reload the page to train on every core."
else
  echo "The threaded module did not build (see $log): the page stays single-thread."
fi
wait "$server"
