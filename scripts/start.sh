#!/usr/bin/env bash
# Builds everything (native CLI, WebAssembly module, static page) and serves the page on
# http://127.0.0.1:8000/ (override with PORT=...).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
echo "The native CLI is at build/bin/diffuse (try: build/bin/diffuse --help)."
exec node scripts/serve.mjs
