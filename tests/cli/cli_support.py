"""Shared helpers of the command-line tests (imported by the test_*.py scripts beside it; CTest
runs only test_*.py). Each test script gets the binary as argv[1] and works in a fresh temporary
directory (enter_temp_dir)."""
import json
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np

BINARY = os.path.abspath(sys.argv[1])

# A model small enough that tests which need "some checkpoint" train it in a fraction of a second.
# T = 50 with beta_end 0.2 ends at alpha_bar = 0.005 (no warning about never reaching noise).
TINY_FLAGS = {"--hidden": "16", "--layers": "2", "--batch": "16", "--train-size": "200", "-T": "50",
              "--beta-end": "0.2", "--warmup": "2"}


def tiny(**changes):
    """The tiny model's flags, with changes given as batch=64 (--batch 64) or train_size=None (drop)."""
    flags = dict(TINY_FLAGS)
    for name, value in changes.items():
        key = "-T" if name == "T" else "--" + name.replace("_", "-")
        if value is None:
            flags.pop(key, None)
        else:
            flags[key] = str(value)
    return [item for pair in flags.items() for item in pair] + ["-q"]


TINY = tiny()


def enter_temp_dir():
    """Makes and enters a fresh temporary directory, removed at exit."""
    holder = tempfile.TemporaryDirectory(prefix="diffuse-cli-")
    os.chdir(holder.name)
    enter_temp_dir.holder = holder  # keep it alive until the interpreter exits
    return holder.name


def run(*args, check=False, timeout=1800):
    r = subprocess.run([BINARY, *[str(a) for a in args]], capture_output=True, text=True,
                       timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError(f"diffuse {' '.join(map(str, args))} failed ({r.returncode}):\n{r.stderr}")
    return r


def train_tiny(out, *extra):
    """A tiny checkpoint of moons (seconds of CPU at most)."""
    return run("train", "--dataset", "moons", "--steps", "20", *TINY, *extra, "--out", out, check=True)


def assert_usage_error(r, expected, label=""):
    """Exit 2, nothing on stdout, a first stderr line "diffuse: error: ..." naming the problem."""
    lines = r.stderr.splitlines()
    assert r.returncode == 2, (label, r.returncode, r.stderr)
    assert r.stdout == "", (label, r.stdout[:300])
    assert lines and lines[0].startswith("diffuse: error: "), (label, r.stderr)
    assert expected.lower() in lines[0].lower(), (label, expected, lines[0])
    assert "Usage:" in r.stderr, (label, r.stderr)


def snapshot(paths):
    """Bytes of every existing path (None for absent ones), to check that nothing changed."""
    return {p: (open(p, "rb").read() if os.path.exists(p) else None) for p in paths}


def stray_files(directory="."):
    """Leftover temporary files of atomic writes (".NAME.tmp-...") and probes."""
    return [f for f in os.listdir(directory) if ".tmp-" in f or f.startswith(".diffuse-probe")]


def read_safetensors(path):
    """A minimal independent safetensors reader (struct + json + numpy): (metadata, {name: array})."""
    blob = open(path, "rb").read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    data = blob[8 + n:]
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, info in header.items():
        assert info["dtype"] == "F32", (name, info)
        begin, end = info["data_offsets"]
        tensors[name] = np.frombuffer(data[begin:end], dtype="<f4").reshape(info["shape"])
    return metadata, tensors


def read_csv(path):
    """Points of a CSV file with a header line."""
    return np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)


def moons(n, rng, noise=0.05):
    """Independent draws of `moons` as docs/reference-workload.md defines it (numpy's RNG); another
    noise standard deviation than the data set's 0.05 gives a sharper or blurrier version."""
    a = rng.uniform(0, np.pi, n)
    upper = rng.uniform(size=n) < 0.5
    x = np.where(upper, np.cos(a), 1 - np.cos(a))
    y = np.where(upper, np.sin(a), 0.5 - np.sin(a))
    return np.stack([x, y], 1) + rng.normal(0, noise, (n, 2))
