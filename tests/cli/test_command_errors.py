"""Every command's bad arguments and bad files: exit code 2, nothing on stdout, a first stderr line
"diffuse: error: ..." naming the problem, the usage after it, and no output file created (an
existing one left byte for byte as it was, and no temporary files left behind)."""
import json
import os
import struct

from cli_support import (TINY, assert_usage_error, enter_temp_dir, run, snapshot, stray_files,
                         train_tiny)

enter_temp_dir()

# Inputs: a good checkpoint, an export, broken and foreign files, CSV files.
train_tiny("good.safetensors")
run("export", "good.safetensors", "--out", "export.safetensors", check=True)
blob = open("good.safetensors", "rb").read()
open("truncated.safetensors", "wb").write(blob[: len(blob) // 2])
open("empty.safetensors", "wb").write(b"")
open("text.safetensors", "w").write("this is not a checkpoint\n")
header = json.dumps({"__metadata__": {"format": "pt"},
                     "weight": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}).encode()
header += b" " * ((8 - len(header) % 8) % 8)
open("foreign.safetensors", "wb").write(struct.pack("<Q", len(header)) + header + b"\0" * 8)
open("bad.csv", "w").write("x,y\n1,2\n3,abc\n")
open("nan.csv", "w").write("x,y\n1,2\n3,nan\n")
open("three.csv", "w").write("a,b,c\n1,2,3\n4,5,6\n7,8,9\n")
open("small.csv", "w").write("x,y\n1,2\n3,4\n5,7\n")
open("x.csv", "w").write("0.1,0.2\n")
open("a_file", "w").write("not a directory\n")
os.mkdir("dir.safetensors")
EXISTING = "existing.safetensors"
open(EXISTING, "wb").write(b"precious bytes")

BROKEN_MODELS = [("missing.safetensors", "missing.safetensors"),
                 ("truncated.safetensors", "truncated.safetensors"),
                 ("empty.safetensors", "empty.safetensors"),
                 ("text.safetensors", "text.safetensors"),
                 ("foreign.safetensors", "not a diffuse checkpoint"),
                 ("dir.safetensors", "directory")]
BAD_NUMBERS = ["0", "-1", "nan", "inf", "abc", "1e999"]

train = ["train", "--dataset", "moons", *TINY, "--steps", "5"]
cases = []
for value in BAD_NUMBERS:
    cases.append((train + ["--lr", value, "--out", "o.safetensors"], "--lr", "o.safetensors"))
for flag in ["--steps", "--batch", "--hidden", "--layers", "--threads"]:
    for value in ["0", "-3", "2.5", "nan"]:
        cases.append((train + [flag, value, "--out", "o.safetensors"], flag, "o.safetensors"))
cases += [
    (["train", "--dataset", "nosuch", "--out", "o.safetensors"], "nosuch", "o.safetensors"),
    (["train", "--dataset", "missing.csv", "--out", "o.safetensors"], "missing.csv", "o.safetensors"),
    (["train", "--dataset", "bad.csv", "--out", "o.safetensors"], "abc", "o.safetensors"),
    (["train", "--dataset", "nan.csv", "--out", "o.safetensors"], "nan", "o.safetensors"),
    (["train", "--dataset", "moons", "--out", "o.csv"], ".csv", "o.csv"),
    (["train", "--dataset", "moons", "--out", "o"], "no extension", "o"),
    (["train", "--dataset", "moons", "--out", "nodir/o.safetensors"], "nodir", "nodir/o.safetensors"),
    (["train", "--dataset", "moons", "--out", "a_file/o.safetensors"], "a_file", "a_file/o.safetensors"),
    (["train", "--dataset", "moons", "--out", "/proc/o.safetensors"], "/proc", "/proc/o.safetensors"),
    (["train", "--dataset", "moons", "--out", "dir.safetensors"], "directory", None),
    (["train", "--dataset", "moons"], "--out", None),
    (["train", "--out", "o.safetensors"], "--dataset", "o.safetensors"),
    (train + ["--timesteps", "1", "--out", "o.safetensors"], "--timesteps", "o.safetensors"),
    (train + ["--ema", "1", "--out", "o.safetensors"], "--ema", "o.safetensors"),
    (train + ["--seed", "-1", "--out", "o.safetensors"], "--seed", "o.safetensors"),
    (train + ["--seed", "18446744073709551616", "--out", "o.safetensors"], "--seed", "o.safetensors"),
    (train + ["--schedule", "quadratic", "--out", "o.safetensors"], "quadratic", "o.safetensors"),
    (train + ["--prediction", "score", "--out", "o.safetensors"], "score", "o.safetensors"),
    (train + ["--zero-snr", "--out", "o.safetensors"], "zero terminal snr", "o.safetensors"),
    (["train", "--dataset", "moons", "--schedule", "cosine", "--beta-start", "0.001", "--out", "o.safetensors"],
     "--beta-start", "o.safetensors"),
    (train + ["--weight-decay", "0.1", "--out", "o.safetensors"], "--weight-decay", "o.safetensors"),
    (["train", "--dataset", "moons", "--steps", "10", "--warmup", "50", "--out", "o.safetensors"], "--warmup",
     "o.safetensors"),
    (train + ["--time-embed", "7", "--out", "o.safetensors"], "time_embed", "o.safetensors"),
    (train + ["--stop-at", "9", "--out", "o.safetensors"], "--stop-at", "o.safetensors"),
    (["train", "--dataset", "small.csv", "--train-size", "10", "--out", "o.safetensors"], "--train-size",
     "o.safetensors"),
    (train + ["--out", EXISTING, "--lr", "nan"], "--lr", EXISTING),
    (["train", "--resume", "export.safetensors", "--out", "o.safetensors"], "no training state", "o.safetensors"),
    (["train", "--resume", "good.safetensors", "--lr", "0.1", "--out", "o.safetensors"], "--lr", "o.safetensors"),
    (["train", "--resume", "good.safetensors", "--dataset", "moons", "--out", "o.safetensors"], "--dataset",
     "o.safetensors"),
    (["train", "--resume", "good.safetensors", "--steps", "10", "--out", "o.safetensors"], "less than",
     "o.safetensors"),
]
for model, expected in BROKEN_MODELS:
    cases.append((["train", "--resume", model, "--out", "o.safetensors"], expected, "o.safetensors"))

sample = ["sample", "--model", "good.safetensors", "-q"]
for model, expected in BROKEN_MODELS:
    cases.append((["sample", "--model", model, "--out", "s.csv"], expected, "s.csv"))
for flag in ["--n", "--steps"]:
    for value in ["0", "-1", "nan", "x"]:
        cases.append((sample + [flag, value, "--out", "s.csv"], flag, "s.csv"))
cases += [
    (sample + ["--steps", "51", "--out", "s.csv"], "T = 50", "s.csv"),
    (sample + ["--sampler", "plms", "--out", "s.csv"], "plms", "s.csv"),
    (sample + ["--sampler", "euler_a", "--karras", "--out", "s.csv"], "--karras applies to", "s.csv"),
    (sample + ["--sampler", "euler", "--eta", "0.5", "--out", "s.csv"], "--eta applies to --sampler ddim only", "s.csv"),
    (sample + ["--sampler", "dpmpp_2m", "--spacing", "linspace", "--steps", "50", "--out", "s.csv"], "rounded timesteps repeat", "s.csv"),
    (sample + ["--sampler", "ddim", "--eta", "1.5", "--out", "s.csv"], "--eta", "s.csv"),
    (sample + ["--sampler", "ddim", "--eta", "nan", "--out", "s.csv"], "--eta", "s.csv"),
    (sample + ["--eta", "0.5", "--out", "s.csv"], "--eta", "s.csv"),
    (sample + ["--sampler", "ddim", "--variance", "fixed_large", "--out", "s.csv"], "--variance", "s.csv"),
    (sample + ["--spacing", "random", "--out", "s.csv"], "random", "s.csv"),
    (sample + ["--variance", "learned", "--out", "s.csv"], "learned", "s.csv"),
    (sample + ["--out", "s.txt"], ".txt", "s.txt"),
    (sample + ["--out", "nodir/s.csv"], "nodir", "nodir/s.csv"),
    (sample + ["--out", "s.csv", "--trajectory", "t.csv"], "--trajectory", "s.csv"),
    (sample + ["--out", "s.npy", "--trajectory", "s.npy"], "same file", "s.npy"),
    (sample + ["--out", "s.csv", "--record-every", "5"], "--trajectory", "s.csv"),
    (sample + ["--out", "s.csv", "--png-size", "500"], "--png-size", "s.csv"),
    (sample + ["--seed", "nan", "--out", "s.csv"], "--seed", "s.csv"),
    (sample + ["--n", "10000000", "--out", "s.csv", "--trajectory", "t.npy", "--record-every", "1"], "GiB",
     "s.csv"),
    (sample, "--out", None),
    (["sample", "--model", "export.safetensors", "--raw", "--out", "s.csv"], "raw", "s.csv"),
]

elbo = ["elbo", "--model", "good.safetensors", "-q"]
for model, expected in BROKEN_MODELS:
    cases.append((["elbo", "--model", model, "--dataset", "moons"], expected, None))
cases += [
    (elbo + ["--dataset", "nosuch"], "nosuch", None),
    (elbo + ["--dataset", "missing.csv"], "missing.csv", None),
    (elbo + ["--dataset", "three.csv"], "3 columns", None),
    (elbo + ["--dataset", "moons", "--strata", "50"], "--strata", None),
    (elbo + ["--dataset", "moons", "--strata", "-1"], "--strata", None),
    (elbo + ["--dataset", "moons", "--draws", "0"], "--draws: 0", None),
    (elbo + ["--dataset", "moons", "--draws", "-3"], "--draws: -3", None),
    (elbo + ["--dataset", "moons", "--draws", "4097"], "--draws: 4097", None),
    (elbo + ["--dataset", "moons", "--n", "0"], "--n", None),
    (elbo + ["--dataset", "small.csv", "--n", "4"], "--n", None),
    (elbo + ["--dataset", "moons", "--format", "xml"], "xml", None),
    (elbo + ["--dataset", "moons", "--variance", "nan"], "nan", None),
]

ev = ["eval", "--model", "good.safetensors", "-q"]
for model, expected in BROKEN_MODELS:
    cases.append((["eval", "--model", model, "--dataset", "moons"], expected, None))
cases += [
    (ev + ["--dataset", "nosuch"], "nosuch", None),
    (ev + ["--dataset", "moons", "--n", "1"], "--n", None),
    (ev + ["--dataset", "small.csv", "--n", "2"], "small.csv", None),
    (ev + ["--dataset", "three.csv"], "3 columns", None),
    (ev + ["--dataset", "moons", "--format", "yaml"], "yaml", None),
]

for model, expected in BROKEN_MODELS:
    cases.append((["info", model], expected, None))
    cases.append((["export", model, "--out", "e.safetensors"], expected, "e.safetensors"))
    cases.append((["predict", "--model", model, "--t", "0", "--in", "x.csv", "--out", "p.csv"], expected,
                  "p.csv"))
cases += [
    (["info", "good.safetensors", "--format", "xml"], "xml", None),
    (["info"], "checkpoint", None),
    (["export", "good.safetensors", "--out", "e.npy"], ".npy", "e.npy"),
    (["export", "good.safetensors", "--out", "nodir/e.safetensors"], "nodir", "nodir/e.safetensors"),
    (["export", "good.safetensors", "--out", EXISTING + "x/e.safetensors"], "", None),
    (["predict", "--model", "good.safetensors", "--t", "50", "--in", "x.csv", "--out", "p.csv"], "--t", "p.csv"),
    (["predict", "--model", "good.safetensors", "--t", "-1", "--in", "x.csv", "--out", "p.csv"], "--t", "p.csv"),
    (["predict", "--model", "good.safetensors", "--t", "0", "--in", "missing.csv", "--out", "p.csv"],
     "missing.csv", "p.csv"),
    (["predict", "--model", "good.safetensors", "--t", "0", "--in", "three.csv", "--out", "p.csv"], "3 columns",
     "p.csv"),
    (["predict", "--model", "good.safetensors", "--t", "0", "--in", "x.csv", "--out", "p.png"], ".png", "p.png"),
    # An output that is an input: refused, the input kept byte for byte (watched below).
    (["export", "good.safetensors", "--out", "good.safetensors"], "is the checkpoint file", None),
    (["export", "good.safetensors", "--out", "./good.safetensors"], "is the checkpoint file", None),
    (["predict", "--model", "good.safetensors", "--t", "0", "--in", "small.csv", "--out", "small.csv"],
     "is the --in file", None),
    # A read-only file (no write bit: refused for root too), and a name too long for the file
    # system with the write's temporary-file suffix, both before any work.
    (sample + ["--out", "readonly.csv"], "read-only", None),
    (sample + ["--out", "n" * 240 + ".csv"], "file name is too long", "n" * 240 + ".csv"),
    (["bench", "--threads", "0"], "--threads", None),
    (["bench", "--dataset", "moons"], "--dataset", None),
    (["bench", "--layers"], "--layers", None),
]

# Not writable for this user: only meaningful when not root (root ignores permission bits; the
# /proc case above covers root).
if os.geteuid() != 0:
    os.mkdir("locked")
    os.chmod("locked", 0o555)
    cases.append((train + ["--out", "locked/o.safetensors"], "locked", "locked/o.safetensors"))
    cases.append((sample + ["--out", "locked/s.png"], "locked", "locked/s.png"))

open("readonly.csv", "w").write("x,y\n1,2\n")
os.chmod("readonly.csv", 0o444)
watched = ["o.safetensors", "s.csv", "s.txt", "s.npy", "t.csv", "e.safetensors", "e.npy", "p.csv", "p.png",
           EXISTING, "good.safetensors", "export.safetensors", "small.csv", "readonly.csv"]
before = snapshot(watched)
failures = 0
for args, expected, output in cases:
    r = run(*args)
    try:
        assert_usage_error(r, expected, args)
        assert snapshot(watched) == before, ("files changed", args)
        if output is not None:
            assert not os.path.exists(output) or output in before and before[output] is not None, (args, output)
        assert not stray_files(), (args, stray_files())
    except AssertionError as e:
        failures += 1
        print("FAIL:", e)
        continue
    print("ok:", " ".join(args[:2]), "...", r.stderr.splitlines()[0][len("diffuse: error: "):][:110])
assert failures == 0, f"{failures} of {len(cases)} cases failed"
print(f"all {len(cases)} error cases: exit 2, one line naming the problem, no file written")
