#!/usr/bin/python3
"""Runs the PyTorch reference suite and writes bench/results/torch_*.json:

  moons        train 10,000 steps for each seed; sample 10,000 points with DDPM-1000 and DDIM-50;
               energy distance to 10,000 fresh points, with the data-versus-data baseline
               -> torch_moons.json
  gaussians8   train 10,000 steps for each seed, checkpoints on the way; NLL bound (EMA and raw
               weights), exact NLL and gap on 2,000 test points at each checkpoint; the bound of the
               exact (oracle) denoiser -> torch_gaussians8_nll.json
  bench        training steps/s and sampling times per BLAS configuration -> torch_bench.json

Every step is a `bench/torch_reference.py` command (printed as it runs), so each number can be
reproduced alone. Checkpoints, samples and per-command JSON go to bench/runs/ (not committed).
Quality runs use OPENBLAS_CORETYPE=SkylakeX only for speed (it is recorded in the JSON).

  /usr/bin/python3 bench/run_torch_reference.py [--parts moons,gaussians8,bench] [--seeds 0,1,2]
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
SCRIPT = HERE / "torch_reference.py"


def run(args, env_extra=None):
    env = dict(os.environ)
    env.update(env_extra or {})
    cmd = [sys.executable, str(SCRIPT)] + [str(a) for a in args]
    print("+ " + " ".join(["bench/torch_reference.py"] + [str(a) for a in args]), flush=True)
    subprocess.run(cmd, env=env, check=True)


def load(path):
    return json.loads(pathlib.Path(path).read_text())


def spread(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "values": values}


# The moons summary fields both suites report (run_cli_reference.py imports these): energy
# distances of the samples and of the data-versus-data baseline, and the wall times, per seed.
MOONS_SAMPLE_FIELDS = {
    "ddpm_energy_v": lambda r: r["ddpm"]["eval"]["energy"]["v"],
    "ddpm_energy_u": lambda r: r["ddpm"]["eval"]["energy"]["u"],
    "ddim_energy_v": lambda r: r["ddim"]["eval"]["energy"]["v"],
    "ddim_energy_u": lambda r: r["ddim"]["eval"]["energy"]["u"],
    "baseline_energy_v": lambda r: r["ddpm"]["eval"]["baseline_energy"]["v"],
    "baseline_energy_u": lambda r: r["ddpm"]["eval"]["baseline_energy"]["u"],
    "train_seconds": lambda r: r["train"]["seconds_wall"],
    "ddpm_sample_seconds": lambda r: r["ddpm"]["sample"]["seconds"],
    "ddim_sample_seconds": lambda r: r["ddim"]["sample"]["seconds"],
}


def summarize(per_seed, seeds, fields):
    """{field: spread over seeds} for fields {name: getter of one seed's record}."""
    return {key: spread([get(per_seed[s]) for s in seeds]) for key, get in fields.items()}


def part_moons(seeds, runs, env, steps, n):
    per_seed = {}
    for s in seeds:
        d = runs / f"moons_s{s}"
        ck = d / "model.safetensors"
        run(["train", "--dataset", "moons", "--seed", s, "--steps", steps, "--out", ck,
             "--json", d / "train.json"], env)
        per_seed[s] = {"train": load(d / "train.json")}
        for sampler, extra in (("ddpm", []), ("ddim", ["--steps", 50, "--spacing", "trailing"])):
            csv = d / f"samples_{sampler}.csv"
            run(["sample", "--checkpoint", ck, "--sampler", sampler, *extra, "--n", n, "--seed", s,
                 "--out", csv, "--json", d / f"sample_{sampler}.json"], env)
            run(["eval", "--samples", csv, "--dataset", "moons", "--seed", s, "--n", n,
                 "--json", d / f"eval_{sampler}.json"], env)
            per_seed[s][sampler] = {"sample": load(d / f"sample_{sampler}.json"),
                                    "eval": load(d / f"eval_{sampler}.json")}
    table = summarize(per_seed, seeds, {
        **MOONS_SAMPLE_FIELDS,
        "final_loss": lambda r: r["train"]["final_loss_mean_last_log"],
        "train_steps_per_second": lambda r: r["train"]["steps_per_second"],
    })
    return {"dataset": "moons", "seeds": seeds, "steps": steps, "n_samples": n,
            "summary": table, "per_seed": per_seed}


def train_gaussians8(s, runs, env, steps, save_at, extra=()):
    """Trains seed s's gaussians8 run with checkpoints at save_at; returns (its folder, the final
    checkpoint, the train record). nll_draws_compare.py trains the same way."""
    d = runs / f"gaussians8_s{s}"
    ck = d / "model.safetensors"
    run(["train", "--dataset", "gaussians8", "--seed", s, "--steps", steps,
         "--save-at", ",".join(map(str, save_at)), "--out", ck, "--json", d / "train.json", *extra],
        env)
    return d, ck, load(d / "train.json")


def part_gaussians8(seeds, runs, env, steps, save_at, n_test):
    per_seed = {}
    for s in seeds:
        d, ck, train = train_gaussians8(s, runs, env, steps, save_at)
        rows = []
        for c in train["checkpoints"]:
            for w in ("ema", "raw"):
                out = d / f"nll_step{c['step']}_{w}.json"
                run(["nll", "--checkpoint", c["path"], "--weights", w, "--dataset", "gaussians8",
                     "--n", n_test, "--seed", s, "--json", out], env)
                rows.append({"step": c["step"], "weights": w, **load(out)})
        out = d / "nll_oracle.json"
        run(["nll", "--oracle", "--checkpoint", ck, "--dataset", "gaussians8", "--n", n_test,
             "--seed", s, "--json", out], env)
        per_seed[s] = {"train": train, "nll": rows, "oracle": load(out)}

    summary = {}
    for step in sorted({r["step"] for r in per_seed[seeds[0]]["nll"]}):
        for w in ("ema", "raw"):
            pick = [next(r for r in per_seed[s]["nll"] if r["step"] == step and r["weights"] == w)
                    for s in seeds]
            summary[f"step{step}_{w}"] = {
                "bound_nats": spread([p["data"]["bound_nats"]["mean"] for p in pick]),
                "true_nll_nats": spread([p["data"]["true_nll_nats"]["mean"] for p in pick]),
                "gap_nats": spread([p["data"]["gap_nats"]["mean"] for p in pick]),
                "gap_se": spread([p["data"]["gap_nats"]["se"] for p in pick]),
                "bound_bits_per_dim": spread([p["data"]["bound_bits_per_dim"] for p in pick]),
            }
    o = [per_seed[s]["oracle"]["data"] for s in seeds]
    summary["oracle"] = {"bound_nats": spread([x["bound_nats"]["mean"] for x in o]),
                         "true_nll_nats": spread([x["true_nll_nats"]["mean"] for x in o]),
                         "gap_nats": spread([x["gap_nats"]["mean"] for x in o])}
    return {"dataset": "gaussians8", "seeds": seeds, "steps": steps, "checkpoints": save_at + [steps],
            "n_test": n_test, "summary": summary, "per_seed": per_seed}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--parts", default="moons,gaussians8,bench")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--steps", type=int, default=10_000)
    ap.add_argument("--n", type=int, default=10_000, help="samples and fresh points (moons)")
    ap.add_argument("--n-test", type=int, default=2000, help="NLL test points (gaussians8)")
    ap.add_argument("--save-at", default="1000,3000,5000")
    ap.add_argument("--bench-repeats", type=int, default=5)
    ap.add_argument("--quiet-load", type=float, default=0.0,
                    help="bench: wait for a 1-min load average below this before each run")
    ap.add_argument("--runs", default=str(HERE / "runs"))
    ap.add_argument("--results", default=str(HERE / "results"))
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    runs, results = pathlib.Path(args.runs), pathlib.Path(args.results)
    results.mkdir(parents=True, exist_ok=True)
    env = {"OPENBLAS_CORETYPE": "SkylakeX"}
    parts = args.parts.split(",")
    if "moons" in parts:
        r = part_moons(seeds, runs, env, args.steps, args.n)
        (results / "torch_moons.json").write_text(json.dumps(r, indent=2) + "\n")
    if "gaussians8" in parts:
        r = part_gaussians8(seeds, runs, env, args.steps,
                            [int(s) for s in args.save_at.split(",") if s], args.n_test)
        (results / "torch_gaussians8_nll.json").write_text(json.dumps(r, indent=2) + "\n")
    if "bench" in parts:
        run(["bench", "--repeats", args.bench_repeats, "--quiet-load", args.quiet_load,
             "--quiet-timeout", 60, "--no-ddpm", "openblas-skylakex-1t,reference-blas",
             "--json", results / "torch_bench.json"])


if __name__ == "__main__":
    main()
