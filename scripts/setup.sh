#!/usr/bin/env bash
# Installs everything diffuse needs, from Debian's packages and the npm registry only.
# Idempotent: packages already present are skipped, and `apt-get update` runs once, only when
# something is missing. Works as root without sudo, and through sudo otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  g++ cmake ninja-build                       # native build
  xtensor-dev libxsimd-dev xtl-dev            # tensors and SIMD (header-only)
  nlohmann-json3-dev libcli11-dev libstb-dev  # JSON, command line, PNG writing
  catch2                                      # unit tests
  emscripten node-acorn binaryen wabt         # WebAssembly build; wabt's wasm-objdump for tests
  chromium                                    # end-to-end browser tests (driven by playwright-core)
  python3-numpy python3-torch                 # reference computations and the PyTorch benchmark
  libopenblas0-pthread                        # a real BLAS under torch (else it runs the netlib reference)
)

# Node.js: use the machine's own if it has one (Debian's npm conflicts with nodesource builds).
if ! command -v node >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "setup: installing from Debian: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: Debian packages already installed"
fi

# JavaScript dependencies (playwright-core for the browser tests), pinned by package-lock.json.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
else
  echo "setup: npm packages already installed"
fi
echo "setup: done"
