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
  zlib1g-dev                                  # gzip: the image data sets ship compressed
  dataset-fashion-mnist                       # Fashion-MNIST in /usr/share/datasets/fashion-mnist
  catch2                                      # unit tests
  clang libclang-rt-dev                       # fuzz targets: clang's libFuzzer and sanitizer runtimes
  emscripten node-acorn binaryen wabt         # WebAssembly build; wabt's wasm-objdump for tests
  chromium                                    # end-to-end browser tests (driven by playwright-core)
  python3-numpy python3-torch                 # reference computations and the PyTorch benchmark
  libopenblas0-pthread                        # a real BLAS under torch (else it runs the netlib reference)
)

# Node.js: use the machine's own if it has one (Debian's npm conflicts with nodesource builds).
if ! command -v node >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
apt_updated=""

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing from Debian: ${missing[*]}"
  $sudo apt-get update -qq
  apt_updated=1
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: Debian packages already installed"
fi

# sklearn's 8x8 digits (docs/datasets.md): the one file digits.csv.gz from Debian's python3-sklearn
# package, unpacked into a temporary folder, without installing scikit-learn, into the git-ignored
# data/. A file already there is kept if it is intact: its decompressed text has the SHA-256 of the
# file in python3-sklearn 1.2.1 (Debian 12). A different file stops setup rather than silently
# changing the data set (then check it and update the hash and docs/datasets.md).
digits_file=data/digits.csv.gz
digits_sha256=6ebb3d2fee246a4e99363262ddf8a00a3c41bee6014c373ed9d9216ba7f651b8
digits_ok() {
  [ -f "$1" ] && gzip -t "$1" 2>/dev/null &&
    [ "$(gzip -dc "$1" | sha256sum | cut -d' ' -f1)" = "$digits_sha256" ]
}
if digits_ok "$digits_file"; then
  echo "setup: $digits_file already present"
else
  echo "setup: extracting $digits_file from Debian's python3-sklearn package"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  # As root, apt-get download would fetch as the _apt user, who cannot write to this folder.
  apt_download=(apt-get download -qq)
  if [ "$(id -u)" -eq 0 ]; then apt_download+=(-o APT::Sandbox::User=root); fi
  # A fresh machine's package lists may be missing or stale: update once and retry.
  if ! (cd "$tmp" && "${apt_download[@]}" python3-sklearn); then
    if [ -n "$apt_updated" ]; then
      echo "setup: apt-get download python3-sklearn failed" >&2
      exit 1
    fi
    $sudo apt-get update -qq
    (cd "$tmp" && "${apt_download[@]}" python3-sklearn)
  fi
  dpkg-deb -x "$tmp"/python3-sklearn_*.deb "$tmp/root"
  mkdir -p data
  cp "$tmp/root/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz" "$digits_file.tmp"
  if ! digits_ok "$digits_file.tmp"; then
    rm -f "$digits_file.tmp"
    echo "setup: digits.csv.gz in python3-sklearn is not the known file (SHA-256 of its text" \
      "differs from $digits_sha256)" >&2
    exit 1
  fi
  mv "$digits_file.tmp" "$digits_file"
  rm -rf "$tmp"
  trap - EXIT
fi

# JavaScript dependencies (playwright-core for the browser tests), pinned by package-lock.json.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
else
  echo "setup: npm packages already installed"
fi
echo "setup: done"
