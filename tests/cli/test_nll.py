"""`diffuse nll --method ode` (the probability-flow ODE likelihood, docs/likelihood.md) reports what it
claims, checked from its own numbers and from independent references:

- JSON: the keys; nll_nats = nll_normalized_nats + sum_d log std_d of the checkpoint's normalization
  (read here from the file); bits/dim = nll_nats / (D ln 2); the normalized NLL is the prior term
  minus the divergence integral; every number finite; the text names its rows.
- gaussians8, a briefly trained model: the ODE NLL lies below the ELBO bound on the same test
  points, and above the true NLL (whose mean is checked against the mixture's entropy integrated
  here with numpy) up to the paired standard error of the gap: cross-entropy >= entropy.
- results depend on the seed's test points only: the same with 1 or 2 threads; Hutchinson's
  estimate agrees with the exact divergence's NLL within its reported probe standard error.
- a 17-dimensional model defaults to Hutchinson; digits (when present) are dequantized and
  scaled to levels (D log((L - 1) / 2)).
- bad inputs: exit 2 with a message naming the flag, and nothing on stdout.
"""
import json
import math
import os

import numpy as np

from cli_support import assert_usage_error, enter_temp_dir, read_safetensors, run, tiny

enter_temp_dir()
run("train", "--dataset", "gaussians8", "--steps", "1500", *tiny(hidden=64, batch=128, T=100, beta_end=0.1,
                                                                  train_size=2000), "--out", "g8.safetensors",
    check=True)
config = json.loads(read_safetensors("g8.safetensors")[0]["config"])
log_std_sum = float(np.sum(np.log(config["data"]["normalization"]["std"])))


def nll(*args, model="g8.safetensors"):
    return json.loads(run("nll", "--model", model, "-q", "--format", "json", *args, check=True).stdout)


N = 400
j = nll("--dataset", "gaussians8", "--n", N)
for key in ["nll_nats", "standard_error", "bits_per_dim", "n", "nfe", "divergence", "method", "prior_nats",
            "divergence_integral_nats", "nll_normalized_nats", "scale_nats", "sigma_min", "sigma_max",
            "true_nll_data_nats", "true_nll_smoothed_data_nats", "gap_nats", "gap_standard_error",
            "probe_standard_error", "steps"]:
    assert key in j, key
assert j["n"] == N and j["D"] == 2 and j["method"] == "ode" and j["divergence"] == "exact", j
assert j["probes"] is None and j["probe_standard_error"] is None and j["dequantized"] is False
for key in ["nll_nats", "standard_error", "bits_per_dim", "nfe", "prior_nats", "divergence_integral_nats"]:
    assert math.isfinite(j[key]), (key, j[key])
assert math.isclose(j["nll_nats"], j["nll_normalized_nats"] + log_std_sum, rel_tol=1e-12, abs_tol=1e-12)
assert math.isclose(j["scale_nats"], log_std_sum, rel_tol=1e-12)
assert math.isclose(j["bits_per_dim"], j["nll_nats"] / (2 * math.log(2)), rel_tol=1e-12)
assert math.isclose(j["nll_normalized_nats"], j["prior_nats"] - j["divergence_integral_nats"], abs_tol=1e-9)
assert j["rows_per_evaluation"] == 5 and j["nfe"] > 7 and j["standard_error"] > 0
# T = 100, beta 1e-4 .. 0.1: sigma_min = sqrt(1e-4 / (1 - 1e-4)), sigma_max from alpha_bar at T - 1.
betas = np.linspace(1e-4, 0.1, 100)
alpha_bar = np.cumprod(1 - betas)
assert math.isclose(j["sigma_min"], math.sqrt((1 - alpha_bar[0]) / alpha_bar[0]), rel_tol=1e-9)
assert math.isclose(j["sigma_max"], math.sqrt((1 - alpha_bar[-1]) / alpha_bar[-1]), rel_tol=1e-9)
print(f"ok: nll JSON is consistent: {j['nll_nats']:.4f} nats = {j['bits_per_dim']:.4f} bits/dim, "
      f"s.e. {j['standard_error']:.4f}, {j['nfe']:.0f} evaluations per example")

# The true NLL of the fresh points (elbo and nll draw the same ones): the points are not printed,
# so check the reported true NLL against the mixture's entropy by integration, and the ODE NLL
# against it.
centres = 2 * np.stack([np.cos(2 * np.pi * np.arange(8) / 8), np.sin(2 * np.pi * np.arange(8) / 8)], 1)
grid = np.linspace(-3, 3, 1201)
gx, gy = np.meshgrid(grid, grid)
density = sum(np.exp(-((gx - cx) ** 2 + (gy - cy) ** 2) / 0.02) / (2 * np.pi * 0.01) / 8 for cx, cy in centres)
entropy = float(-(density * np.log(np.maximum(density, 1e-300))).sum() * (grid[1] - grid[0]) ** 2)
assert abs(j["true_nll_data_nats"] - entropy) < 5 * j["true_nll_standard_error"], (j["true_nll_data_nats"], entropy)
elbo = json.loads(run("elbo", "--model", "g8.safetensors", "--dataset", "gaussians8", "--n", N, "-q",
                      "--format", "json", check=True).stdout)
assert math.isclose(elbo["true_nll_data_nats"], j["true_nll_data_nats"], rel_tol=1e-12), "not the same test points"
assert j["nll_nats"] < elbo["nll_bound_data_nats"], (j["nll_nats"], elbo["nll_bound_data_nats"])
assert math.isclose(j["gap_nats"], j["nll_nats"] - j["true_nll_data_nats"], rel_tol=1e-9, abs_tol=1e-12)
assert j["gap_standard_error"] > 0, j
assert j["gap_nats"] > -5 * j["gap_standard_error"], (j["gap_nats"], j["gap_standard_error"])
print(f"ok: true NLL {j['true_nll_data_nats']:.4f} <= ODE NLL {j['nll_nats']:.4f} < ELBO {elbo['nll_bound_data_nats']:.4f}")

text = run("nll", "--model", "g8.safetensors", "--dataset", "gaussians8", "--n", 50, "-q", check=True).stdout
for words in ["probability-flow ODE", "Dormand-Prince 5(4)", "divergence exact", "NLL, normalized space",
              "NLL, data units", "sum_d log std_d", "true NLL"]:
    assert words in text, (words, text)
print("ok: the text names its terms")

# Threads change nothing; Hutchinson agrees with the exact divergence within its standard error.
one = nll("--dataset", "gaussians8", "--n", 100, "--threads", 1)
two = nll("--dataset", "gaussians8", "--n", 100, "--threads", 2)
assert one["nll_nats"] == two["nll_nats"], (one["nll_nats"], two["nll_nats"])
hutch = nll("--dataset", "gaussians8", "--n", 100, "--divergence", "hutchinson", "--probes", 4)
assert hutch["divergence"] == "hutchinson" and hutch["probes"] == 4 and hutch["rows_per_evaluation"] == 9
assert hutch["probe_standard_error"] > 0, hutch
assert abs(hutch["nll_nats"] - one["nll_nats"]) < 5 * hutch["probe_standard_error"] + 1e-3, (hutch, one)
print(f"ok: threads agree; Hutchinson {hutch['nll_nats']:.4f} +- {hutch['probe_standard_error']:.4f} "
      f"vs exact {one['nll_nats']:.4f}")

# A 17-dimensional model (from a CSV file): Hutchinson by default, exact refused.
rng = np.random.default_rng(0)
points = rng.normal(size=(300, 17)) * np.linspace(0.5, 2, 17)
np.savetxt("d17.csv", points, delimiter=",", header=",".join(f"x{i}" for i in range(17)), comments="")
run("train", "--dataset", "d17.csv", "--steps", "50", *tiny(train_size=None), "--out", "d17.safetensors", check=True)
d17 = nll("--dataset", "d17.csv", "--n", 8, model="d17.safetensors")
assert d17["divergence"] == "hutchinson" and d17["probes"] == 1 and d17["D"] == 17 and d17["n"] == 8
assert math.isfinite(d17["nll_nats"]) and d17["probe_standard_error"] is None
r = run("nll", "--model", "d17.safetensors", "--dataset", "d17.csv", "--divergence", "exact")
assert_usage_error(r, "--divergence exact is for models of D <= 16")
print("ok: D = 17 uses Hutchinson; exact is refused")

# Digits: dequantized, in the data's levels (skipped without the data set).
if os.path.exists(os.path.join(os.environ["DIFFUSE_SOURCE_DIR"], "data", "digits.csv.gz")):
    run("train", "--dataset", "digits", "--steps", "20", "--channels", "8,16", "--groups", "4",
        "--layers-per-block", "1", "--batch", "32", "--warmup", "5", "-q", "--out", "digits.safetensors", check=True)
    d = nll("--dataset", "digits", "--n", 3, "--tolerance", "1e-3", model="digits.safetensors")
    assert d["dequantized"] is True and d["levels"] == 17 and d["D"] == 64 and d["divergence"] == "hutchinson"
    assert math.isclose(d["scale_nats"], 64 * math.log(8), rel_tol=1e-12)
    assert math.isclose(d["bits_per_dim"], d["nll_nats"] / (64 * math.log(2)), rel_tol=1e-12)
    assert math.isfinite(d["nll_nats"]) and d["nll_nats"] > 0, d  # a bound on a discrete NLL
    print(f"ok: digits: {d['bits_per_dim']:.3f} bits/dim (dequantized)")
else:
    print("skipped digits: data/digits.csv.gz is absent")

# Bad inputs: exit 2, the flag named, nothing written to stdout.
base = ["nll", "--model", "g8.safetensors", "--dataset", "gaussians8"]
for args, expected in [
    (["--method", "sde"], "allowed are ode"),
    (["--divergence", "fast"], "--divergence"),
    (["--probes", "2"], "--probes 2 is for --divergence hutchinson"),
    (["--probes", "0"], "--probes"),
    (["--n", "0"], "--n"),
    (["--tolerance", "nan"], "--tolerance"),
    (["--tolerance", "0"], "--tolerance"),
    (["--format", "csv"], "--format"),
    (["--seed", "-1"], "--seed"),
]:
    assert_usage_error(run(*base, *args), expected, args)
assert_usage_error(run("nll", "--model", "missing.safetensors", "--dataset", "gaussians8"), "--model")
assert_usage_error(run("nll", "--model", "g8.safetensors", "--dataset", "nosuchset"), "--dataset")
assert_usage_error(run("nll", "--model", "d17.safetensors", "--dataset", "moons"), "is 2D but the model has D = 17")
assert_usage_error(run("nll", "--model", "g8.safetensors", "--dataset", "d17.csv"), "has 17 columns")
assert_usage_error(run("nll", "--model", "d17.safetensors", "--dataset", "d17.csv", "--n", "301"), "--n 301")
assert_usage_error(run("nll", "--dataset", "gaussians8"), "--model")
print("ok: bad inputs are refused with exit 2")
