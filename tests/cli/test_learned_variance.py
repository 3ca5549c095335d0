"""Improved DDPM's learned variance (issue 13 item 4) and the flow model's ODE NLL, end to end:

- `train --learn-variance` doubles the MLP's output (out_dim 2 D: the checkpoint's output tensors)
  and records variance learned_range, the hybrid loss's vlb_weight and the t sampling;
- `elbo` uses the learned variance by default and its bound stays a bound: above gaussians8's
  true NLL on the same points, up to the paired standard error of the gap;
- on gaussians8, hybrid training narrows the ELBO gap against L_simple at the same budget (both
  models from the same seed and steps, L_simple's bound with its default fixed_small variance; the
  margin is 3 standard errors of the difference of the two bounds, taken as independent, which
  overstates the error: the bounds are positively correlated over the shared test points), and
  is not worse than L_simple with the better fixed_large variance;
- `sample --sampler ddpm` draws with the model's own variance; `--t-sampling importance` saves its
  loss history in the checkpoint and resumes;
- `nll` of a flow model: above the true NLL up to its paired standard error;
- bad input exits 2 naming the flag and writes nothing.
"""
import json
import math
import os

from cli_support import assert_usage_error, enter_temp_dir, read_safetensors, run, tiny

enter_temp_dir()

# Bad input: one line naming the flag and what is allowed, exit 2, nothing written.
bad = [
    (["--learn-variance", "--vlb-weight", "-1"], "--vlb-weight"),
    (["--learn-variance", "--vlb-weight", "nan"], "--vlb-weight"),
    (["--learn-variance", "--t-sampling", "sometimes"], "--t-sampling"),
    (["--learn-variance", "--objective", "flow"], "--learn-variance"),
    (["--vlb-weight", "0.01"], "--vlb-weight"),
    (["--t-sampling", "importance"], "--t-sampling"),
]
for flags, expected in bad:
    r = run("train", "--dataset", "moons", "--steps", "5", *tiny(), *flags, "--out", "bad.safetensors")
    assert_usage_error(r, expected, " ".join(flags))
    assert not os.path.exists("bad.safetensors"), flags
print("ok: bad --learn-variance / --vlb-weight / --t-sampling input exits 2 and writes nothing")

# gaussians8 (true NLL known), L_simple against the hybrid loss at the same budget.
# T = 1000 (the default schedule): the fixed variance's own gap is large there (docs/likelihood.md).
common = ["--dataset", "gaussians8", "--steps", "3000", *tiny(hidden=64, batch=128, T=None, beta_end=None,
                                                                train_size=2000)]
run("train", *common, "--out", "simple.safetensors", check=True)
run("train", *common, "--learn-variance", "--out", "hybrid.safetensors", check=True)
metadata, tensors = read_safetensors("hybrid.safetensors")
config = json.loads(metadata["config"])
assert config["model"]["out_dim"] == 4, config["model"]
assert config["diffusion"]["variance"] == "learned_range", config["diffusion"]
assert config["train"]["vlb_weight"] == 0.001 and config["train"]["t_sampling"] == "uniform", config["train"]
assert tensors["output.weight"].shape == (4, 64) and tensors["output.bias"].shape == (4,)
assert "out_dim" not in json.loads(read_safetensors("simple.safetensors")[0]["config"])["model"]


def elbo(model, *flags):
    return json.loads(run("elbo", "--model", model, "--dataset", "gaussians8", "--n", 1000, "-q", "--format",
                          "json", *flags, check=True).stdout)


learned = elbo("hybrid.safetensors")
assert learned["variance"] == "learned_range", learned["variance"]
# The bound's and the true NLL's errors taken as independent (they are positively correlated over
# the shared points, so this overstates the gap's error).
assert learned["gap_nats"] > -3 * math.hypot(learned["standard_error"], learned["true_nll_standard_error"]), learned
simple = elbo("simple.safetensors")  # L_simple's model with its default, fixed_small
large = elbo("simple.safetensors", "--variance", "fixed_large")
assert math.isclose(simple["true_nll_data_nats"], learned["true_nll_data_nats"], rel_tol=1e-12), "same points"
margin = 3 * math.hypot(simple["standard_error"], learned["standard_error"])
assert learned["nll_bound_data_nats"] < simple["nll_bound_data_nats"] - margin, (learned, simple, margin)
# Against the better fixed variance the gain is smaller (about 2 unpaired standard errors at this
# budget, docs/likelihood.md): here only "not worse", up to 3 of them.
margin_large = 3 * math.hypot(large["standard_error"], learned["standard_error"])
assert learned["nll_bound_data_nats"] < large["nll_bound_data_nats"] + margin_large, (learned, large)
print(f"ok: true NLL {learned['true_nll_data_nats']:.3f} <= hybrid bound {learned['nll_bound_data_nats']:.3f} "
      f"< L_simple bound {simple['nll_bound_data_nats']:.3f} - {margin:.3f} (fixed_large: "
      f"{large['nll_bound_data_nats']:.3f})")
fixed = elbo("hybrid.safetensors", "--variance", "fixed_small")
assert fixed["variance"] == "fixed_small" and fixed["nll_bound_data_nats"] > learned["nll_bound_data_nats"]

# Sampling with the model's own variance (the default) and with a fixed one.
for flags in [[], ["--variance", "fixed_small"]]:
    run("sample", "--model", "hybrid.safetensors", "--n", 50, "--out", "s.csv", "-q", *flags, check=True)
    rows = open("s.csv").read().split("\n")[1:]
    values = [float(v) for row in rows if row for v in row.split(",")]
    assert len(values) == 100 and all(math.isfinite(v) for v in values), flags

# A model without a learned variance refuses learned_range.
for command in [["sample", "--out", "x.csv"], ["elbo", "--dataset", "gaussians8"]]:
    r = run(command[0], "--model", "simple.safetensors", *command[1:], "--variance", "learned_range")
    assert_usage_error(r, "learned_range", command[0])
assert not os.path.exists("x.csv")
print("ok: ddpm samples with the learned variance; learned_range is refused for a fixed-variance model")

# Importance-sampled t: the history is saved and a resumed run goes on from it.
run("train", "--dataset", "moons", "--steps", "30", *tiny(T=10), "--learn-variance", "--t-sampling", "importance",
    "--out", "imp.safetensors", "--stop-at", "20", check=True)
_, imp = read_safetensors("imp.safetensors")
assert imp["training.t_history"].shape == (10, 10) and imp["training.t_history_counts"].shape == (10,)
run("train", "--resume", "imp.safetensors", "--out", "imp2.safetensors", "-q", check=True)
print("ok: --t-sampling importance saves its loss history and resumes")

# A flow model's ODE NLL: cross-entropy >= entropy, up to the paired standard error.
run("train", *common, "--objective", "flow", "--out", "flow.safetensors", check=True)
j = json.loads(run("nll", "--model", "flow.safetensors", "--dataset", "gaussians8", "--n", 300, "-q", "--format",
                   "json", check=True).stdout)
assert j["objective"] == "flow" and j["sigma_min"] is None, j
assert math.isfinite(j["nll_nats"]) and j["gap_nats"] > -5 * j["gap_standard_error"], j
print(f"ok: flow ODE NLL {j['nll_nats']:.3f} >= true NLL {j['true_nll_data_nats']:.3f} (gap s.e. "
      f"{j['gap_standard_error']:.3f})")
