"""Flow matching end to end (issue 13 item 3): `diffuse train --objective flow` records the objective
and the shift; `diffuse sample` with euler and heun equals FlowMatchEuler/HeunDiscreteScheduler
written out here from diffusers' definitions (levels s_k = shift(linspace(T, shift(1/T) T, N) / T),
then 0; x' = x + (s' - s) u; Heun's trapezoid on repeated levels) stepping the same network in
PyTorch (the checkpoint's MLP loaded by name, given t = s T); resuming is exact; and what has no
meaning for a flow model is refused with exit 2."""
import json
import os
import sys

import numpy as np
import torch

from cli_support import TINY, assert_usage_error, enter_temp_dir, read_safetensors, run, tiny

sys.path.insert(0, os.path.join(os.environ["DIFFUSE_SOURCE_DIR"], "tests", "reference"))
from torch_mlp_check import MlpDenoiser  # noqa: E402

enter_temp_dir()
torch.set_num_threads(1)


def shifted(s, shift):
    return shift * s / (1 + (shift - 1) * s)


def flow_levels(T, N, shift):
    lowest = shifted(1.0 / T, shift) * T
    t = np.linspace(T, lowest, N)
    s = np.float32(shifted(t / T, shift)).astype(np.float64)
    return s


def reference(path, z, N, shift, heun):
    metadata, tensors = read_safetensors(path)
    config = json.loads(metadata["config"])
    model = MlpDenoiser(config["model"]).double()
    model.load_state_dict({k: torch.from_numpy(v.astype(np.float64)) for k, v in tensors.items()
                           if not k.startswith("training.")}, strict=True)
    T = config["schedule"]["timesteps"]

    def u(x, s):
        with torch.no_grad():
            t = torch.full((len(x),), float(np.float32(s * T)), dtype=torch.float64)
            return model(torch.from_numpy(x), t).numpy()

    s = list(flow_levels(T, N, shift)) + [0.0]
    x = z.astype(np.float64)
    for k in range(N):
        d = u(x, s[k])
        if not heun or s[k + 1] == 0.0:
            x = x + (s[k + 1] - s[k]) * d
            continue
        x_pred = x + (s[k + 1] - s[k]) * d
        d2 = u(x_pred, s[k + 1])
        x = x + (s[k + 1] - s[k]) * 0.5 * (d + d2)
    norm = config["data"]["normalization"]
    return x * np.array(norm["std"]) + np.array(norm["mean"])


z = np.random.default_rng(3).standard_normal((40, 2)).astype(np.float32)
np.save("z.npy", z)
for shift in (1.0, 3.0):
    path = f"flow{shift:g}.safetensors"
    run("train", "--dataset", "moons", "--steps", "200", *tiny(T=1000, beta_end=None), "--objective", "flow",
        "--shift", shift, "--out", path, check=True)
    info = run("info", path, check=True).stdout
    assert "flow matching" in info and f"shift {shift:g}" in info, info
    for sampler, heun in (("euler", False), ("heun", True)):
        for N in (1, 6, 20):
            run("sample", "--model", path, "--noise", "z.npy", "--sampler", sampler, "--steps", N,
                "--out", "s.npy", "-q", check=True)
            got = np.load("s.npy").astype(np.float64)
            want = reference(path, z, N, shift, heun)
            error = float(np.abs(got - want).max())
            assert error < 1e-3, (shift, sampler, N, error)
print("ok: euler and heun on flow models (shift 1 and 3) equal FlowMatchEuler/Heun stepping the same "
      "network (1e-3 in data units)")

# The default sampler of a flow model is euler; resume is exact.
r = run("sample", "--model", "flow1.safetensors", "--n", "10", "--out", "d.csv", check=True)
assert "Euler" in r.stdout and "flow matching" in r.stdout, r.stdout
run("train", "--dataset", "moons", "--steps", "30", *TINY, "--objective", "flow", "--out", "a.safetensors", check=True)
run("train", "--dataset", "moons", "--steps", "30", *TINY, "--objective", "flow", "--stop-at", "15",
    "--out", "b.safetensors", check=True)
run("train", "--resume", "b.safetensors", "--out", "b.safetensors", "-q", check=True)
_, a = read_safetensors("a.safetensors")
_, b = read_safetensors("b.safetensors")
assert all(np.array_equal(a[k], b[k]) for k in a), "a resumed flow run differs from an uninterrupted one"
print("ok: a flow run stopped and resumed ends bit-identical to an uninterrupted one")

for args, expected in (
    (["sample", "--model", "flow1.safetensors", "--sampler", "ddim", "--out", "x.csv"], "euler or heun"),
    (["sample", "--model", "flow1.safetensors", "--karras", "--out", "x.csv"], "karras"),
    (["sample", "--model", "flow1.safetensors", "--spacing", "leading", "--out", "x.csv"], "spacing"),
    (["elbo", "--model", "flow1.safetensors", "--dataset", "moons"], "flow-matching"),
    (["train", "--dataset", "moons", *TINY, "--objective", "flow", "--prediction", "v", "--out", "x.safetensors"], "--prediction"),
    (["train", "--dataset", "moons", *TINY, "--shift", "3", "--out", "x.safetensors"], "--shift applies to --objective flow"),
    (["train", "--dataset", "moons", *TINY, "--objective", "flow", "--shift", "0", "--out", "x.safetensors"], "--shift"),
    (["train", "--dataset", "moons", *TINY, "--objective", "rectified", "--out", "x.safetensors"], "--objective"),
):
    r = run(*args)
    assert_usage_error(r, expected, " ".join(args))
    assert not os.path.exists("x.csv") and not os.path.exists("x.safetensors"), args
print("ok: diffusion-only samplers, flags and the ELBO are refused for flow models (exit 2)")

# diffuse sweep compares a flow model's own samplers: euler and heun, each run as itself.
r = run("sweep", "--model", "flow1.safetensors", "--dataset", "moons", "--n", "200", "--budgets", "3,7",
        "--format", "json", "-q", check=True)
rows = json.loads(r.stdout)["results"]
assert {row["sampler"] for row in rows} == {"euler", "heun"}, rows
score = {(row["sampler"], row["budget"]): row["score"] for row in rows}
assert score[("euler", 7)] != score[("heun", 7)], score
e = json.loads(run("eval", "--model", "flow1.safetensors", "--dataset", "moons", "--n", "200", "--sampler", "heun",
                   "--steps", "4", "--format", "json", "-q", check=True).stdout)
assert abs(e["samples"]["energy_distance"] - score[("heun", 7)]) < 1e-12, (e, score)
print("ok: diffuse sweep runs a flow model's euler and heun, each as diffuse eval does")
