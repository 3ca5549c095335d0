#!/usr/bin/python3
"""Training speed of diffuse and of the PyTorch reference, side by side: rounds that alternate
`diffuse bench --json` (one thread) and one `torch_reference.py bench-worker` repetition in the
best PyTorch configuration (OpenBLAS with OPENBLAS_CORETYPE=SkylakeX, its default threads), each
in a fresh process. On a shared host whose speed drifts in phases of minutes, the ratio within a
round is the stable quantity: both sides of a round ran in the same phase.

Prints, per batch size, each side's median steps/s and the median of the per-round ratios; writes
the rounds to --json.

  /usr/bin/python3 bench/speed_side_by_side.py --rounds 5 [--json bench/results/speed_side_by_side.json]
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
TORCH_ENV = {"OPENBLAS_CORETYPE": "SkylakeX"}  # torch_reference.BENCH_CONFIGS["openblas-skylakex"]


def diffuse_round(diffuse):
    out = subprocess.run([diffuse, "bench", "--json", "--threads", "1"], capture_output=True, text=True,
                         check=True).stdout
    train = json.loads(out)["train"]
    return {str(t["batch"]): t["steps_per_second"] for t in train if t["threads"] == 1}


def torch_round():
    env = dict(os.environ, **TORCH_ENV)
    out = subprocess.run([sys.executable, str(HERE / "torch_reference.py"), "bench-worker", "--skip-ddpm",
                          "--skip-ddim"], capture_output=True, text=True, check=True, env=env).stdout
    return json.loads(out)["train_steps_per_second"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--diffuse", default=str(HERE.parent / "build" / "bin" / "diffuse"))
    ap.add_argument("--json")
    args = ap.parse_args()
    rounds = []
    for r in range(args.rounds):
        load = os.getloadavg()[0]
        d = diffuse_round(args.diffuse)
        t = torch_round()
        rounds.append({"load_1min": load, "diffuse": d, "torch": t, "time": time.strftime("%H:%M:%S")})
        print(f"round {r + 1}: load {load:.2f}  " + "  ".join(
            f"B={b}: diffuse {d[b]:.1f}, torch {t[b]:.1f}, ratio {d[b] / t[b]:.2f}" for b in ("256", "4096")),
            flush=True)
    summary = {}
    for b in ("256", "4096"):
        summary[b] = {
            "diffuse_median": statistics.median(x["diffuse"][b] for x in rounds),
            "torch_median": statistics.median(x["torch"][b] for x in rounds),
            "ratio_median": statistics.median(x["diffuse"][b] / x["torch"][b] for x in rounds),
            "ratio_min": min(x["diffuse"][b] / x["torch"][b] for x in rounds),
        }
        s = summary[b]
        print(f"batch {b}: diffuse {s['diffuse_median']:.1f} steps/s, PyTorch {s['torch_median']:.1f}; "
              f"ratio median {s['ratio_median']:.2f} (lowest {s['ratio_min']:.2f}) over {len(rounds)} rounds")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps({"rounds": rounds, "summary": summary}, indent=2) + "\n")


if __name__ == "__main__":
    main()
