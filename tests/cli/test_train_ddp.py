"""examples/train_ddp.py under torchrun with 2 processes on localhost (gloo on CPU), then back into
diffuse (docs/torch.md):

1. The moons MLP from PyTorch's initialization, 60 updates of diffuse's objective: both ranks end
   with bit-identical raw weights (DDP averaged every gradient: a rank that trained on its own
   would differ after the first update) and the loss falls (the mean of the last 10 updates below
   that of the first 10). rank 0's checkpoint is read by `diffuse info` and `diffuse sample`, and
   the --weights-out/--config-out pair imports with `diffuse import --from torch` to the same
   tensors.
2. The digits U-Net, a few updates: its checkpoint samples in diffuse.

Torch 1.13 under Python 3.11 (Debian 12) cannot parse torchrun's own defaults --redirects 0 and
--tee 0 (Python 3.11 no longer lists the flag value 0 among an IntFlag's members; torch 2.0 fixed
it): a mapping for a local rank that does not exist (9:1) redirects nothing and avoids them.
"""
import os
import re
import subprocess
import sys

import numpy as np

from cli_support import enter_temp_dir, read_safetensors, run

SOURCE = os.environ["DIFFUSE_SOURCE_DIR"]
SCRIPT = os.path.join(SOURCE, "examples", "train_ddp.py")
# --standalone's rendezvous is always port 29400, which another test (the README's) may be using:
# a rendezvous store on a free port (port 0) instead, which is all one machine needs.
TORCHRUN = ["torchrun", "--nnodes", "1", "--rdzv_backend", "c10d", "--rdzv_endpoint", "localhost:0", "--nproc_per_node", "2",
            "--redirects", "9:1", "--tee", "9:1"]
enter_temp_dir()


def train_ddp(*args):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    r = subprocess.run([*TORCHRUN, SCRIPT, *map(str, args)], capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, (r.returncode, r.stdout[-3000:], r.stderr[-3000:])
    print(r.stdout.strip())
    return r.stdout


def ranks_agree(folder):
    _, a = read_safetensors(os.path.join(folder, "rank0.safetensors"))
    _, b = read_safetensors(os.path.join(folder, "rank1.safetensors"))
    assert sorted(a) == sorted(b)
    for name in a:
        assert np.array_equal(a[name], b[name]), f"rank 0 and rank 1 differ in {name}"


# 1. Moons, MLP.
run("train", "--dataset", "moons", "--steps", "1", "--hidden", "64", "-q", "--out", "init.safetensors", check=True)
run("data", "--dataset", "moons", "--n", "4000", "--out", "moons.csv", check=True)
log = train_ddp("--init", "init.safetensors", "--fresh", "--data", "moons.csv", "--steps", 60, "--batch", 128,
                "--lr", 3e-3, "--warmup", 0, "--log-every", 10, "--out", "ddp.safetensors", "--rank-weights", "ranks",
                "--weights-out", "w.safetensors", "--config-out", "c.json")
assert "2 process(es) on cpu (gloo)" in log, log
ranks_agree("ranks")
losses = [float(v) for v in re.findall(r"^step \d+ loss ([0-9.e+-]+)$", log, re.M)]
assert len(losses) == 6 and losses[-1] < losses[0], losses
print(f"ok: 2 ranks, bit-identical weights after 60 updates; loss (mean of 10 updates, both ranks) "
      f"{losses[0]:.4f} -> {losses[-1]:.4f}")
info = run("info", "ddp.safetensors", check=True).stdout
assert "step       60" in info and "MLP" in info, info
run("sample", "--model", "ddp.safetensors", "--n", "200", "--out", "s.csv", "-q", check=True)
samples = np.loadtxt("s.csv", delimiter=",", skiprows=1)
assert samples.shape == (200, 2) and np.isfinite(samples).all()
run("import", "w.safetensors", "--from", "torch", "--config", "c.json", "--out", "imported.safetensors", check=True)
_, a = read_safetensors("ddp.safetensors")
_, b = read_safetensors("imported.safetensors")
assert sorted(a) == sorted(b) and all(np.array_equal(a[k], b[k]) for k in a)
print("ok: rank 0's checkpoint samples in diffuse; import --from torch of its pair gives the same tensors")

# 2. Digits, U-Net.
run("train", "--dataset", "digits", "--steps", "1", "--channels", "8,16", "--groups", "4", "--layers-per-block", "1",
    "-q", "--out", "unet_init.safetensors", check=True)
digits = os.path.join(SOURCE, "data", "digits.csv.gz")
if not os.path.exists(digits):
    print(f"skipped: the U-Net part needs {digits} (scripts/setup.sh)")
    sys.exit(0)
train_ddp("--init", "unet_init.safetensors", "--data", digits, "--steps", 4, "--batch", 32, "--log-every", 2,
          "--out", "unet_ddp.safetensors", "--rank-weights", "unet_ranks")
ranks_agree("unet_ranks")
run("sample", "--model", "unet_ddp.safetensors", "--n", "4", "--sampler", "ddim", "--steps", "5", "--out", "u.npy", "-q",
    check=True)
assert np.load("u.npy").shape[0] == 4
print("ok: the digits U-Net trains under DDP (identical ranks) and its checkpoint samples in diffuse")
