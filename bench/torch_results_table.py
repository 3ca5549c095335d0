#!/usr/bin/python3
"""Prints the Markdown tables of docs/benchmarks.md ("PyTorch reference") from
bench/results/torch_*.json, so the document quotes the stored numbers and nothing else.

  /usr/bin/python3 bench/torch_results_table.py [moons] [nll] [bench]
"""
import json
import pathlib
import sys

RESULTS = pathlib.Path(__file__).resolve().parent / "results"


def fmt_spread(s, digits, scale=1.0):
    med, lo, hi = s["median"] * scale, s["min"] * scale, s["max"] * scale
    return f"{med:.{digits}f} ({lo:.{digits}f} – {hi:.{digits}f})"


def moons_table():
    r = json.loads((RESULTS / "torch_moons.json").read_text())
    seeds = r["seeds"]
    print(f"Energy distance D² to {r['n_samples']:,} fresh points, ×10⁻³ "
          f"(moons, {r['steps']:,} steps; per seed, then median (min – max) over seeds {seeds}):\n")
    print("| | " + " | ".join(f"seed {s}" for s in seeds) + " | median (min – max) |")
    print("| --- |" + " ---: |" * (len(seeds) + 1))
    rows = [("DDPM-1000, V-statistic", "ddpm", "energy", "v"),
            ("DDPM-1000, U-statistic", "ddpm", "energy", "u"),
            ("DDIM-50 trailing, V", "ddim", "energy", "v"),
            ("DDIM-50 trailing, U", "ddim", "energy", "u"),
            ("data vs data baseline, V", "ddpm", "baseline_energy", "v"),
            ("data vs data baseline, U", "ddpm", "baseline_energy", "u")]
    for label, sampler, key, stat in rows:
        vals = [r["per_seed"][str(s)][sampler]["eval"][key][stat] * 1e3 for s in seeds]
        summ = r["summary"][f"{'baseline' if key == 'baseline_energy' else sampler}_energy_{stat}"]
        print(f"| {label} | " + " | ".join(f"{v:.3f}" for v in vals)
              + f" | {fmt_spread(summ, 3, 1e3)} |")
    s = r["summary"]
    print(f"\nFinal training loss (mean of the last 1,000 steps): {fmt_spread(s['final_loss'], 4)}; "
          f"wall time of the 10,000 training steps: {fmt_spread(s['train_seconds'], 1)} s; "
          f"sampling 10,000 points: DDPM-1000 {fmt_spread(s['ddpm_sample_seconds'], 1)} s, "
          f"DDIM-50 {fmt_spread(s['ddim_sample_seconds'], 2)} s (runs of the suite, not the "
          "benchmark: other jobs shared the machine).\n")


def nll_table():
    r = json.loads((RESULTS / "torch_gaussians8_nll.json").read_text())
    s = r["summary"]
    print(f"gaussians8, {r['n_test']:,} test points, nats per example in data units, median "
          f"(min – max) over seeds {r['seeds']} (each column's median on its own). "
          "The gap is bound − true per test point; its standard error over test points is "
          f"about {s['step%d_ema' % r['steps']]['gap_se']['median']:.2f}.\n")
    print("| weights after | NLL bound | bits/dim | true NLL | gap (bound − true) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for step in r["checkpoints"]:
        for w in ("ema", "raw"):
            x = s[f"step{step}_{w}"]
            print(f"| {step:,} steps, {w.upper() if w == 'ema' else w} | {fmt_spread(x['bound_nats'], 3)} | "
                  f"{x['bound_bits_per_dim']['median']:.3f} | {fmt_spread(x['true_nll_nats'], 3)} | "
                  f"{fmt_spread(x['gap_nats'], 3)} |")
    o = s["oracle"]
    print(f"| exact denoiser E[ε \\| x_t] (oracle) | {fmt_spread(o['bound_nats'], 3)} | | "
          f"{fmt_spread(o['true_nll_nats'], 3)} | {fmt_spread(o['gap_nats'], 3)} |\n")


def bench_table(name="torch_bench.json"):
    r = json.loads((RESULTS / name).read_text())
    print(f"Median (min – max) of {r['repeats']} interleaved repetitions, each in a fresh process "
          f"(up to {r['steps_256']:,} timed steps at batch 256 and {r['steps_4096']} at 4096, at most "
          f"30 s each; sampling {r['sample_n']:,} points). Load is the median 1-minute load average "
          "at the start of the runs (2 vCPUs).\n")
    print("| configuration | sgemm from | torch threads | load (1 min) | train steps/s, B=256 "
          "| train steps/s, B=4096 | DDPM-1000 sampling, s | DDIM-50 sampling, s |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, c in r["configs"].items():
        e = c["environment"]
        blas = e["blas"] + (f" ({e['openblas_core']}, {e['openblas_num_threads']} thr)"
                            if e["blas"] == "openblas" else "")
        tr, sm = c["train_steps_per_second"], c["sample_seconds"]
        ddpm = sm.get("ddpm1000")
        ddpm_txt = "not run" if ddpm is None else (fmt_spread(ddpm, 1) if len(ddpm["values"]) > 1
                                           else f"{ddpm['median']:.1f} (1 run)")
        load = sorted(c["loadavg_1min"])[len(c["loadavg_1min"]) // 2]
        print(f"| {name} | {blas} | {e['torch_num_threads']} | {load:.1f} | {fmt_spread(tr['256'], 0)} | "
              f"{fmt_spread(tr['4096'], 1)} | {ddpm_txt} | {fmt_spread(sm['ddim50'], 2)} |")
    print()


if __name__ == "__main__":
    parts = {"moons": moons_table, "nll": nll_table, "bench": bench_table}
    for key in sys.argv[1:] or parts:
        try:
            parts[key]()
        except FileNotFoundError as e:
            print(f"(missing {e.filename})\n")
