#!/usr/bin/python3
"""Training speed of diffuse and of the PyTorch reference, side by side, in rounds that alternate
the two sides, each in a fresh process. On a shared host whose speed drifts in phases of minutes,
the ratio within a round is the stable quantity: both sides of a round ran in the same phase.

Workloads (--workloads, comma-separated):
  mlp      the reference MLP (docs/reference-workload.md) at batch 256 and 4096: `diffuse bench
           --json --threads 1` against one `torch_reference.py bench-worker` repetition in the
           best PyTorch configuration for it (OpenBLAS with OPENBLAS_CORETYPE=SkylakeX, its
           default threads)
  digits   the U-Net training step of `diffuse train --dataset digits --conditional` (8x8,
           channels 32,64, batch 128): `diffuse bench --dataset digits --json --threads 1`
           against `torch_reference.py unet-bench-worker` (python/diffuse_torch/unet2d.py's UNet2D,
           the same loss, Adam, clip and EMA; one torch thread, one OpenBLAS thread,
           OPENBLAS_CORETYPE=SkylakeX, the fastest memory format / oneDNN setting:
           torch_reference.UNET_BEST_CONFIG)
  fashion  the same for Fashion-MNIST (28x28, channels 32,64,64, batch 64)

Prints each side's steps/s per round and, per workload, each side's median and the median of the
per-round ratios (with the lowest); for the U-Net also steps per CPU second ("digits-cpu"), which
the other processes of a host loaded past its cores do not inflate. Writes the rounds to --json.

  /usr/bin/python3 bench/speed_side_by_side.py --rounds 5 [--workloads mlp] [--json out.json]
  /usr/bin/python3 bench/speed_side_by_side.py --rounds 5 --workloads digits,fashion \\
      --json bench/results/speed_side_by_side_unet.json
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
sys.path.insert(0, str(HERE))
import torch_reference  # noqa: E402

TORCH_ENV = {"OPENBLAS_CORETYPE": "SkylakeX"}  # torch_reference.BENCH_CONFIGS["openblas-skylakex"]
WORKLOADS = ("mlp", "digits", "fashion")


def run_json(cmd, env=None):
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr}")
    return json.loads(proc.stdout)


def mlp_round(diffuse):
    """{"256": (diffuse, torch), "4096": (...)} steps/s, plus the raw results."""
    d = run_json([diffuse, "bench", "--json", "--threads", "1"])
    d_rates = {str(t["batch"]): t["steps_per_second"] for t in d["train"] if t["threads"] == 1}
    t = run_json([sys.executable, str(HERE / "torch_reference.py"), "bench-worker", "--skip-ddpm",
                  "--skip-ddim"], env=dict(os.environ, **TORCH_ENV))
    t_rates = t["train_steps_per_second"]
    return {f"mlp-B{b}": (d_rates[b], t_rates[b]) for b in ("256", "4096")}, {"diffuse": d, "torch": t}


def torch_reference_workload(dataset):
    from torchref import unet_training
    return unet_training.WORKLOADS[dataset]


def unet_round(diffuse, dataset, budget):
    """Steps per wall second and per CPU second of the process (both sides run one thread, so on
    a host loaded past its cores the CPU-time rate leaves out the time slices others took)."""
    d = run_json([diffuse, "bench", "--dataset", dataset, "--json", "--threads", "1"])
    w = torch_reference_workload(dataset)
    if d.get("channels") != ",".join(map(str, w.channels)) or d["batch"] != w.batch:
        raise RuntimeError(f"{dataset}: diffuse benches channels {d.get('channels')} at batch {d['batch']}, "
                           f"the PyTorch side {w.channels} at batch {w.batch}: update "
                           "bench/torchref/unet_training.py WORKLOADS to native/commands/image_defaults.cpp")
    t = run_json(torch_reference.unet_worker_command(dataset, torch_reference.UNET_BEST_CONFIG[dataset],
                                                     1, budget), env=torch_reference.unet_worker_env())
    return ({dataset: (d["steps_per_second"]["median"], t["steps_per_second"]),
             f"{dataset}-cpu": (d["steps_per_cpu_second"]["median"], t["steps_per_cpu_second"])},
            {"diffuse": d, "torch": t})


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--workloads", default="mlp", help=f"comma-separated, of {', '.join(WORKLOADS)}")
    ap.add_argument("--torch-budget", type=float, default=10.0,
                    help="U-Net: seconds of PyTorch steps per round (at least 3 steps)")
    ap.add_argument("--diffuse", default=str(HERE.parent / "build" / "bin" / "diffuse"))
    ap.add_argument("--json")
    args = ap.parse_args()
    workloads = args.workloads.split(",")
    for w in workloads:
        if w not in WORKLOADS:
            ap.error(f"--workloads {w!r}: allowed {', '.join(WORKLOADS)}")
    rounds = []
    for r in range(args.rounds):
        record = {"time": time.strftime("%H:%M:%S"), "load_1min": os.getloadavg()[0], "rates": {},
                  "raw": {}}
        for w in workloads:
            rates, raw = mlp_round(args.diffuse) if w == "mlp" else unet_round(args.diffuse, w, args.torch_budget)
            record["rates"].update({k: {"diffuse": d, "torch": t} for k, (d, t) in rates.items()})
            record["raw"][w] = raw
        rounds.append(record)
        print(f"round {r + 1} ({record['time']}, load {record['load_1min']:.2f}): " + "  ".join(
            f"{k}: diffuse {v['diffuse']:.2f}, torch {v['torch']:.2f}, ratio {v['diffuse'] / v['torch']:.2f}"
            for k, v in record["rates"].items()), flush=True)
    summary = {}
    for k in rounds[0]["rates"]:
        d = [x["rates"][k]["diffuse"] for x in rounds]
        t = [x["rates"][k]["torch"] for x in rounds]
        ratios = [a / b for a, b in zip(d, t)]
        summary[k] = {"diffuse_median": statistics.median(d), "diffuse_min": min(d), "diffuse_max": max(d),
                      "torch_median": statistics.median(t), "torch_min": min(t), "torch_max": max(t),
                      "ratio_median": statistics.median(ratios), "ratio_min": min(ratios),
                      "ratio_max": max(ratios)}
        s = summary[k]
        print(f"{k}: diffuse {s['diffuse_median']:.2f} steps/s ({s['diffuse_min']:.2f} - {s['diffuse_max']:.2f}), "
              f"PyTorch {s['torch_median']:.2f} ({s['torch_min']:.2f} - {s['torch_max']:.2f}); ratio median "
              f"{s['ratio_median']:.2f} (lowest {s['ratio_min']:.2f}) over {len(rounds)} rounds")
    for w in workloads:
        if w == "mlp":
            continue
        d = [x["raw"][w]["diffuse"] for x in rounds]
        t = [x["raw"][w]["torch"] for x in rounds]
        summary.setdefault(w, {})
        conv = statistics.median(x["conv_gflops"] for x in d)
        peak = statistics.median(x["fma_peak_gflops"] for x in d)
        summary[w].update({"diffuse_conv_gflops": conv, "fma_peak_gflops": peak,
                           "diffuse_peak_rss_mib": max(x["peak_memory_mib"] for x in d),
                           "torch_peak_rss_mib": max(x["peak_rss_mib"] for x in t),
                           "conv_flops_per_step": d[0]["conv_flops_per_step"]})
        print(f"{w}: diffuse's convolutions {conv:.1f} GFLOP/s alone ({100 * conv / peak:.0f}% of the "
              f"{peak:.1f} GFLOP/s FMA peak); peak RSS diffuse {summary[w]['diffuse_peak_rss_mib']:.0f} MiB, "
              f"PyTorch {summary[w]['torch_peak_rss_mib']:.0f} MiB")
    if args.json:
        for x in rounds:  # keep the files small: the U-Net's layer tables and environments go
            for raw in x["raw"].values():
                raw["diffuse"].pop("layers", None)
        pathlib.Path(args.json).write_text(json.dumps({"rounds": rounds, "summary": summary}, indent=2) + "\n")


if __name__ == "__main__":
    main()
