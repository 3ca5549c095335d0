#!/usr/bin/python3
"""Separates the trained weights from the evaluators' noise in the gaussians8 NLL comparison, on
the final (10,000-step) checkpoints of `run_cli_reference.py --parts gaussians8`:

  * diffuse's weights scored by `torch_reference.py nll` with the same test points and noise seed
    as the PyTorch weights of the same seed (a paired comparison of the weights: one evaluator);
  * `diffuse elbo` and `torch_reference.py nll` on the same weights with noise seeds s (the run's
    seed, as in the main tables), 1000 and 1001: how far each evaluator's number moves with its
    x_t draws alone.

Writes RESULTS/nll_draw_check.json and prints the differences (mean ± standard error over seeds).

  /usr/bin/python3 bench/nll_draw_check.py --runs bench/runs --results bench/results --seeds 0,1,2
"""
import argparse
import json
import pathlib
import statistics
import subprocess

import run_cli_reference as ref

HERE = pathlib.Path(__file__).resolve().parent


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", default=str(HERE / "runs"))
    ap.add_argument("--results", default=str(HERE / "results"))
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--diffuse", default=str(HERE.parent / "build" / "bin" / "diffuse"))
    args = ap.parse_args()
    rows = []
    for s in [int(x) for x in args.seeds.split(",")]:
        d = pathlib.Path(args.runs) / f"cli_gaussians8_s{s}"
        ck, test_csv, converted = d / "model.safetensors", d / "test.csv", d / "torchref.final.safetensors"
        ref.to_torchref_checkpoint(ck, converted)
        row = {"seed": s}
        for k in (s, 1000, 1001):
            out = subprocess.run([args.diffuse, "elbo", "--model", ck, "--dataset", test_csv, "--seed",
                                  str(k), "--format", "json", "--threads", "1", "-q"],
                                 capture_output=True, text=True, check=True).stdout
            row[f"diffuse_elbo_draw{k if k >= 1000 else '_s'}"] = json.loads(out)["nll_bound_data_nats"]
        for k in (s, 1000):
            j = d / f"torchnll_final_draw{k}.json"
            ref.run_torch(["nll", "--checkpoint", converted, "--data-csv", test_csv, "--true-density",
                           "gaussians8", "--seed", k, "--json", j])
            data = ref.load(j)["data"]
            row[f"torch_nll_draw{k if k >= 1000 else '_s'}"] = data["bound_nats"]["mean"]
            if k == s:
                row["gap_diffuse_weights_torch_nll"] = data["gap_nats"]["mean"]
        rows.append(row)
        print(row, flush=True)
    pathlib.Path(args.results, "nll_draw_check.json").write_text(json.dumps(rows, indent=1))
    col = lambda k: [r[k] for r in rows]  # noqa: E731
    for a, b in (("diffuse_elbo_draw_s", "torch_nll_draw_s"), ("diffuse_elbo_draw1000", "torch_nll_draw1000"),
                 ("diffuse_elbo_draw1001", "diffuse_elbo_draw1000"), ("diffuse_elbo_draw_s", "diffuse_elbo_draw1001"),
                 ("torch_nll_draw_s", "torch_nll_draw1000")):
        diff = [x - y for x, y in zip(col(a), col(b))]
        se = statistics.stdev(diff) / len(diff) ** 0.5 if len(diff) > 1 else float("nan")
        print(f"{a} - {b}: {statistics.mean(diff):+.4f} ± {se:.4f} nats")


if __name__ == "__main__":
    main()
