"""python/diffuse_torch against the CLI (docs/torch.md): its torch.nn.Modules load diffuse
checkpoints under their PyTorch names and predict what `diffuse predict` does; the converter writes
checkpoints and `diffuse import --from torch` pairs that the CLI samples; bad inputs are refused.

1. Predictions, every module in float32 as a user runs it and in float64. The tolerances are the
   issue's: 1e-5 absolute for the MLP, 1e-4 for the U-Net, and they follow from float32's unit
   roundoff u = 6e-8. The MLP's outputs (|y| <= ~2) come out of four layers of sums of at most 129
   products: rounding errors add up like a random walk, ~sqrt(129) u |y| ~ 1.4e-6 per layer and
   ~3e-6 after four (the float64 module only sees the C++ side's rounding; the float32 module
   rounds as much again). The U-Net's ~40 layers (3x3 convolutions of up to 9 x 32 terms, GroupNorm,
   attention) each add ~1e-6: ~4e-5 after 40. A wrong name, layout or formula is off by O(0.1).
2. The converter: a module's state_dict (changed by an optimizer step) saved with save_checkpoint
   predicts in `diffuse predict` what the module does, and samples; save_for_import + `diffuse
   import --from torch` gives the same tensors; a .pt state_dict converts to .safetensors first;
   `diffuse import --from diffusers DIR` reads an export as `diffuse import DIR` does.
3. Bad input: configurations the modules or the CLI cannot express, and missing, misshaped,
   DDP-prefixed tensors, are refused with exit 2, a message naming the field or tensor, nothing written.
"""
import json
import os
import subprocess
import sys

import numpy as np
import torch

from cli_support import assert_usage_error, enter_temp_dir, read_safetensors, run

PYTHON_DIR = os.path.join(os.environ["DIFFUSE_SOURCE_DIR"], "python")
sys.path.insert(0, PYTHON_DIR)
import diffuse_torch as dt  # noqa: E402
from diffuse_torch.safetensors_io import write_safetensors  # noqa: E402

MLP_TOLERANCE, UNET_TOLERANCE = 1e-5, 1e-4
enter_temp_dir()
torch.manual_seed(0)


def module_output(model, x, t, label=None):
    dtype = next(model.parameters()).dtype
    labels = None if label is None else torch.full((len(x),), label, dtype=torch.int64)
    with torch.no_grad():
        return model(torch.from_numpy(x).to(dtype), torch.full((len(x),), t, dtype=torch.int64), labels).double().numpy()


def worst_difference(path, x, label=None, dtypes=(torch.float32, torch.float64)):
    """max |module - diffuse predict| over t = 0, 1, T/3, T-1, per dtype."""
    config = dt.read_config(path)
    T = config["schedule"]["timesteps"]
    np.save("x.npy", x)
    worst = {d: 0.0 for d in dtypes}
    models = {d: dt.load(path, dtype=d)[0] for d in dtypes}
    for t in (0, 1, T // 3, T - 1):
        extra = [] if label is None else ["--class", label]
        run("predict", "--model", path, "--t", t, "--in", "x.npy", "--out", "y.npy", *extra, check=True)
        got = np.load("y.npy").astype(np.float64)
        for d, model in models.items():
            worst[d] = max(worst[d], float(np.abs(module_output(model, x, t, label) - got).max()))
    return worst


# 1. Predictions.
rng = np.random.default_rng(1)
points = rng.normal(size=(64, 2)).astype(np.float32)
mlp_variants = [
    ("MLP, eps, 3 x 64 SiLU", ["--hidden", "64"], None),
    ("MLP, residual + time projection + x embedding + GELU, v", ["--hidden", "48", "--residual", "--time-projection",
                                                                 "--x-embed", "8", "--activation", "gelu", "--prediction", "v", "-T", "200"], None),
]
for i, (label, flags, cls) in enumerate(mlp_variants):
    path = f"mlp{i}.safetensors"
    run("train", "--dataset", "moons", "--steps", "30", "--batch", "64", "--train-size", "500", "-q", *flags,
        "--out", path, check=True)
    worst = worst_difference(path, points, cls)
    assert max(worst.values()) <= MLP_TOLERANCE, (label, worst)
    print(f"ok: {label}: module = diffuse predict, max abs diff float32 {worst[torch.float32]:.1e}, "
          f"float64 {worst[torch.float64]:.1e} (tolerance {MLP_TOLERANCE})")

run("export", "mlp0.safetensors", "--out", "mlp0_export.safetensors", check=True)
worst = worst_difference("mlp0_export.safetensors", points)
assert max(worst.values()) <= MLP_TOLERANCE, worst
print(f"ok: an export loads the same way: max abs diff {max(worst.values()):.1e}")

images = rng.uniform(-1, 1, size=(8, 1, 8, 8)).astype(np.float32)
unet_flags = ["--dataset", "digits", "--steps", "20", "--channels", "8,16", "--groups", "4", "--layers-per-block", "1", "-q"]
run("train", *unet_flags, "--conditional", "--attention", "--out", "unet.safetensors", check=True)
for label in (None, 3):
    worst = worst_difference("unet.safetensors", images, label)
    assert max(worst.values()) <= UNET_TOLERANCE, (label, worst)
    print(f"ok: U-Net (attention, conditional, class {label}): module = diffuse predict, max abs diff float32 "
          f"{worst[torch.float32]:.1e}, float64 {worst[torch.float64]:.1e} (tolerance {UNET_TOLERANCE})")

# 2. The converter.
for source, x, tolerance in (("mlp1.safetensors", points, MLP_TOLERANCE), ("unet.safetensors", images, UNET_TOLERANCE)):
    model, config = dt.load(source)
    loss = model(torch.from_numpy(x), torch.full((len(x),), 7)).pow(2).mean()
    loss.backward()
    torch.optim.Adam(model.parameters(), lr=1e-2).step()  # a model diffuse has not seen
    out = source.replace(".safetensors", "_torch.safetensors")
    dt.save_checkpoint(out, model.state_dict(), config, step=123)
    worst = worst_difference(out, x, dtypes=(torch.float32,))
    changed = float(np.abs(module_output(model, x, 7) - module_output(dt.load(source)[0], x, 7)).max())
    assert worst[torch.float32] <= tolerance and changed > 100 * tolerance, (out, worst, changed)
    info = run("info", out, check=True).stdout
    assert "step       123" in info and "resume     no" in info, info
    run("sample", "--model", out, "--n", "4", "--steps", "5", "--sampler", "ddim", "--out", "s.npy", "-q", check=True)
    assert np.isfinite(np.load("s.npy")).all()
    # The pair for diffuse import --from torch: the same tensors and configuration.
    dt.save_for_import("w.safetensors", "c.json", model.state_dict(), config, step=123)
    r = run("import", "w.safetensors", "--from", "torch", "--config", "c.json", "--out", "imported.safetensors", check=True)
    _, python_tensors = read_safetensors(out)
    _, cli_tensors = read_safetensors("imported.safetensors")
    assert sorted(python_tensors) == sorted(cli_tensors)
    assert all(np.array_equal(python_tensors[k], cli_tensors[k]) for k in cli_tensors)
    assert dt.read_config("imported.safetensors")["model"] == config["model"]
    print(f"ok: {source}: save_checkpoint predicts as the module ({worst[torch.float32]:.1e}; the step moved outputs by "
          f"{changed:.2f}), samples, and import --from torch gives the same tensors: {r.stdout.strip()}")

# A .pt state_dict (of a DDP-wrapped model's names too) converts to the same safetensors.
model, config = dt.load("mlp0.safetensors")
torch.save({"module." + k: v for k, v in model.state_dict().items()}, "state.pt")
dt.pt_to_safetensors("state.pt", "state.safetensors")
with open("c0.json", "w") as f:
    json.dump(config, f)
run("import", "state.safetensors", "--from", "torch", "--config", "c0.json", "--out", "from_pt.safetensors", check=True)
_, a = read_safetensors("from_pt.safetensors")
_, b = read_safetensors("mlp0_export.safetensors")
assert sorted(a) == sorted(b) and all(np.array_equal(a[k], b[k]) for k in a)
print("ok: a .pt state_dict (DDP names) -> pt_to_safetensors -> import --from torch = the export's tensors")

# Both spellings of the diffusers import.
run("export", "unet.safetensors", "--format", "diffusers", "--out", "pipe", check=True)
run("import", "pipe", "--out", "a.safetensors", check=True)
run("import", "--from", "diffusers", "pipe", "--out", "b.safetensors", check=True)
assert open("a.safetensors", "rb").read() == open("b.safetensors", "rb").read()
print("ok: import --from diffusers DIR = import DIR")

# 3. Bad input.
for change, field in ((lambda c: c["model"].update(kind="transformer"), "model.kind"),
                      (lambda c: c["model"].update(activation="tanh"), "model.activation"),
                      (lambda c: c["model"].update(dropout=0.1), "model.dropout")):
    bad = json.loads(json.dumps(config))
    change(bad)
    try:
        dt.model_from_config(bad)
        raise AssertionError(f"{field}: accepted")
    except dt.UnsupportedConfig as e:
        assert field in str(e), (field, str(e))
        print(f"ok: the package refuses {field}: {e}")
unet_config = dt.read_config("unet.safetensors")
unet_config["model"]["in_channels"] = 3
try:
    dt.model_from_config(unet_config)
    raise AssertionError("in_channels 3 accepted")
except dt.UnsupportedConfig as e:
    assert "model.in_channels" in str(e), str(e)
with open("bad_config.json", "w") as f:
    json.dump(bad, f)
r = subprocess.run([sys.executable, "-m", "diffuse_torch", "checkpoint", "w.safetensors", "bad_config.json", "x.safetensors"],
                   capture_output=True, text=True, env={**os.environ, "PYTHONPATH": PYTHON_DIR})
assert r.returncode == 2 and "model.dropout" in r.stderr and not os.path.exists("x.safetensors"), (r.returncode, r.stderr)


def refused(args, expected, label):
    before = set(os.listdir("."))
    r = run("import", *args)
    assert_usage_error(r, expected, label)
    assert set(os.listdir(".")) == before, (label, set(os.listdir(".")) - before)
    print(f"ok: {label}: {r.stderr.splitlines()[0]}")


def write_config(name, change):
    c = json.loads(json.dumps(config))
    change(c)
    with open(name, "w") as f:
        json.dump(c, f)
    return name


_, tensors = read_safetensors("state.safetensors")
write_safetensors("missing.safetensors", {k: v for k, v in tensors.items() if k != "output.bias"})
write_safetensors("misshaped.safetensors", {**tensors, "output.bias": np.zeros(3, np.float32)})
write_safetensors("ddp.safetensors", {"module." + k: v for k, v in tensors.items()})
write_safetensors("nan.safetensors", {**tensors, "output.bias": np.array([0, np.nan], np.float32)})
torch_import = ["--from", "torch", "--out", "out.safetensors"]
refused(["state.safetensors", *torch_import, "--config", write_config("kind.json", lambda c: c["model"].update(kind="vit"))],
        "kind 'vit' is unknown", "unsupported model kind")
refused(["state.safetensors", *torch_import, "--config", write_config("act.json", lambda c: c["model"].update(activation="tanh"))],
        "activation", "unsupported activation")
refused(["state.safetensors", *torch_import, "--config", write_config("obj.json", lambda c: c["diffusion"].update(prediction="score"))],
        "score", "unsupported prediction")
refused(["state.safetensors", *torch_import, "--config", write_config("nosched.json", lambda c: c.pop("schedule"))],
        "config field 'schedule' is missing", "configuration without a schedule")
with open("notjson.json", "w") as f:
    f.write("{ not json")
refused(["state.safetensors", *torch_import, "--config", "notjson.json"], "not valid JSON", "configuration that is not JSON")
refused(["missing.safetensors", *torch_import, "--config", "c0.json"], "tensor 'output.bias' is missing", "missing tensor")
refused(["misshaped.safetensors", *torch_import, "--config", "c0.json"],
        "tensor 'output.bias' has shape [3] but the model needs [2]", "misshaped tensor")
refused(["ddp.safetensors", *torch_import, "--config", "c0.json"], "DistributedDataParallel", "DDP-prefixed names")
refused(["nan.safetensors", *torch_import, "--config", "c0.json"], "non-finite", "NaN weight")
refused(["mlp0.safetensors", *torch_import, "--config", "c0.json"], "unexpected tensor 'training.", "a training checkpoint as a state_dict")
refused(["state.safetensors", *torch_import], "--from torch needs --config", "--from torch without --config")
refused(["pipe", "--from", "diffusers", "--config", "c0.json", "--out", "out.safetensors"], "--config is for --from torch",
        "--config with diffusers")
refused(["state.safetensors", *torch_import, "--config", "c0.json", "--dataset", "digits"], "--dataset is for --from diffusers",
        "--dataset with torch")
refused(["state.safetensors", "--from", "onnx", "--out", "out.safetensors"], "onnx", "unknown --from")
refused(["state.safetensors", "--from", "torch", "--config", "c0.json", "--out", "state.safetensors"], "state.safetensors",
        "--out onto the weights")
