#!/usr/bin/env bash
# The PyTorch reference at the budget of tests/unit/diffusion/test_training_quality.cpp: the
# reference model, 2,000 steps at batch 256, seeds 0..8, on moons, gaussians8 and spirals read from
# a CSV written by `diffuse data`; energy distances of 2,000 DDPM-1000 and DDIM-50 samples against
# 2,000 fresh points, and the NLL bound on gaussians8 after 500 and 2,000 steps. Writes JSON to
# $OUT (default /tmp/test_budget_reference) and prints the summary the test's bounds come from.
# Needs build/bin/diffuse. Takes about 15 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/test_budget_reference}
mkdir -p "$OUT"
P="/usr/bin/python3 bench/torch_reference.py"
export OPENBLAS_CORETYPE=SkylakeX
build/bin/diffuse data --dataset spirals --n 10000 --seed 5 --out $OUT/spirals_train.csv
build/bin/diffuse data --dataset spirals --n 2000 --seed 1001 --out $OUT/spirals_fresh.csv
build/bin/diffuse data --dataset spirals --n 2000 --seed 1002 --out $OUT/spirals_fresh2.csv
for S in 0 1 2 3 4 5 6 7 8; do
  for D in moons gaussians8; do
    $P train --dataset $D --seed $S --steps 2000 --out $OUT/${D}_s$S.safetensors --save-at 500 > /dev/null
    for SM in ddpm ddim; do
      $P sample --checkpoint $OUT/${D}_s$S.safetensors --sampler $SM --n 2000 --seed $S --out $OUT/${D}_s${S}_$SM.csv > /dev/null
      $P eval --samples $OUT/${D}_s${S}_$SM.csv --dataset $D --seed $((S+100)) --n 2000 --json $OUT/${D}_s${S}_$SM.eval.json > /dev/null
    done
  done
  $P train --data-csv $OUT/spirals_train.csv --seed $S --steps 2000 --out $OUT/spirals_s$S.safetensors > /dev/null
  for SM in ddpm ddim; do
    $P sample --checkpoint $OUT/spirals_s$S.safetensors --sampler $SM --n 2000 --seed $S --out $OUT/spirals_s${S}_$SM.csv > /dev/null
    $P eval --samples $OUT/spirals_s${S}_$SM.csv --data-csv $OUT/spirals_fresh.csv --baseline-csv $OUT/spirals_fresh2.csv --json $OUT/spirals_s${S}_$SM.eval.json > /dev/null
  done
  for K in step500 final; do
    f=$OUT/gaussians8_s$S.safetensors; [ $K = step500 ] && f=$OUT/gaussians8_s$S.step500.safetensors
    $P nll --checkpoint $f --dataset gaussians8 --true-density gaussians8 --n 500 --seed $S --json $OUT/g8_s${S}_$K.nll.json > /dev/null
  done
done
/usr/bin/python3 - "$OUT" <<'PY'
import json, statistics, sys
out = sys.argv[1]
for d in ("moons", "gaussians8", "spirals"):
    for s in ("ddpm", "ddim"):
        u = [json.load(open(f"{out}/{d}_s{k}_{s}.eval.json"))["energy"]["u"] * 1e3 for k in range(9)]
        print(f"{d:10s} {s}: energy distance (U, 1e-3) min {min(u):.2f} median {statistics.median(u):.2f} max {max(u):.2f}")
for k in ("step500", "final"):
    g = [json.load(open(f"{out}/g8_s{i}_{k}.nll.json"))["data"] for i in range(9)]
    gaps = [x["gap_nats"]["mean"] for x in g]
    print(f"gaussians8 {k}: bound median {statistics.median(x['bound_nats']['mean'] for x in g):.3f}, "
          f"gap min {min(gaps):.3f} median {statistics.median(gaps):.3f} max {max(gaps):.3f}")
PY
