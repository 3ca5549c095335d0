#!/usr/bin/python3
"""Two builds of diffuse side by side: rounds that alternate `diffuse bench --json --threads 1` of
build A and of build B (the order swapped every round), each in a fresh process. On a shared host
whose speed drifts in phases, the ratio within a round is the stable quantity: both ran in the same
phase. Prints each item's median for both builds and the median of the per-round ratios B / A
(speeds: > 1 means B is faster; sampling times are converted to speeds).

  /usr/bin/python3 bench/compare_builds.py OLD/diffuse NEW/diffuse --rounds 7 [--json out.json]

--threads N passes `--threads N` instead: every item on 1 thread and on N (the scaling of each
build, and each thread count's ratio between builds).
"""
import argparse
import json
import os
import statistics
import subprocess


def bench(binary, threads):
    out = subprocess.run([binary, "bench", "--json", "--threads", str(threads)], capture_output=True,
                         text=True, check=True).stdout
    j = json.loads(out)
    items = {f"train batch {t['batch']}, {t['threads']}t (steps/s)": t["steps_per_second"] for t in j["train"]}
    for s in j["sample"]:
        # older builds sampled on --threads only and did not say so
        items[f"sample {s['sampler']} {s['steps']} steps, {s.get('threads', threads)}t (samples/s)"] = \
            s["n"] / s["seconds"]
    return items


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--json")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    rounds = []
    for r in range(args.rounds):
        load = os.getloadavg()[0]
        first, second = (args.a, args.b) if r % 2 == 0 else (args.b, args.a)
        x, y = bench(first, args.threads), bench(second, args.threads)
        a, b = (x, y) if r % 2 == 0 else (y, x)
        rounds.append({"load": load, "a": a, "b": b})
        print(f"round {r + 1}: load {load:.1f}: " + ", ".join(f"{k}: {b[k] / a[k]:.3f}" for k in a if k in b), flush=True)
    print(f"\n{'item':45s} {'A median':>12s} {'B median':>12s} {'B/A median':>11s} {'range':>15s}")
    for k in [k for k in rounds[0]["a"] if k in rounds[0]["b"]]:
        ratios = [rd["b"][k] / rd["a"][k] for rd in rounds]
        print(f"{k:45s} {statistics.median(rd['a'][k] for rd in rounds):12.1f} "
              f"{statistics.median(rd['b'][k] for rd in rounds):12.1f} {statistics.median(ratios):11.3f} "
              f"{min(ratios):7.3f}..{max(ratios):.3f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"a": args.a, "b": args.b, "rounds": rounds}, f, indent=1)


if __name__ == "__main__":
    main()
