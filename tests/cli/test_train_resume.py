"""Training through the CLI: resuming is exact, whatever splits the run; a diverging run stops with
a message and keeps its last good checkpoint; Ctrl-C saves a checkpoint that resumes exactly; the
thread count does not change the result; a schedule that never reaches noise is warned about.

"Exact" means every tensor of the checkpoint (EMA weights, raw weights, both Adam moments, the
training set) is bit-identical, compared with an independent safetensors reader."""
import json
import os
import signal
import subprocess
import time

import numpy as np

from cli_support import BINARY, enter_temp_dir, read_safetensors, run, stray_files

enter_temp_dir()
SMALL = ["--dataset", "moons", "--hidden", "32", "--layers", "2", "--batch", "64", "--train-size", "500",
         "--seed", "7", "-q"]


def assert_same_run(a, b):
    meta_a, ta = read_safetensors(a)
    meta_b, tb = read_safetensors(b)
    assert sorted(ta) == sorted(tb), (sorted(ta), sorted(tb))
    assert any(k.startswith("training.adam_m.") for k in ta), "training state is compared too"
    for name in ta:
        assert ta[name].shape == tb[name].shape, name
        assert np.array_equal(ta[name].view(np.uint32), tb[name].view(np.uint32)), \
            f"{name} differs between {a} and {b}"
    ca, cb = json.loads(meta_a["config"]), json.loads(meta_b["config"])
    for key in ("step", "adam_step", "ema_updates", "train", "model", "schedule", "data"):
        assert ca[key] == cb[key], (key, ca[key], cb[key])


# 1. 300 steps straight == 150 (of a planned 300) + resume to 300, into the same file.
run("train", *SMALL, "--steps", "300", "--out", "straight.safetensors", check=True)
r = run("train", *SMALL, "--steps", "300", "--stop-at", "150", "--out", "split.safetensors", check=True)
assert "step 150 of 300" in r.stdout, r.stdout
assert json.loads(read_safetensors("split.safetensors")[0]["config"])["step"] == 150
r = run("train", "--resume", "split.safetensors", "-q", "--out", "split.safetensors", check=True)
assert "resumed at step 150" in r.stdout and "step 300 of 300" in r.stdout, r.stdout
assert_same_run("straight.safetensors", "split.safetensors")
print("ok: 300 straight == 150 + --resume to 300 (cosine schedule), every tensor bit-identical")

# 2. With a constant learning rate the plan's length does not matter: --steps 150, then --resume
#    --steps 300 (a longer run than first planned) equals a straight 300.
constant = ["--lr-schedule", "constant"]
run("train", *SMALL, *constant, "--steps", "300", "--out", "c_straight.safetensors", check=True)
run("train", *SMALL, *constant, "--steps", "150", "--out", "c_first.safetensors", check=True)
run("train", "--resume", "c_first.safetensors", "--steps", "300", "-q", "--out", "c_resumed.safetensors",
    check=True)
assert_same_run("c_straight.safetensors", "c_resumed.safetensors")
print("ok: constant LR: --steps 150 then --resume --steps 300 == 300 straight")

# 3. One thread or two: the same run.
run("train", *SMALL, "--steps", "40", "--threads", "1", "--out", "t1.safetensors", check=True)
run("train", *SMALL, "--steps", "40", "--threads", "2", "--out", "t2.safetensors", check=True)
assert_same_run("t1.safetensors", "t2.safetensors")
#    A batch of 600 trains in chunks of 256, 256 and 88 rows (diffusion/batch_gradient.hpp).
at = SMALL.index("--batch") + 1
CHUNKED = SMALL[:at] + ["600"] + SMALL[at + 1:]
run("train", *CHUNKED, "--steps", "10", "--threads", "1", "--out", "c1.safetensors", check=True)
run("train", *CHUNKED, "--steps", "10", "--threads", "2", "--out", "c2.safetensors", check=True)
assert_same_run("c1.safetensors", "c2.safetensors")
print("ok: --threads 1 and --threads 2 give identical checkpoints (batch 64, and 600 in chunks)")

# 4. Divergence: a huge learning rate without clipping overflows within a few steps (the reference
#    model's activations reach float's limit at the second update).
r = run("train", "--dataset", "moons", "--seed", "7", "-q", "--steps", "200", "--lr", "1e6", "--grad-clip",
        "0", "--warmup", "0", "--out", "nan.safetensors")
assert r.returncode == 1, (r.returncode, r.stderr)
message = r.stderr.strip().splitlines()[-1]
assert message.startswith("diffuse: error: training diverged at step "), message
assert "lower learning rate" in message and "nan.safetensors" in message, message
good_step = int(message.split("last good state (step ")[1].split(")")[0])
assert 0 <= good_step < 200, good_step
info = json.loads(run("info", "nan.safetensors", "--format", "json", check=True).stdout)
assert info["config"]["step"] == good_step and info["can_resume"], info["config"]["step"]
_, tensors = read_safetensors("nan.safetensors")
assert all(np.isfinite(t).all() for t in tensors.values())
# Its weights are finite but huge: sampling overflows, and says so instead of writing NaN.
r = run("sample", "--model", "nan.safetensors", "--n", "10", "--steps", "5", "--sampler", "ddim", "-q",
        "--out", "nan_samples.csv")
assert r.returncode == 1 and "not finite" in r.stderr and not os.path.exists("nan_samples.csv"), r.stderr
print(f"ok: divergence stops with '{message[16:90]}...' and leaves a loadable step-{good_step} checkpoint")

# 5. Ctrl-C: the run saves where it is and exits 130; resuming it to a planned stop equals a run
#    that stops there straight away.
process = subprocess.Popen([BINARY, "train", *SMALL, "--steps", "1000000", "--out", "int.safetensors"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
deadline = time.time() + 120
time.sleep(1.0)
process.send_signal(signal.SIGINT)
out, err = process.communicate(timeout=max(1, deadline - time.time()))
assert process.returncode == 130, (process.returncode, err)
assert "interrupted" in err and "--resume int.safetensors" in err, err
stopped = json.loads(read_safetensors("int.safetensors")[0]["config"])["step"]
assert stopped >= 1, stopped
target = str(stopped + 30)
run("train", "--resume", "int.safetensors", "--stop-at", target, "-q", "--out", "int_resumed.safetensors",
    check=True)
run("train", *SMALL, "--steps", "1000000", "--stop-at", target, "--out", "int_straight.safetensors", check=True)
assert_same_run("int_straight.safetensors", "int_resumed.safetensors")
print(f"ok: SIGINT saved step {stopped} (exit 130); resumed to {target} == straight to {target}")

# 6. --save-every writes along the way (the final file is the same run); a short linear schedule
#    that never reaches noise is warned about on stderr, without failing.
r = run("train", *SMALL, "--steps", "60", "--save-every", "25", "-T", "50", "--out", "short.safetensors",
        check=True)
assert "never reaches noise" in r.stderr, r.stderr
assert json.loads(read_safetensors("short.safetensors")[0]["config"])["step"] == 60
assert not [f for f in os.listdir(".") if ".tmp-" in f]
print("ok: --save-every, and the warning:", r.stderr.strip().splitlines()[0][:100])

# 7. A finite blow-up is divergence too: --lr 10 without warm-up (and the default clipping) keeps
#    the second loss finite (about 2e15 here) but far above 100x the first.
r = run("train", "--dataset", "moons", "-q", "--steps", "300", "--lr", "10", "--warmup", "0",
        "--out", "huge.safetensors")
assert r.returncode == 1, (r.returncode, r.stderr)
message = r.stderr.strip().splitlines()[-1]
assert message.startswith("diffuse: error: training diverged at step ") and "x the median" in message, message
good_step = int(message.split("last good state (step ")[1].split(")")[0])
info = json.loads(run("info", "huge.safetensors", "--format", "json", check=True).stdout)
assert info["config"]["step"] == good_step and info["can_resume"], (info["config"]["step"], good_step)
r = run("sample", "--model", "huge.safetensors", "--n", "10", "--steps", "5", "--sampler", "ddim", "-q",
        "--out", "huge_samples.csv", check=True)
print(f"ok: a finite blow-up stops with '{message[16:110]}...' and leaves a usable step-{good_step} checkpoint")

# 8. Ctrl-C while sampling: it stops after the current step, says so, exits 130 and writes nothing.
process = subprocess.Popen([BINARY, "sample", "--model", "int.safetensors", "--n", "2000000", "--sampler", "ddpm",
                            "--threads", "1", "--out", "interrupted.csv"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
time.sleep(1.0)
process.send_signal(signal.SIGINT)
out, err = process.communicate(timeout=120)
assert process.returncode == 130, (process.returncode, err)
assert "interrupted (signal 2) at step" in err and "nothing was written" in err, err
assert not os.path.exists("interrupted.csv") and not stray_files(), os.listdir(".")
print("ok: SIGINT while sampling exits 130, says so, writes nothing")
