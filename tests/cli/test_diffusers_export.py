"""`diffuse export --format diffusers` and `diffuse import` (docs/diffusers-export.md): a tiny
U-Net trained on digits goes out as a DDPMPipeline folder and comes back.

1. The folder holds exactly the four files of DDPMPipeline.save_pretrained; every JSON file is
   json.dumps(indent=2, sort_keys=True) + "\\n" and equals, as text, what the reference
   (python/diffuse_torch/unet2d.py, checked byte for byte against diffusers) writes for the
   checkpoint's settings.
2. scheduler_config.json describes the checkpoint's schedule: diffusers' definitions of its
   keys (python/diffuse_torch/diffusers_schedule.py) give `diffuse schedule`'s tables to 1e-5.
3. unet/config.json and the weights load strictly into the reference UNet2D, whose outputs match
   `diffuse predict` on the same .npy inputs, timesteps and labels to 1e-4 absolute. Why 1e-4:
   outputs are O(1), the longest float32 sums have 9 * 32 = 288 terms (eps 6e-8 each, so at
   worst ~2e-5 per layer, ~1e-6 typical), over a dozen layers; the existing U-Net cross-check
   sees ~1e-6. A wrong time embedding or layout moves outputs by 1e-2 or more.
4. import gives bit-identical weights and predictions; --dataset restores levels and class names.
5. Bad inputs exit 2 and write nothing: an MLP checkpoint, a non-empty folder, an unknown key,
   a wrong tensor shape, a data set of other images, a class out of range, an array of the wrong
   shape."""
import json
import os
import shutil
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.environ["DIFFUSE_SOURCE_DIR"], "tests", "reference"))
import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.join(os.environ["DIFFUSE_SOURCE_DIR"], "python"))
from diffuse_torch import unet2d  # noqa: E402
from cli_support import (assert_usage_error, enter_temp_dir, read_safetensors, run,  # noqa: E402
                         stray_files, train_tiny)
from diffuse_torch.diffusers_schedule import schedule  # noqa: E402

torch.set_num_threads(1)
SOURCE = os.environ["DIFFUSE_SOURCE_DIR"]
TOLERANCE = 1e-4
FILES = ["model_index.json", "scheduler/scheduler_config.json", "unet/config.json",
         "unet/diffusion_pytorch_model.safetensors"]
enter_temp_dir()
os.symlink(os.path.join(SOURCE, "data"), "data")  # digits are found under ./data


def files_under(folder):
    return sorted(os.path.relpath(os.path.join(d, f), folder) for d, _, fs in os.walk(folder) for f in fs)


def info(path):
    return json.loads(run("info", path, "--format", "json", check=True).stdout)["config"]


def write_safetensors(path, tensors, metadata):
    """A minimal safetensors writer (header JSON, 8-byte padding, contiguous float32 data)."""
    header, offset, blobs = {"__metadata__": metadata}, 0, []
    for name in sorted(tensors):
        blob = np.ascontiguousarray(tensors[name], dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def check_folder(folder, checkpoint):
    """Files, JSON texts and schedule of an export of `checkpoint`."""
    assert files_under(folder) == sorted(FILES), files_under(folder)
    assert stray_files(".") == [] and stray_files(folder) == []
    cfg = info(checkpoint)
    model, sched = cfg["model"], cfg["schedule"]
    texts = {f: open(os.path.join(folder, f)).read() for f in FILES[:3]}
    for name, text in texts.items():
        assert text == unet2d.config_json_text(json.loads(text)), f"{name} is not formatted as diffusers writes"
    K = model["classes"]
    want_unet = unet2d.diffusers_unet_config(model["block_out_channels"], model["layers_per_block"],
                                             model["norm_num_groups"], model["add_attention"],
                                             K + 1 if K else None, model["sample_size"])
    assert texts["unet/config.json"] == unet2d.config_json_text(want_unet), texts["unet/config.json"]
    names = {"cosine": "squaredcos_cap_v2"}
    prediction = {"eps": "epsilon", "x0": "sample", "v": "v_prediction"}[cfg["diffusion"]["prediction"]]
    want_sched = unet2d.diffusers_scheduler_config(
        "DDPMScheduler", num_train_timesteps=sched["timesteps"],
        beta_schedule=names.get(sched["schedule"], sched["schedule"]), beta_start=sched["beta_start"],
        beta_end=sched["beta_end"], rescale_betas_zero_snr=sched["zero_terminal_snr"],
        prediction_type=prediction, variance_type="fixed_small", clip_sample=False,
        timestep_spacing="trailing")  # diffuse sample's defaults: no clipping of x0
    assert texts["scheduler/scheduler_config.json"] == unet2d.config_json_text(want_sched), \
        texts["scheduler/scheduler_config.json"]
    assert texts["model_index.json"] == unet2d.config_json_text(unet2d.model_index("DDPMScheduler"))
    # The scheduler's keys, read with diffusers' definitions, are the checkpoint's schedule.
    sc = json.loads(texts["scheduler/scheduler_config.json"])
    want = schedule(sc["beta_schedule"], sc["num_train_timesteps"], sc["beta_start"], sc["beta_end"],
                    sc["rescale_betas_zero_snr"])
    args = ["schedule", "--schedule", sched["schedule"], "-T", sched["timesteps"], "--format", "json"]
    if sched["schedule"] != "cosine":
        args += ["--beta-start", sched["beta_start"], "--beta-end", sched["beta_end"]]
    if sched["zero_terminal_snr"]:
        args.append("--zero-snr")
    got = json.loads(run(*args, check=True).stdout)
    for field in ("beta", "alpha_bar"):
        assert np.allclose(got[field], want[field], rtol=1e-5, atol=0), field
    metadata, _ = read_safetensors(os.path.join(folder, FILES[3]))
    assert metadata == {"format": "pt"}, metadata


def reference_model(folder):
    cfg = json.load(open(os.path.join(folder, "unet", "config.json")))
    model = unet2d.UNet2D(cfg).eval()
    _, tensors = read_safetensors(os.path.join(folder, FILES[3]))
    model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in tensors.items()}, strict=True)
    return model, cfg


def predict(checkpoint, t, out, label=None, inputs="x.npy"):
    extra = [] if label is None else ["--class", label]
    run("predict", "--model", checkpoint, "--t", t, "--in", inputs, "--out", out, *extra, check=True)
    return np.load(out)


def compare_predictions(checkpoint, folder, labels):
    model, cfg = reference_model(folder)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((5, 1, cfg["sample_size"], cfg["sample_size"])).astype(np.float32)
    np.save("x.npy", x)
    worst = 0.0
    T = info(checkpoint)["schedule"]["timesteps"]
    for t in (0, 1, 37, T // 2, T - 1):
        for label in labels:
            got = predict(checkpoint, t, "p.npy", label)
            assert got.shape == x.shape and got.dtype == np.float32, (got.shape, got.dtype)
            with torch.no_grad():
                class_labels = None if label is None else torch.full((len(x),), label, dtype=torch.int64)
                want = model(torch.from_numpy(x), torch.full((len(x),), t, dtype=torch.int64), class_labels).numpy()
            diff = float(np.abs(got - want).max())
            worst = max(worst, diff)
            assert diff <= TOLERANCE, (checkpoint, t, label, diff)
    print(f"ok: {checkpoint}: diffuse predict = reference UNet2D on the exported folder, max abs diff {worst:.2e}"
          f" (outputs up to {float(np.abs(got).max()):.2f})")
    return x


# A conditional model with attention, eps, linear (digits' defaults), and an unconditional one
# with v prediction on a zero-terminal-SNR cosine schedule.
common = ["--dataset", "digits", "--steps", "20", "--channels", "8,16", "--groups", "4", "--layers-per-block", "1", "-q"]
run("train", *common, "--conditional", "--attention", "--out", "cond.safetensors", check=True)
run("train", *common, "--schedule", "cosine", "--zero-snr", "--prediction", "v", "-T", "200",
    "--out", "uncond.safetensors", check=True)

for name, labels in (("cond", (0, 3, 9, 10)), ("uncond", (None,))):
    r = run("export", f"{name}.safetensors", "--format", "diffusers", "--out", f"{name}_pipe", check=True)
    assert "DDPMPipeline" in r.stdout, r.stdout
    check_folder(f"{name}_pipe", f"{name}.safetensors")
    x = compare_predictions(f"{name}.safetensors", f"{name}_pipe", labels)

    # Back: bit-identical weights (against the safetensors export) and predictions.
    run("import", f"{name}_pipe", "--out", f"{name}_back.safetensors", "--dataset", "digits", check=True)
    text = run("info", f"{name}_back.safetensors", check=True).stdout
    assert "step       not recorded (imported" in text and "digits, 1x8x8 images" in text, text
    run("export", f"{name}.safetensors", "--out", f"{name}_export.safetensors", check=True)
    _, want = read_safetensors(f"{name}_export.safetensors")
    _, got = read_safetensors(f"{name}_back.safetensors")
    assert sorted(got) == sorted(want), sorted(set(got) ^ set(want))
    assert all(got[k].tobytes() == want[k].tobytes() for k in want)
    original, back = info(f"{name}.safetensors"), info(f"{name}_back.safetensors")
    for part in ("schedule", "diffusion", "model"):
        assert original[part] == back[part], (part, original[part], back[part])
    for key in ("source", "normalization", "shape", "classes", "class_names"):
        assert original["data"][key] == back["data"][key], (key, original["data"][key], back["data"][key])
    T = original["schedule"]["timesteps"]
    for t in (0, T // 2, T - 1):
        for label in labels:
            a = predict(f"{name}.safetensors", t, "a.npy", label)
            b = predict(f"{name}_back.safetensors", t, "b.npy", label)
            assert a.tobytes() == b.tobytes(), (name, t, label)
    print(f"ok: {name}: import gives bit-identical weights and predictions")

# The imported models sample; without --dataset the data is diffusers' 8-bit images.
run("sample", "--model", "cond_back.safetensors", "--n", "10", "--class", "all", "--guidance", "2",
    "--steps", "20", "--out", "grid.png", "-q", check=True)
run("import", "uncond_pipe", "--out", "plain.safetensors", check=True)
plain = info("plain.safetensors")["data"]
assert plain["normalization"] == {"levels": 256} and plain["source"] == "uncond_pipe", plain
run("sample", "--model", "plain.safetensors", "--n", "4", "--steps", "10", "--out", "plain.npy", "-q", check=True)
assert np.load("plain.npy").shape == (4, 1, 8, 8)
# The null class is what predict uses without --class.
assert predict("cond.safetensors", 7, "n1.npy").tobytes() == predict("cond.safetensors", 7, "n2.npy", 10).tobytes()
print("ok: imported checkpoints sample; --dataset restores the data's levels and class names")

# An empty folder may be the target; a non-empty one never.
os.mkdir("empty")
run("export", "cond.safetensors", "--format", "diffusers", "--out", "empty", check=True)
assert files_under("empty") == sorted(FILES)

# Bad inputs: exit 2, nothing written.
train_tiny("mlp.safetensors")
r = run("export", "mlp.safetensors", "--format", "diffusers", "--out", "mlp_pipe")
assert_usage_error(r, "--format diffusers needs a U-Net checkpoint", "mlp")
assert not os.path.exists("mlp_pipe")

before = {f: open(os.path.join("cond_pipe", f), "rb").read() for f in FILES}
r = run("export", "uncond.safetensors", "--format", "diffusers", "--out", "cond_pipe")
assert_usage_error(r, "exists and is not empty", "non-empty folder")
assert {f: open(os.path.join("cond_pipe", f), "rb").read() for f in FILES} == before

shutil.copytree("cond_pipe", "bad_key")
cfg = json.load(open("bad_key/unet/config.json"))
cfg["cross_attention_dim"] = 8
open("bad_key/unet/config.json", "w").write(unet2d.config_json_text(cfg))
r = run("import", "bad_key", "--out", "bad.safetensors")
assert_usage_error(r, "unet/config.json: unknown key 'cross_attention_dim'", "unknown key")

shutil.copytree("cond_pipe", "bad_value")
sc = json.load(open("bad_value/scheduler/scheduler_config.json"))
sc["variance_type"] = "learned_range"
open("bad_value/scheduler/scheduler_config.json", "w").write(unet2d.config_json_text(sc))
r = run("import", "bad_value", "--out", "bad.safetensors")
assert_usage_error(r, "variance_type learned_range needs the U-Net's out_channels = 2 in_channels", "bad value")

shutil.copytree("cond_pipe", "bad_shape")
metadata, tensors = read_safetensors("bad_shape/" + FILES[3])
tensors = dict(tensors)
tensors["conv_in.weight"] = np.zeros((8, 1, 3, 2), np.float32)
write_safetensors("bad_shape/" + FILES[3], tensors, metadata)
r = run("import", "bad_shape", "--out", "bad.safetensors")
assert_usage_error(r, "conv_in.weight", "wrong shape")

shutil.copytree("cond_pipe", "no_weights")
os.remove("no_weights/" + FILES[3])
r = run("import", "no_weights", "--out", "bad.safetensors")
assert_usage_error(r, FILES[3] + ": cannot read it", "missing weights")

r = run("import", "cond_pipe", "--out", "bad.safetensors", "--dataset", "fashion")
assert_usage_error(r, "the data set fashion has 1x28x28 images", "other data set")
assert not os.path.exists("bad.safetensors")

r = run("predict", "--model", "cond.safetensors", "--t", "5", "--in", "x.npy", "--class", "11", "--out", "bad.npy")
assert_usage_error(r, "--class 11 is out of range: the model has classes 0..9 and the null class 10", "class")
np.save("wrong.npy", np.zeros((3, 64), np.float32))
r = run("predict", "--model", "cond.safetensors", "--t", "5", "--in", "wrong.npy", "--out", "bad.npy")
assert_usage_error(r, "has shape (3, 64) but the model takes (n, 1, 8, 8)", "npy shape")
np.save("ints.npy", np.zeros((3, 1, 8, 8), np.int64))
r = run("predict", "--model", "cond.safetensors", "--t", "5", "--in", "ints.npy", "--out", "bad.npy")
assert_usage_error(r, "dtype '<i8' is not supported", "npy dtype")
assert not os.path.exists("bad.npy")
assert stray_files(".") == [], stray_files(".")
print("ok: bad inputs exit 2 and write nothing")
