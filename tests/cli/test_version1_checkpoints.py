"""Checkpoints written by diffuse 0.1.0 (format version 1, tests/fixtures/v0.1.0, made by its
make_fixtures.sh) under this build:

- `info` reports the same configuration values (new lines may be added; the model line no longer
  calls the network a "denoiser");
- `predict` (EMA and raw weights) and `sample` (DDIM and DDPM) give 0.1.0's numbers bit for bit,
  and a resumed run within 1e-3 (training's order of additions has since changed), when this build
  runs on the SIMD arch the fixtures were made on (arch.txt: the GEMM
  tiles and vector widths decide the last bits); on another arch within float32 rounding of them.

The bound off the recorded arch: outputs of a few small layers agree to a few float32 units of
roundoff relative to their scale, so rtol 2^-12 of (|value| + rms) (the bound of
tests/support/gradient_check.hpp), and samples after 10 to 1,000 steps: 1e-3 of the data's scale.
"""
import os
import re
import shutil

import numpy as np

from cli_support import enter_temp_dir, read_csv, run

FIXTURES = os.path.join(os.environ["DIFFUSE_SOURCE_DIR"], "tests", "fixtures", "v0.1.0")
enter_temp_dir()

version = run("--version", check=True).stdout
recorded = open(os.path.join(FIXTURES, "arch.txt")).read()
arch = lambda text: re.search(r"SIMD: ([^,]+),", text).group(1)
same_arch = arch(version) == arch(recorded)
print(f"this build: {arch(version)}; fixtures: {arch(recorded)}; bit for bit: {same_arch}")


def same(got_path, want_path, label, rtol, exact=True):
    got, want = read_csv(got_path), read_csv(want_path)
    assert got.shape == want.shape, (label, got.shape, want.shape)
    if same_arch and exact:
        assert open(got_path).read() == open(want_path).read(), f"{label}: not bit for bit"
    else:
        scale = np.abs(want) + np.sqrt((want ** 2).mean())
        assert (np.abs(got - want) <= rtol * scale).all(), (label, np.abs(got - want).max())
    print(f"ok: {label}")


def info_values(text):
    """The configuration's values, from info's text: each line's numbers and words."""
    rows = {}
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        rows[key] = value.strip()
    return rows


x_csv = os.path.join(FIXTURES, "x.csv")
for model in ("mlp_eps", "mlp_v_export"):
    path = os.path.join(FIXTURES, f"{model}.safetensors")
    info = run("info", path, check=True).stdout
    old = info_values(open(os.path.join(FIXTURES, f"{model}.info.txt")).read())
    new = info_values(info)
    for key in ("step", "resume", "schedule", "training", "data"):
        assert new[key] == old[key], (model, key, old[key], new[key])
    # The model line: the same description, the network no longer called a denoiser.
    assert new["model"] == old["model"].replace("MLP denoiser,", "MLP,"), (old["model"], new["model"])
    assert "format version 1" in new["file"] and "written by diffuse 0.1.0" in new["file"], new["file"]
    assert new["classes"] == "none: unconditional", new["classes"]
    print(f"ok: {model}: info reports the same configuration")

    for t in (0, 10, 57):
        run("predict", "--model", path, "--t", t, "--in", x_csv, "--out", f"p{t}.csv", check=True)
        same(f"p{t}.csv", os.path.join(FIXTURES, f"{model}.predict_t{t}.csv"), f"{model} predict t={t}", 2 ** -12)
    run("sample", "--model", path, "--n", 12, "--sampler", "ddim", "--steps", 10, "--seed", 5, "--threads", 1,
        "-q", "--out", "ddim.csv", check=True)
    same("ddim.csv", os.path.join(FIXTURES, f"{model}.ddim.csv"), f"{model} DDIM samples", 1e-3)
    run("sample", "--model", path, "--n", 6, "--seed", 2, "--threads", 1, "-q", "--out", "ddpm.csv", check=True)
    same("ddpm.csv", os.path.join(FIXTURES, f"{model}.ddpm.csv"), f"{model} DDPM samples", 1e-3)
    # Sampling on two threads gives the same numbers (results never depend on the thread count).
    run("sample", "--model", path, "--n", 6, "--seed", 2, "--threads", 2, "-q", "--out", "ddpm2.csv", check=True)
    assert open("ddpm2.csv").read() == open("ddpm.csv").read()

eps = os.path.join(FIXTURES, "mlp_eps.safetensors")
run("predict", "--model", eps, "--raw", "--t", 57, "--in", x_csv, "--out", "raw.csv", check=True)
same("raw.csv", os.path.join(FIXTURES, "mlp_eps.predict_raw_t57.csv"), "mlp_eps predict --raw", 2 ** -12)

# Resuming the version-1 run: 20 more steps, written as format version 2.
shutil.copy(eps, "v1.safetensors")
run("train", "--resume", "v1.safetensors", "--steps", 220, "--threads", 1, "-q", "--out", "resumed.safetensors",
    check=True)
run("predict", "--model", "resumed.safetensors", "--raw", "--t", 57, "--in", x_csv, "--out", "resumed.csv",
    check=True)
# Not bit for bit since training changed its order of float additions on purpose (the reference
# MLP's chunks of 128 rows, each chunk's gradient summed on its own: diffusion/batch_gradient.hpp),
# so within the bound of 20 training steps off the recorded arch.
same("resumed.csv", os.path.join(FIXTURES, "mlp_eps.resumed_raw_t57.csv"), "mlp_eps resumed 20 steps", 1e-3,
     exact=False)
resumed = run("info", "resumed.safetensors", check=True).stdout
assert "format version 2" in resumed and "step       220 of 220" in resumed, resumed
assert open("v1.safetensors", "rb").read() == open(eps, "rb").read(), "the version-1 file was changed"
print("ok: a resumed version-1 run continues exactly and is written as version 2")
