"""Every sampler of `diffuse sample` against tests/reference/samplers_ref.py, an independent
float64 NumPy transcription of diffusers' schedulers of the same names (checked against diffusers'
own numbers in tests/reference/test_samplers_ref.py), stepping the same network: the checkpoint's
MLP loaded by name into the PyTorch module of tests/reference/torch_mlp_check.py (float64).

- Deterministic samplers (ddim with eta 0, euler, heun, dpmpp_2m, unipc, each with and without
  --karras where diffusers offers it), started from the same `--noise` z: the samples agree to
  1e-3 absolute in data units (the issue's bound; measured: at most 3e-6, and 4e-5 for heun, from
  the C++ side's float32 network and state).
- Stochastic samplers (ddpm, euler_a, dpmpp_2m_sde, ddim with eta 1): the same, with the noise of
  call k injected into the reference as diffuse draws it (Philox stream (seed, "SAMP" k + 1),
  reproduced by tests/reference/make_rng_golden.py), and checked step by step: every trajectory
  frame (--record-every 1, x_t before each model call) against the reference's state there.
- For eps, v and x0 models, and on a zero-terminal-SNR schedule (v prediction), where the sigma
  samplers put 2^-24 in place of alpha_bar = 0 as diffusers does.
- `--print-timesteps` lists the reference's plan (timesteps and sigmas, float32-rounded).

Not compared: ddim with linspace spacing or a K that does not divide T, where diffusers steps to
t - T // K instead of the next visited step (docs/samplers.md, "Where diffuse differs").
"""
import json
import os
import sys

import numpy as np
import torch

from cli_support import enter_temp_dir, read_safetensors, run

REFERENCE = os.path.join(os.environ["DIFFUSE_SOURCE_DIR"], "tests", "reference")
sys.path.insert(0, REFERENCE)
sys.path.insert(0, os.path.join(os.environ["DIFFUSE_SOURCE_DIR"], "python"))
from diffuse_torch import diffusers_schedule  # noqa: E402
import make_rng_golden  # noqa: E402
import samplers_ref  # noqa: E402
from torch_mlp_check import MlpDenoiser  # noqa: E402

TOLERANCE = 1e-3  # absolute, in data units
SAMP = 0x53414D50
enter_temp_dir()
torch.set_num_threads(1)


def train(out, *extra):
    run("train", "--dataset", "moons", "--steps", "300", "--hidden", "32", "--layers", "2",
        "--batch", "64", "-q", *extra, "--out", out, check=True)
    metadata, tensors = read_safetensors(out)
    config = json.loads(metadata["config"])
    model = MlpDenoiser(config["model"]).double()
    model.load_state_dict({k: torch.from_numpy(v.astype(np.float64)) for k, v in tensors.items()
                           if not k.startswith("training.")}, strict=True)
    s = config["schedule"]
    acp = diffusers_schedule.schedule(s["schedule"], s["timesteps"], s["beta_start"], s["beta_end"],
                                      s["zero_terminal_snr"])["alpha_bar"]
    norm = config["data"]["normalization"]
    return model, acp, config, np.array(norm["mean"]), np.array(norm["std"])


PREDICTION = {"eps": "epsilon", "x0": "sample", "v": "v_prediction"}
BETA_SCHEDULE = {"linear": "linear", "scaled_linear": "scaled_linear", "cosine": "squaredcos_cap_v2",
                 "sigmoid": "sigmoid"}


def step_noise(seed, n, D):
    def noise(k):
        bits = make_rng_golden.draws(seed, (SAMP << 32) | (k + 1), n * D)[2]
        return np.array(bits, dtype=np.uint32).view(np.float32).astype(np.float64).reshape(n, D)
    return noise


def reference(name, setup, z, steps, spacing, karras, seed=0, eta=0.0, variance="fixed_small"):
    model, acp, config, mean, std = setup

    def network(x, t):
        with torch.no_grad():
            return model(torch.from_numpy(x), torch.full((len(x),), float(np.float32(t)),
                                                         dtype=torch.float64)).numpy()

    out = samplers_ref.run_sampler(name, network, acp, z, steps, spacing=spacing, karras=karras,
                                   prediction=PREDICTION[config["diffusion"]["prediction"]],
                                   step_noise=step_noise(seed, *z.shape), eta=eta, variance=variance,
                                   beta_schedule=BETA_SCHEDULE[config["schedule"]["schedule"]])
    # The reference's latents are in each scheduler's own space; diffuse reports x_t, what the
    # network is given (latents / sqrt(1 + sigma^2) for the sigma-space samplers).
    sigmas = out["sigmas"]
    frames = []
    for k, latents in enumerate(out["latents"]):
        scale = 1.0
        if name in ("euler", "euler_a", "heun"):
            scale = 1.0 / np.sqrt(1.0 + sigmas[k] ** 2)
        frames.append(latents * scale * std + mean)
    return frames, out


def diffuse(path, name, z_path, steps, spacing, karras, seed=0, eta=None, trajectory=False):
    args = ["sample", "--model", path, "--noise", z_path, "--sampler", name, "--steps", steps,
            "--spacing", spacing, "--seed", seed, "--out", "s.npy", "-q"]
    if karras:
        args.append("--karras")
    if eta is not None:
        args += ["--eta", eta]
    if trajectory:
        args += ["--trajectory", "t.npy", "--record-every", "1"]
    run(*args, check=True)
    return np.load("s.npy").astype(np.float64), (np.load("t.npy").astype(np.float64) if trajectory else None)


worst = {}


def check(label, got, want):
    error = float(np.abs(got - want).max())
    worst[label.split(" ")[0]] = max(worst.get(label.split(" ")[0], 0.0), error)
    assert error < TOLERANCE, f"{label}: max |diffuse - reference| = {error:.3g} data units"


rng = np.random.default_rng(7)
z = rng.standard_normal((48, 2)).astype(np.float32)
np.save("z.npy", z)
z64 = z.astype(np.float64)

models = {
    "eps": train("eps.safetensors"),
    "v": train("v.safetensors", "--prediction", "v"),
    "x0-cosine": train("x0.safetensors", "--prediction", "x0", "--schedule", "cosine"),
    "v-zero-snr": train("vz.safetensors", "--prediction", "v", "--zero-snr"),
}
paths = {"eps": "eps.safetensors", "v": "v.safetensors", "x0-cosine": "x0.safetensors",
         "v-zero-snr": "vz.safetensors"}

# Deterministic samplers: final samples from the same z.
deterministic = [("euler", False), ("euler", True), ("heun", False), ("heun", True),
                 ("dpmpp_2m", False), ("dpmpp_2m", True), ("unipc", False), ("unipc", True)]
count = 0
for key, setup in models.items():
    for name, karras in deterministic:
        for steps, spacing in ((10, "linspace"), (25, "trailing"), (7, "leading")):
            frames, _ = reference(name, setup, z64, steps, spacing, karras)
            got, _ = diffuse(paths[key], name, "z.npy", steps, spacing, karras)
            check(f"{name} {key} {steps} {spacing}{' karras' if karras else ''}", got, frames[-1])
            count += 1
    for steps, spacing in ((10, "trailing"), (8, "leading")):  # diffusers' DDIM: K divides T
        frames, _ = reference("ddim", setup, z64, steps, spacing, False)
        got, _ = diffuse(paths[key], "ddim", "z.npy", steps, spacing, False)
        check(f"ddim {key} {steps} {spacing}", got, frames[-1])
        count += 1
print(f"ok: {count} deterministic runs (ddim, euler, heun, dpmpp_2m, unipc; karras on and off; "
      "eps, v, x0-cosine, zero-SNR v) agree with the reference")

# Stochastic samplers, frame by frame with the same injected noise.
count = 0
for key in ("eps", "v-zero-snr"):
    setup = models[key]
    for name, steps, spacing, eta in (("euler_a", 12, "linspace", None), ("dpmpp_2m_sde", 12, "linspace", None),
                                      ("dpmpp_2m_sde", 9, "trailing", None), ("ddpm", 20, "trailing", None),
                                      ("ddpm", 8, "leading", None), ("ddim", 10, "trailing", 1.0)):
        if name == "dpmpp_2m_sde":
            karras_options = (False, True)
        else:
            karras_options = (False,)
        for karras in karras_options:
            frames, _ = reference(name, setup, z64, steps, spacing, karras, seed=5, eta=eta or 0.0)
            got, trajectory = diffuse(paths[key], name, "z.npy", steps, spacing, karras, seed=5,
                                      eta=eta, trajectory=True)
            assert len(trajectory) == len(frames), (name, len(trajectory), len(frames))
            for f, (g, w) in enumerate(zip(trajectory, frames)):
                check(f"{name} {key} frame {f}", g, w)
            check(f"{name} {key} sample", got, frames[-1])
            count += 1
print(f"ok: {count} stochastic runs (ddpm, euler_a, dpmpp_2m_sde, ddim eta 1) agree frame by frame "
      "with the reference given the same noise")

# A learned variance (train --learn-variance): ddpm draws with the model's own sigma by default,
# as DDPMScheduler with variance_type learned_range does, frame by frame.
learned = train("lv.safetensors", "--learn-variance")
for steps, spacing in ((20, "trailing"), (8, "leading")):
    frames, _ = reference("ddpm", learned, z64, steps, spacing, False, seed=5, variance="learned_range")
    got, trajectory = diffuse("lv.safetensors", "ddpm", "z.npy", steps, spacing, False, seed=5, trajectory=True)
    for f, (g, w) in enumerate(zip(trajectory, frames)):
        check(f"ddpm-learned frame {f}", g, w)
    check("ddpm-learned sample", got, frames[-1])
print("ok: ddpm with a learned variance agrees frame by frame with DDPMScheduler's learned_range")

# --print-timesteps is the reference's plan.
model, acp, config, mean, std = models["eps"]
for name, steps, karras in (("euler", 7, False), ("euler", 7, True), ("heun", 5, True),
                            ("dpmpp_2m", 6, True), ("unipc", 9, False)):
    args = ["sample", "--model", "eps.safetensors", "--sampler", name, "--steps", steps, "--print-timesteps"]
    out = run(*(args + (["--karras"] if karras else [])), check=True).stdout.splitlines()
    plan = samplers_ref.sampler_plan(name, acp, steps, karras=karras, beta_schedule="linear")
    got_t = [float(v) for v in out[0].split(":")[1].split(",")]
    got_s = [float(v) for v in out[1].split(":")[1].split(",")]
    assert np.allclose(got_t, plan["timesteps"], rtol=1e-6, atol=1e-4), (name, got_t, plan["timesteps"])
    assert np.allclose(got_s, plan["sigmas"], rtol=1e-6, atol=0), (name, got_s, plan["sigmas"])
print("ok: --print-timesteps lists the reference's timesteps and sigmas")
print("largest differences (data units): " + ", ".join(f"{k} {v:.2g}" for k, v in sorted(worst.items())))

# Bad --noise files are refused with exit 2, naming the file and what is allowed; nothing written.
from cli_support import assert_usage_error  # noqa: E402

np.save("z3.npy", np.zeros((3, 3), np.float32))
bad = np.zeros((4, 2), np.float32)
bad[1, 1] = np.nan
np.save("znan.npy", bad)
for args, expected in ((["--noise", "z3.npy"], "has shape (3, 3) but the model takes (n, 2)"),
                       (["--noise", "znan.npy"], "must be finite"),
                       (["--noise", "z.npy", "--n", "7"], "--n 7 disagrees with --noise"),
                       (["--noise", "missing.npy"], "missing.npy")):
    r = run("sample", "--model", "eps.safetensors", *args, "--out", "bad.csv")
    assert_usage_error(r, expected, " ".join(args))
    assert not os.path.exists("bad.csv"), args
print("ok: --noise of the wrong shape, with NaN, disagreeing with --n, or missing: exit 2, nothing written")
