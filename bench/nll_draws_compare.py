#!/usr/bin/python3
"""The final-checkpoint gaussians8 NLL comparison with K Monte Carlo draws per evaluation, so that
the two evaluators' own numbers can be compared like for like (docs/benchmarks.md, "Ten seeds per
side" and the subsection after it). For each seed s:

  PyTorch   trained as run_torch_reference.py --parts gaussians8 trains it (train_gaussians8);
            its final EMA weights scored by `torch_reference.py nll` with 1 draw (the number of
            the earlier suite, which this reproduces) and with K draws
  diffuse   trained as run_cli_reference.py --parts gaussians8 trains it (train_in_stages: one
            10,000-step run paused at 1,000, 3,000 and 5,000 steps); its final EMA weights scored
            by `diffuse elbo` with 1 and with K draws, and by `torch_reference.py nll` with K draws
            (cross-scoring: the same evaluator, points and noise seed as the PyTorch weights)

Every evaluation uses the same 2,000 test points (stream 3 of seed s) and noise seed s, as before.
Writes RESULTS/nll_draws{K}.json; `cli_results_table.py draws` prints the table.

  /usr/bin/python3 bench/nll_draws_compare.py --seeds 0,1,2,3,4,5,6,7,8,9 --draws 10 \\
      --results bench/results/seeds10 --runs /tmp/runs
"""
import argparse
import json
import pathlib
import time

import numpy as np

import run_cli_reference as cli
import run_torch_reference as torch_ref

HERE = pathlib.Path(__file__).resolve().parent


def torch_nll(checkpoint, s, n_test, draws, out, threads):
    """`torch_reference.py nll` of a checkpoint's EMA weights: its "data" record and seconds."""
    t0 = time.perf_counter()
    cli.run_torch(["nll", "--checkpoint", checkpoint, "--weights", "ema", "--dataset", "gaussians8",
                   "--n", n_test, "--seed", s, "--draws", draws, "--threads", threads,
                   "--json", out])
    r = cli.load(out)
    return {**r["data"], "draws": r["draws"], "monte_carlo_se": r.get("monte_carlo_se"),
            "seconds": time.perf_counter() - t0}


def diffuse_elbo(diffuse, checkpoint, test_csv, true_nll, s, n_test, draws, out):
    """`diffuse elbo` of a checkpoint's EMA weights on the test CSV, one thread."""
    stdout, seconds = cli.run_cli(diffuse, ["elbo", "--model", checkpoint, "--dataset", test_csv,
                                            "--n", n_test, "--seed", s, "--draws", draws,
                                            "--format", "json", "--threads", 1, "-q"])
    pathlib.Path(out).write_text(stdout)
    e = json.loads(stdout)
    return {"bound_nats": e["nll_bound_data_nats"], "standard_error": e["standard_error"],
            "monte_carlo_se": e["monte_carlo_standard_error"], "draws": e["draws"],
            "gap_nats": e["nll_bound_data_nats"] - float(np.mean(true_nll)), "seconds": seconds}


def torch_side(s, runs, steps, save_at, n_test, draws, threads):
    t0 = time.perf_counter()
    d, ck, train = torch_ref.train_gaussians8(s, runs, cli.TORCH_ENV, steps, save_at,
                                              ["--threads", threads])
    out = {"train_seconds": time.perf_counter() - t0,
           "final_loss": train["final_loss_mean_last_log"]}
    for k in (1, draws):
        out[f"nll_draws{k}"] = torch_nll(ck, s, n_test, k, d / f"nll_final_ema_draws{k}.json",
                                         threads)
    return out


def diffuse_side(diffuse, s, runs, steps, stops, n_test, draws, threads):
    d = runs / f"cli_gaussians8_s{s}"
    d.mkdir(parents=True, exist_ok=True)
    test_csv, true_nll = cli.nll_test_points(d, s, n_test)
    t0 = time.perf_counter()
    cks, _ = cli.train_in_stages(diffuse, d, s, steps, stops, 1)
    out = {"train_seconds": time.perf_counter() - t0}
    ck = cks[-1][1]
    for k in (1, draws):
        out[f"elbo_draws{k}"] = diffuse_elbo(diffuse, ck, test_csv, true_nll, s, n_test, k,
                                             d / f"elbo_final_ema_draws{k}.json")
    converted = d / "torchref.final.safetensors"
    cli.to_torchref_checkpoint(ck, converted)
    out[f"torch_nll_draws{draws}"] = torch_nll(converted, s, n_test, draws,
                                               d / f"torchnll_final_ema_draws{draws}.json", threads)
    return out


def stored_gaps(results, s):
    """The earlier suite's one-draw gaps of seed s's final EMA weights (None where not stored)."""
    out = {}
    for side, name in (("PyTorch", "torch_gaussians8_nll.json"), ("diffuse", "cli_gaussians8_nll.json")):
        path = pathlib.Path(results) / name
        if not path.exists():
            continue
        r = json.loads(path.read_text())["per_seed"].get(str(s))
        row = next((x for x in r["nll"] if x["weights"] == "ema" and x["step"] == max(
            y["step"] for y in r["nll"])), None) if r else None
        if row:
            out[side] = row["data"]["gap_nats"]["mean"] if side == "PyTorch" else row["gap_nats"]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", default="0,1,2,3,4,5,6,7,8,9")
    ap.add_argument("--draws", type=int, default=10, help="K, draws per evaluation")
    ap.add_argument("--steps", type=int, default=10_000)
    ap.add_argument("--n-test", type=int, default=2000)
    ap.add_argument("--save-at", default="1000,3000,5000",
                    help="the checkpoints of the earlier suites (trained, not evaluated)")
    ap.add_argument("--threads", type=int, default=1, help="torch_reference.py --threads")
    ap.add_argument("--diffuse", default=str(cli.REPO / "build" / "bin" / "diffuse"))
    ap.add_argument("--runs", default=str(HERE / "runs"))
    ap.add_argument("--results", default=str(HERE / "results" / "seeds10"))
    args = ap.parse_args()
    seeds = [int(x) for x in args.seeds.split(",")]
    save_at = [int(k) for k in args.save_at.split(",") if k]
    runs, results = pathlib.Path(args.runs), pathlib.Path(args.results)
    out_path = results / f"nll_draws{args.draws}.json"
    diffuse = pathlib.Path(args.diffuse)
    version, _ = cli.run_cli(diffuse, ["--version"])
    per_seed = {}
    for s in seeds:
        t0 = time.perf_counter()
        row = {"torch": torch_side(s, runs, args.steps, save_at, args.n_test, args.draws,
                                   args.threads),
               "diffuse": diffuse_side(diffuse, s, runs, args.steps, save_at, args.n_test,
                                       args.draws, args.threads),
               "stored_one_draw_gaps": stored_gaps(results, s)}
        row["seconds"] = time.perf_counter() - t0
        per_seed[s] = row
        print(f"seed {s}: {row['seconds']:.0f} s; gaps with {args.draws} draws: PyTorch "
              f"{row['torch'][f'nll_draws{args.draws}']['gap_nats']['mean']:.4f}, diffuse "
              f"{row['diffuse'][f'elbo_draws{args.draws}']['gap_nats']:.4f}, diffuse's weights "
              f"in torch_reference.py nll "
              f"{row['diffuse'][f'torch_nll_draws{args.draws}']['gap_nats']['mean']:.4f}",
              flush=True)
        # written after every seed, so a long run can be read (and resumed by hand) midway
        results.mkdir(parents=True, exist_ok=True)
        out_path.write_text(json.dumps({
            "dataset": "gaussians8", "seeds": list(per_seed), "steps": args.steps,
            "n_test": args.n_test, "draws": args.draws, "weights": "ema, final checkpoint",
            "noise_seed": "the run's seed", "diffuse_version": version.strip(),
            "per_seed": per_seed}, indent=2) + "\n")


if __name__ == "__main__":
    main()
