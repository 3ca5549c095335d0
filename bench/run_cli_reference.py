#!/usr/bin/python3
"""Runs the C++ CLI (`build/bin/diffuse`) through the PyTorch reference suite's workload and
evaluators, and writes bench/results/cli_*.json, so that docs/benchmarks.md can put both sides
side by side (bench/cli_results_table.py prints the tables):

  moons        `diffuse train` 10,000 steps (the defaults: the reference workload) for each seed;
               `diffuse sample` 10,000 points with DDPM-1000 and DDIM-50 trailing; energy distance
               to 10,000 fresh points computed by `bench/torch_reference.py eval`, i.e. the same
               fresh set, baseline set and statistic as bench/results/torch_moons.json; as a
               cross-check, the same weights sampled by `torch_reference.py sample`
               -> cli_moons.json
  gaussians8   `diffuse train` with --stop-at 1000, 3000, 5000 and --resume (one 10,000-step cosine
               run, paused; checked byte for byte against the same run without pauses); at each
               checkpoint `diffuse elbo` (EMA and raw weights, all 1,000 terms) on the 2,000 NLL
               test points of the PyTorch side (written by `torch_reference.py data --stream 3`),
               the exact mixture NLL of those points, and as a cross-check `torch_reference.py
               nll` run on the same weights (converted to its checkpoint format)
               -> cli_gaussians8_nll.json
  agreement    both NLL evaluators on the first seed's final EMA weights and the same test points,
               with 10 further noise seeds: do they agree beyond their Monte Carlo noise?
               -> cli_nll_evaluator_agreement.json

Why this way: the quality comparison must not depend on which side's evaluator or evaluation
data is used. Both sides are scored by the PyTorch script's evaluator on the PyTorch script's
fresh/test points (NumPy streams 1, 2, 3 of the seed); only the training sets differ (each side
draws its own 10,000 training points from the same distribution with its own generator).

Every step is printed as it runs; checkpoints, samples and per-command JSON go to
bench/runs/cli_* (not committed).

  /usr/bin/python3 bench/run_cli_reference.py [--parts moons,gaussians8,agreement] [--seeds 0,1,2]
"""
import argparse
import json
import math
import os
import pathlib
import re
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent
TORCH_SCRIPT = HERE / "torch_reference.py"
sys.path.insert(0, str(HERE))

from torchref import checkpoint as torch_checkpoint  # noqa: E402
from torchref import safetensors_io, toy2d  # noqa: E402
from run_torch_reference import MOONS_SAMPLE_FIELDS, spread, summarize  # noqa: E402

TORCH_ENV = {"OPENBLAS_CORETYPE": "SkylakeX"}  # speed only (as run_torch_reference.py)


# --- running commands ----------------------------------------------------------------------------

def _show(path):
    """A path as printed: relative to the repository when it is inside it."""
    try:
        return str(pathlib.Path(path).resolve().relative_to(REPO))
    except ValueError:
        return str(path)


def _show_arg(a):
    return _show(a) if a.startswith("/") else a


def run_cli(diffuse, args):
    """Runs `diffuse ARGS`, echoing the command and its output; returns (stdout, seconds)."""
    args = [str(a) for a in args]
    print("+ " + " ".join([_show(diffuse)] + [_show_arg(a) for a in args]), flush=True)
    t0 = time.perf_counter()
    proc = subprocess.run([str(diffuse)] + args, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    sys.stderr.write(proc.stderr)
    if proc.returncode != 0:
        sys.stdout.write(proc.stdout)
        raise RuntimeError(f"diffuse {args[0]} failed with exit code {proc.returncode}")
    return proc.stdout, seconds


def run_torch(args):
    """Runs `bench/torch_reference.py ARGS` (printed first), as run_torch_reference.py does."""
    args = [str(a) for a in args]
    print("+ " + " ".join(["bench/torch_reference.py"] + [_show_arg(a) for a in args]), flush=True)
    subprocess.run([sys.executable, str(TORCH_SCRIPT)] + args, env={**os.environ, **TORCH_ENV},
                   check=True)


def load(path):
    return json.loads(pathlib.Path(path).read_text())



# --- diffuse's checkpoints in the PyTorch script's format --------------------------------------

def to_torchref_checkpoint(cli_path, out_path):
    """Rewrites a `diffuse train` checkpoint in torch_reference.py's format (EMA weights under the
    plain names, raw weights -- stored by the CLI as `training.params.*` -- under `raw.*`, configs
    and normalization as metadata), so that `torch_reference.py nll` can evaluate diffuse's
    weights with exactly the code that scored the PyTorch weights. Only what that script
    implements is accepted (eps prediction, raw coordinates, no zero-SNR rescaling)."""
    tensors, meta = safetensors_io.load(cli_path)
    cfg = json.loads(meta["config"])
    m, sc, tr = cfg["model"], cfg["schedule"], cfg["train"]
    if m["prediction"] != "eps" or m["x_embed"] or sc["zero_terminal_snr"]:
        raise ValueError(f"{cli_path}: torch_reference.py implements eps prediction, x_embed 0 "
                         "and no zero-SNR rescaling only")
    model_config = {"data_dim": m["data_dim"], "emb_dim": m["time_embed"], "hidden": m["hidden"],
                    "layers": m["layers"], "activation": m["activation"],
                    "time_proj": m["time_projection"], "residual": m["residual"],
                    "timesteps": sc["timesteps"]}
    names = [k for k in tensors if not k.startswith("training.")]
    out = {k: tensors[k] for k in names}
    out.update({torch_checkpoint.RAW_PREFIX + k: tensors["training.params." + k] for k in names})
    norm = cfg["data"]["normalization"]
    metadata = {
        "format": torch_checkpoint.FORMAT,
        "model_config": json.dumps(model_config),
        "train_config": json.dumps({"steps": tr["steps"], "batch": tr["batch"],
                                    "lr": tr["learning_rate"], "warmup": tr["warmup_steps"],
                                    "clip": tr["grad_clip"], "ema": tr["ema_decay"],
                                    "seed": int(tr["seed"])}),
        "schedule": json.dumps({"kind": sc["schedule"], "timesteps": sc["timesteps"],
                                "beta_start": sc["beta_start"], "beta_end": sc["beta_end"]}),
        "dataset": str(cfg["data"]["source"]),
        "step": str(cfg["step"]),
        "normalization_mean": json.dumps(norm["mean"]),
        "normalization_std": json.dumps(norm["std"]),
        "weights": f"converted from diffuse checkpoint {pathlib.Path(cli_path).name}",
    }
    print(f"+ (convert) {_show(cli_path)} -> {_show(out_path)}", flush=True)
    safetensors_io.save(out_path, out, metadata)



# --- diffuse train -------------------------------------------------------------------------------

def parse_train_summary(stdout):
    """`diffuse train`'s summary line: 'trained N steps ... (R steps/s); loss L; wrote ...'.
    The loss it shows is an exponential moving average of the batch losses (factor 0.98, about
    the last 50 steps), not the PyTorch side's mean over the last 1,000 steps."""
    line = next((l for l in stdout.splitlines() if l.startswith("trained ")), "")
    loss = re.search(r"; loss ([-+0-9.e]+);", line)
    rate = re.search(r"\(([0-9.,]+) steps/s\)", line)
    return {"summary": line,
            "smoothed_loss": float(loss.group(1)) if loss else None,
            "steps_per_second_reported": float(rate.group(1).replace(",", "")) if rate else None}


def cli_train(diffuse, args, threads):
    stdout, seconds = run_cli(diffuse, ["train", *args, "--threads", threads, "-q"])
    sys.stdout.write(stdout)
    return {"args": [str(a) for a in args], "seconds_wall": seconds, **parse_train_summary(stdout)}


# --- moons ---------------------------------------------------------------------------------------

SAMPLERS = {"ddpm": ["--sampler", "ddpm"],
            "ddim": ["--sampler", "ddim", "--steps", 50, "--spacing", "trailing"]}


def moons_seed(diffuse, d, s, steps, n, threads, crosscheck):
    """Train, sample with both samplers, evaluate with the PyTorch side's `eval`."""
    ck = d / "model.safetensors"
    out = {"train": cli_train(diffuse, ["--dataset", "moons", "--seed", s, "--steps", steps,
                                        "--out", ck], threads)}
    for sampler, extra in SAMPLERS.items():
        csv = d / f"samples_{sampler}.csv"
        _, seconds = run_cli(diffuse, ["sample", "--model", ck, *extra, "--n", n, "--seed", s,
                                       "--out", csv, "--threads", threads, "-q"])
        ev = d / f"eval_{sampler}.json"
        run_torch(["eval", "--samples", csv, "--dataset", "moons", "--seed", s, "--n", n,
                   "--json", ev])
        out[sampler] = {"sample": {"seconds": seconds, "out": str(csv)}, "eval": load(ev)}
    if crosscheck:
        out["torch_sampler"] = torch_sampler_crosscheck(ck, d, s, n)
    return out


def torch_sampler_crosscheck(ck, d, s, n):
    """diffuse's EMA weights sampled by `torch_reference.py sample` and scored the same way: tells
    a difference in the trained weights from one in the samplers."""
    converted = d / "torchref.safetensors"
    to_torchref_checkpoint(ck, converted)
    out = {}
    for sampler, extra in (("ddpm", []), ("ddim", ["--steps", 50, "--spacing", "trailing"])):
        csv, ev = d / f"torch_samples_{sampler}.csv", d / f"torch_eval_{sampler}.json"
        run_torch(["sample", "--checkpoint", converted, "--sampler", sampler, *extra, "--n", n,
                   "--seed", s, "--out", csv])
        run_torch(["eval", "--samples", csv, "--dataset", "moons", "--seed", s, "--n", n,
                   "--json", ev])
        out[sampler] = {"eval": load(ev)}
    return out


def part_moons(diffuse, seeds, runs, steps, n, threads, crosscheck):
    per_seed = {}
    for s in seeds:
        d = runs / f"cli_moons_s{s}"
        d.mkdir(parents=True, exist_ok=True)
        per_seed[s] = moons_seed(diffuse, d, s, steps, n, threads, crosscheck)
    table = summarize(per_seed, seeds, {
        **MOONS_SAMPLE_FIELDS, "smoothed_loss": lambda r: r["train"]["smoothed_loss"]})
    return {"dataset": "moons", "implementation": "diffuse (C++ CLI)", "seeds": seeds,
            "steps": steps, "n_samples": n, "evaluator": "bench/torch_reference.py eval",
            "summary": table, "per_seed": per_seed}


# --- gaussians8 ----------------------------------------------------------------------------------

def mean_se(a):
    a = np.asarray(a, dtype=np.float64)
    return {"mean": float(a.mean()), "se": float(a.std(ddof=1) / math.sqrt(len(a)))}


def train_in_stages(diffuse, d, s, steps, stops, threads):
    """One `steps`-step run of the cosine schedule, paused at each of `stops` (--stop-at) and
    continued with --resume; returns [(step, checkpoint path)] and the train records."""
    cks, records, prev = [], [], None
    for k in list(stops) + [steps]:
        ck = d / (f"model.step{k}.safetensors" if k != steps else "model.safetensors")
        args = (["--resume", prev] if prev else
                ["--dataset", "gaussians8", "--seed", s, "--steps", steps])
        if k != steps:
            args += ["--stop-at", k]
        records.append(cli_train(diffuse, args + ["--out", ck], threads))
        cks.append((k, ck))
        prev = ck
    return cks, records


def resume_is_exact(diffuse, d, s, steps, final, threads):
    """Trains the same run without pauses and compares the checkpoint files byte for byte: the
    checkpoints on the way are only faithful if pausing changes nothing."""
    ck = d / "model.uninterrupted.safetensors"
    cli_train(diffuse, ["--dataset", "gaussians8", "--seed", s, "--steps", steps, "--out", ck],
              threads)
    same = ck.read_bytes() == pathlib.Path(final).read_bytes()
    print(f"+ (compare) {_show(ck)} and {_show(final)}: {'identical' if same else 'DIFFERENT'}",
          flush=True)
    return same


def nll_test_points(d, s, n_test):
    """The PyTorch side's NLL test points (stream 3 of seed s, the first n_test) written to
    d/test.csv; returns the path and the exact mixture NLL of each point as read back."""
    test_csv = d / "test.csv"
    run_torch(["data", "--dataset", "gaussians8", "--n", n_test, "--seed", s, "--stream",
               toy2d.STREAM_TEST, "--out", test_csv])
    return test_csv, -toy2d.mixture_log_density("gaussians8", toy2d.read_csv(test_csv))


def gaussians8_seed(diffuse, d, s, steps, stops, n_test, threads, crosscheck):
    test_csv, true_nll = nll_test_points(d, s, n_test)
    cks, train_records = train_in_stages(diffuse, d, s, steps, stops, threads)
    resume_exact = resume_is_exact(diffuse, d, s, steps, cks[-1][1], threads)
    rows = []
    for step, ck in cks:
        if crosscheck:
            converted = d / f"torchref.step{step}.safetensors"
            to_torchref_checkpoint(ck, converted)
        for w in ("ema", "raw"):
            stdout, seconds = run_cli(diffuse, ["elbo", "--model", ck, "--dataset", test_csv,
                                                "--n", n_test, "--seed", s, "--format", "json",
                                                "--threads", threads, "-q"]
                                      + (["--raw"] if w == "raw" else []))
            e = json.loads(stdout)
            e.pop("per_t")  # 1,000 numbers; the per-seed JSON files keep them
            (d / f"elbo_step{step}_{w}.json").write_text(stdout)
            row = {"step": step, "weights": w, "elbo": e, "elbo_seconds": seconds,
                   "bound_nats": e["nll_bound_data_nats"], "bound_se": e["standard_error"],
                   "true_nll_nats": mean_se(true_nll),
                   "gap_nats": e["nll_bound_data_nats"] - float(true_nll.mean())}
            if crosscheck:
                out = d / f"torchnll_step{step}_{w}.json"
                run_torch(["nll", "--checkpoint", converted, "--weights", w, "--dataset",
                           "gaussians8", "--n", n_test, "--seed", s, "--json", out])
                row["torch_evaluator"] = load(out)["data"]
            rows.append(row)
    return {"train": train_records, "resume_bit_exact": resume_exact, "test_csv": str(test_csv),
            "nll": rows}


def summarize_gaussians8(per_seed, seeds):
    summary = {}
    steps = sorted({r["step"] for r in per_seed[seeds[0]]["nll"]})
    for step in steps:
        for w in ("ema", "raw"):
            pick = [next(r for r in per_seed[s]["nll"] if r["step"] == step and r["weights"] == w)
                    for s in seeds]
            x = {"bound_nats": spread([p["bound_nats"] for p in pick]),
                 "bound_se": spread([p["bound_se"] for p in pick]),
                 "bound_bits_per_dim": spread([p["elbo"]["bits_per_dim"] for p in pick]),
                 "true_nll_nats": spread([p["true_nll_nats"]["mean"] for p in pick]),
                 "gap_nats": spread([p["gap_nats"] for p in pick])}
            if all("torch_evaluator" in p for p in pick):
                t = [p["torch_evaluator"] for p in pick]
                x["torch_evaluator"] = {"bound_nats": spread([v["bound_nats"]["mean"] for v in t]),
                                        "gap_nats": spread([v["gap_nats"]["mean"] for v in t]),
                                        "gap_se": spread([v["gap_nats"]["se"] for v in t])}
            summary[f"step{step}_{w}"] = x
    return summary, steps


def part_gaussians8(diffuse, seeds, runs, steps, stops, n_test, threads, crosscheck):
    per_seed = {}
    for s in seeds:
        d = runs / f"cli_gaussians8_s{s}"
        d.mkdir(parents=True, exist_ok=True)
        per_seed[s] = gaussians8_seed(diffuse, d, s, steps, stops, n_test, threads, crosscheck)
    summary, checkpoints = summarize_gaussians8(per_seed, seeds)
    return {"dataset": "gaussians8", "implementation": "diffuse (C++ CLI)", "seeds": seeds,
            "steps": steps, "checkpoints": checkpoints, "n_test": n_test,
            "resume_bit_exact": all(per_seed[s]["resume_bit_exact"] for s in seeds),
            "test_points": "torch_reference.py data --dataset gaussians8 --stream 3 (the PyTorch "
                           "side's NLL test set), written as CSV with 9 significant digits",
            "summary": summary, "per_seed": per_seed}


# --- the two NLL evaluators on identical weights and points --------------------------------

def part_agreement(diffuse, runs, seed, draws, threads):
    """`diffuse elbo` and `torch_reference.py nll` on the same final EMA weights (the given seed's
    run of the gaussians8 part) and the same test points, each with the same list of noise seeds:
    their x_t draws differ (different generators), so each evaluation carries Monte Carlo noise;
    the mean difference over the draws shows whether the evaluators agree beyond it."""
    d = runs / f"cli_gaussians8_s{seed}"
    ck, test_csv = d / "model.safetensors", d / "test.csv"
    converted = d / "torchref.final.safetensors"
    to_torchref_checkpoint(ck, converted)
    rows = []
    for k in draws:
        stdout, _ = run_cli(diffuse, ["elbo", "--model", ck, "--dataset", test_csv, "--seed", k,
                                      "--format", "json", "--threads", threads, "-q"])
        out = d / f"agreement_torchnll_seed{k}.json"
        run_torch(["nll", "--checkpoint", converted, "--data-csv", test_csv, "--true-density",
                   "gaussians8", "--seed", k, "--json", out])
        rows.append({"draw_seed": k,
                     "diffuse_bound_nats": json.loads(stdout)["nll_bound_data_nats"],
                     "torch_bound_nats": load(out)["data"]["bound_nats"]["mean"]})
    ours = [r["diffuse_bound_nats"] for r in rows]
    theirs = [r["torch_bound_nats"] for r in rows]
    summary = {"diffuse_minus_torch": mean_se(np.subtract(ours, theirs)),
               "diffuse_sd_over_draws": statistics.stdev(ours),
               "torch_sd_over_draws": statistics.stdev(theirs)}
    m = summary["diffuse_minus_torch"]
    print(f"diffuse elbo - torch nll over {len(rows)} noise seeds: "
          f"{m['mean']:+.4f} ± {m['se']:.4f} nats", flush=True)
    return {"seed": seed, "checkpoint": str(ck), "test_csv": str(test_csv), "rows": rows,
            "summary": summary}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--parts", default="moons,gaussians8,agreement",
                    help="agreement needs the gaussians8 runs")
    ap.add_argument("--draws", default="100,101,102,103,104,105,106,107,108,109",
                    help="agreement: noise seeds of the extra NLL evaluations")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--steps", type=int, default=10_000)
    ap.add_argument("--n", type=int, default=10_000, help="samples and fresh points (moons)")
    ap.add_argument("--n-test", type=int, default=2000, help="NLL test points (gaussians8)")
    ap.add_argument("--stop-at", default="1000,3000,5000", help="gaussians8 checkpoints")
    ap.add_argument("--threads", type=int, default=2, help="diffuse --threads")
    ap.add_argument("--no-crosscheck", action="store_true",
                    help="skip torch_reference.py sample (moons) and nll (gaussians8) on "
                         "diffuse's weights")
    ap.add_argument("--diffuse", default=str(REPO / "build" / "bin" / "diffuse"))
    ap.add_argument("--runs", default=str(HERE / "runs"))
    ap.add_argument("--results", default=str(HERE / "results"))
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    runs, results = pathlib.Path(args.runs), pathlib.Path(args.results)
    results.mkdir(parents=True, exist_ok=True)
    diffuse = pathlib.Path(args.diffuse)
    version, _ = run_cli(diffuse, ["--version"])
    parts = args.parts.split(",")
    if "moons" in parts:
        r = part_moons(diffuse, seeds, runs, args.steps, args.n, args.threads,
                       not args.no_crosscheck)
        r["diffuse_version"] = version.strip()
        (results / "cli_moons.json").write_text(json.dumps(r, indent=2) + "\n")
    if "gaussians8" in parts:
        stops = [int(k) for k in args.stop_at.split(",") if k]
        r = part_gaussians8(diffuse, seeds, runs, args.steps, stops, args.n_test, args.threads,
                            not args.no_crosscheck)
        r["diffuse_version"] = version.strip()
        (results / "cli_gaussians8_nll.json").write_text(json.dumps(r, indent=2) + "\n")
    if "agreement" in parts:
        r = part_agreement(diffuse, runs, seeds[0], [int(k) for k in args.draws.split(",")],
                           args.threads)
        (results / "cli_nll_evaluator_agreement.json").write_text(json.dumps(r, indent=2) + "\n")


if __name__ == "__main__":
    main()
