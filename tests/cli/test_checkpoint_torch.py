"""A `diffuse train` checkpoint in PyTorch: its non-"training." tensors load with
load_state_dict(strict=True) into the torch.nn.Module written from docs/reference-workload.md
(tests/reference/torch_mlp_check.py, float64), and that module's eps (x0, v) prediction equals the
C++ model's (`diffuse predict`) on random inputs at several t, for the reference architecture and
for every optional piece (residual blocks with LayerNorm, time projection, input embedding, GELU,
v prediction). The raw weights under "training.params." load the same way (`predict --raw`), and
an export holds exactly the checkpoint's EMA tensors. The safetensors file is read here with
struct + json + numpy (the `safetensors` package is not needed).

Tolerance: the C++ side computes in float32; each element must agree within 2^-12 of
(|reference| + rms(reference)), the bound of tests/reference/torch_mlp_check.py. A wrong name,
shape, layout or formula is off by O(1)."""
import json
import os
import sys

import numpy as np
import torch

from cli_support import enter_temp_dir, read_safetensors, run

sys.path.insert(0, os.path.join(os.environ["DIFFUSE_SOURCE_DIR"], "tests", "reference"))
from torch_mlp_check import MlpDenoiser  # noqa: E402

RTOL = 2.0 ** -12
enter_temp_dir()


def torch_model(path, prefix=""):
    metadata, tensors = read_safetensors(path)
    config = json.loads(metadata["config"])
    model = MlpDenoiser(config["model"]).double()
    state = {name[len(prefix):]: torch.from_numpy(array.astype(np.float64))
             for name, array in tensors.items()
             if (name.startswith(prefix) if prefix else not name.startswith("training."))}
    model.load_state_dict(state, strict=True)  # the same names and shapes, nothing missing or extra
    return model, config


def compare(path, label, extra=()):
    prefix = "training.params." if "--raw" in extra else ""
    model, config = torch_model(path, prefix)
    T = config["schedule"]["timesteps"]
    rng = np.random.default_rng(1)
    x = rng.normal(size=(64, config["model"]["data_dim"])).astype(np.float32)
    np.savetxt("x.csv", x, delimiter=",", header="x,y", comments="", fmt="%.9g")
    worst = 0.0
    for t in (0, 1, T // 3, T - 1):
        run("predict", "--model", path, "--t", t, "--in", "x.csv", "--out", "y.npy", *extra, check=True)
        got = np.load("y.npy").astype(np.float64)
        with torch.no_grad():
            want = model(torch.from_numpy(x.astype(np.float64)), torch.full((len(x),), t)).numpy()
        scale = np.abs(want) + np.sqrt((want ** 2).mean())
        worst = max(worst, float((np.abs(got - want) / (RTOL * scale)).max()))
    assert worst <= 1.0, f"{label}: max error {worst:.3g} x allowed"
    print(f"ok: {label}: strict load, predictions at t = 0, 1, T/3, T-1 within {worst:.2g} x tolerance")


variants = [
    ("reference model (eps, 3 x 128, SiLU)", []),
    ("residual + time projection + x embedding + GELU, v prediction",
     ["--hidden", "48", "--residual", "--time-projection", "--x-embed", "8", "--activation", "gelu",
      "--prediction", "v", "-T", "200"]),
    ("ReLU, x0 prediction, cosine zero-SNR schedule",
     ["--hidden", "40", "--layers", "2", "--activation", "relu", "--prediction", "x0", "--schedule", "cosine",
      "--zero-snr", "-T", "100"]),
]
for i, (label, flags) in enumerate(variants):
    path = f"m{i}.safetensors"
    run("train", "--dataset", "moons", "--steps", "30", "--batch", "64", "--train-size", "500", "-q", *flags,
        "--out", path, check=True)
    compare(path, label)
compare("m1.safetensors", "raw weights (training.params.*) with predict --raw", ["--raw"])

# The export: the same EMA tensors, no training state, and still loadable.
run("export", "m0.safetensors", "--out", "e.safetensors", check=True)
_, full = read_safetensors("m0.safetensors")
_, exported = read_safetensors("e.safetensors")
assert sorted(exported) == sorted(k for k in full if not k.startswith("training.")), sorted(exported)
for name, array in exported.items():
    assert np.array_equal(array, full[name]), name
assert not any(np.array_equal(full[k], full["training.params." + k]) for k in exported), \
    "EMA and raw weights should differ after 30 steps"
compare("e.safetensors", "export")
