"""`diffuse sample` outputs, read by independent code: CSV (header x,y), NumPy .npy (np.load; the
same float32 values as the CSV), trajectories of shape (frames, n, D) whose last frame is the
sample, the printed timestep lists against numpy's formulas (docs/reference-workload.md), PNG files
(signature, IHDR size, every scanline decoded with zlib and PNG's filters, colours of the data and
the samples present); reproducibility by seed and across thread counts; `info` and `export`."""
import json
import os
import struct
import subprocess
import sys
import zlib

import numpy as np

from cli_support import BINARY, enter_temp_dir, read_csv, run, tiny

enter_temp_dir()
run("train", "--dataset", "moons", "--steps", "400", *tiny(batch=64), "--out", "m.safetensors", check=True)
T = 50


def sample(*args):
    return run("sample", "--model", "m.safetensors", "-q", *args, check=True)


# CSV and .npy hold the same float32 samples.
r = sample("--n", "300", "--out", "s.csv")
assert r.stdout.startswith("wrote 300 samples (DDPM, 50 steps, fixed_small; EMA weights; seed 0) to s.csv"), r.stdout
assert open("s.csv").readline().strip() == "x,y"
csv_points = read_csv("s.csv").astype(np.float32)
sample("--n", "300", "--out", "s.npy", "--threads", "1")
npy_points = np.load("s.npy")
assert npy_points.dtype == np.float32 and npy_points.shape == (300, 2), (npy_points.dtype, npy_points.shape)
assert np.array_equal(csv_points, npy_points), "CSV and .npy differ (or 1 and 2 threads do)"
assert np.isfinite(npy_points).all()
sample("--n", "300", "--out", "s2.npy", "--seed", "1")
assert not np.array_equal(np.load("s2.npy"), npy_points), "another seed, other samples"
print("ok: CSV == .npy, same across thread counts, another seed differs")

# Trajectories: ceil(K / every) + 1 frames of (n, D); the last is the sample, the first x_T.
sample("--n", "200", "--out", "t_samples.npy", "--trajectory", "t.npy", "--record-every", "10")
frames = np.load("t.npy")
assert frames.shape == (6, 200, 2), frames.shape
assert np.array_equal(frames[-1], np.load("t_samples.npy"))
info = json.loads(run("info", "m.safetensors", "--format", "json", check=True).stdout)
norm = info["config"]["data"]["normalization"]
z = (frames[0] - np.array(norm["mean"])) / np.array(norm["std"])  # x_T back in normalized units
assert abs(z.mean()) < 0.2 and abs(z.std() - 1) < 0.1, (z.mean(), z.std())
sample("--n", "50", "--sampler", "ddim", "--steps", "20", "--out", "d.csv", "--trajectory", "d.npy")
assert np.load("d.npy").shape == (21, 50, 2), np.load("d.npy").shape  # default: every step (K <= 100)
print("ok: trajectories: (6, 200, 2) with every 10 and (21, 50, 2) by default; last frame = samples")


# Timestep lists, against numpy's formulas.
def printed(*args):
    out = run("sample", "--model", "m.safetensors", "--print-timesteps", *args, check=True).stdout
    line = out.splitlines()[0]
    return [int(v) for v in line.split(":")[1].split(",")]


K = 7
assert printed("--sampler", "ddim", "--steps", str(K)) == list((np.round(np.arange(T, 0, -T / K)) - 1).astype(int))
assert printed("--sampler", "ddim", "--steps", str(K), "--spacing", "leading") == \
    list((np.arange(K) * (T // K))[::-1])
assert printed("--sampler", "ddim", "--steps", str(K), "--spacing", "linspace") == \
    list(np.round(np.linspace(0, T - 1, K)).astype(int)[::-1])
assert printed() == list(range(T - 1, -1, -1))
out = run("sample", "--model", "m.safetensors", "--print-timesteps", "--sampler", "ddim", check=True).stdout
assert out.startswith("timesteps (50 of 50): 49, 48"), out  # DDIM's default of 50 steps is all of T = 50
print("ok: --print-timesteps (trailing, leading, linspace, DDPM) match numpy's formulas")


def png_pixels(path):
    """Decodes an 8-bit RGB, non-interlaced PNG: (height, width, 3) uint8."""
    blob = open(path, "rb").read()
    assert blob[:8] == b"\x89PNG\r\n\x1a\n", blob[:8]
    position, idat, size = 8, b"", None
    while position < len(blob):
        (length,) = struct.unpack(">I", blob[position:position + 4])
        kind = blob[position + 4:position + 8]
        body = blob[position + 8:position + 8 + length]
        (crc,) = struct.unpack(">I", blob[position + 8 + length:position + 12 + length])
        assert crc == zlib.crc32(kind + body), kind
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert (depth, color, interlace) == (8, 2, 0), (depth, color, interlace)
            size = (width, height)
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    width, height = size
    raw = zlib.decompress(idat)
    assert len(raw) == height * (1 + 3 * width), (len(raw), size)
    image = np.zeros((height, width * 3), dtype=np.int64)
    stride = 3 * width
    for y in range(height):
        kind, line = raw[y * (stride + 1)], np.frombuffer(raw, np.uint8, stride, y * (stride + 1) + 1).astype(np.int64)
        up = image[y - 1] if y > 0 else np.zeros(stride, np.int64)
        if kind in (0, 2):
            image[y] = (line + (up if kind == 2 else 0)) % 256
        else:  # Sub, Average, Paeth depend on the pixel to the left: one pass
            row = np.zeros(stride, np.int64)
            for i in range(stride):
                a = row[i - 3] if i >= 3 else 0
                b, c = up[i], (up[i - 3] if i >= 3 else 0)
                if kind == 1:
                    predictor = a
                elif kind == 3:
                    predictor = (a + b) // 2
                else:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    predictor = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                row[i] = (line[i] + predictor) % 256
            image[y] = row
    return image.reshape(height, width, 3).astype(np.uint8)


def color_counts(image):
    r, g, b = (image[..., i].astype(int) for i in range(3))
    # Samples are (219, 68, 55) at opacity 0.55 over the panel (248, 248, 250): (232, 149, 142)
    # alone, redder where they overlap. Data points are (150, 154, 166) at 0.3: (219, 220, 225)
    # alone, darker where they overlap; the grid (226, 228, 234) and the panel are lighter.
    red = (r > 180) & (r - g > 50) & (r - b > 50)
    gray = (abs(r - g) <= 6) & (b - r >= 4) & (b - r <= 20) & (r < 224) & (r > 120)
    return int(red.sum()), int(gray.sum())


sample("--n", "500", "--out", "plot.png")
image = png_pixels("plot.png")
assert image.shape == (800, 800, 3), image.shape
red, gray = color_counts(image)
assert red > 2000 and gray > 500, (red, gray)  # 500 samples, 200 training points
sample("--n", "500", "--out", "small.png", "--png-size", "400", "--sampler", "ddim")
assert png_pixels("small.png").shape == (400, 400, 3)
print(f"ok: PNG 800x800 and 400x400 decode; {red} sample-coloured and {gray} data-coloured pixels")

# An export has no training set: the plot draws the set again from the run's seed.
run("export", "m.safetensors", "--out", "e.safetensors", check=True)
run("sample", "--model", "e.safetensors", "-q", "--n", "500", "--out", "e.png", check=True)
assert color_counts(png_pixels("e.png")) == (red, gray), "the regenerated training set is the same"
# A model of a CSV file, exported: no data to draw, samples only.
rng = np.random.default_rng(3)
np.savetxt("points.csv", rng.normal(size=(300, 2)) * [1.0, 3.0], delimiter=",", header="a,b", comments="")
run("train", "--dataset", "points.csv", "--steps", "20", *tiny(train_size=None),
    "--out", "c.safetensors", check=True)
run("export", "c.safetensors", "--out", "ce.safetensors", check=True)
run("sample", "--model", "ce.safetensors", "-q", "--n", "300", "--out", "ce.png", check=True)
red, gray = color_counts(png_pixels("ce.png"))
assert red > 500 and gray < 50, (red, gray)
print("ok: exports plot over the regenerated set, or samples alone for a CSV model")

# info: readable text and JSON with the configuration.
text = run("info", "c.safetensors", check=True).stdout
for expected in ["step       20 of 20", "resume     yes", "D = 2", "linear, T = 50", "points.csv, 300 points"]:
    assert expected in text, (expected, text)
assert "resume     no" in run("info", "ce.safetensors", check=True).stdout
info = json.loads(run("info", "c.safetensors", "--format", "json", check=True).stdout)
assert info["parameters"] == 16 * 34 + 16 + 16 * 16 + 16 + 2 * 16 + 2 and info["can_resume"], info["parameters"]
assert info["config"]["model"]["hidden"] == 16 and info["config"]["data"]["train_size"] == 300
print("ok: info (text and JSON)")

# Many samples: drawn in chunks of rows (the sampler's per-row state bounded by the chunk), yet
# exactly the samples of one sampler over all rows (--trajectory samples all rows at once), and in
# flat memory: the reference MLP's sampler holds about 1.3 KB a row, so 200,000 rows at once would
# take about 270 MB. Chunked, 200,000 samples may need only the samples' own 8 bytes a row more than
# 20,000 (1.4 MB); the bound of 30 MB is far below the 234 MB more of unchunked rows, and holds
# under AddressSanitizer too (its quarantine of freed chunks is kept small for this run, or it
# would hold up to 256 MB of them), whatever the allocator's baseline.
run("train", "--dataset", "moons", "--steps", "5", "--warmup", "0", "--out", "m.safetensors", check=True)
args = ["--model", "m.safetensors", "--n", "40000", "--sampler", "ddpm", "--steps", "10", "--seed", "3", "-q"]
run("sample", *args, "--out", "chunked.csv", check=True)
run("sample", *args, "--trajectory", "whole.npy", "--out", "whole.csv", check=True)
assert open("chunked.csv", "rb").read() == open("whole.csv", "rb").read()


def peak_kb(n):
    env = dict(os.environ, ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=1")
    return int(subprocess.run(
        [sys.executable, "-c", "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
         "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)",
         BINARY, "sample", "--model", "m.safetensors", "--n", str(n), "--sampler", "ddim", "--steps", "2", "-q",
         "--out", "many.npy"], capture_output=True, text=True, check=True, env=env).stdout.split()[-1])


few, many = peak_kb(20000), peak_kb(200000)
assert many - few < 30 * 1024, (few, many)
print(f"ok: 40,000 samples in chunks equal one sampler's; 200,000 samples peak at {many / 1024:.0f} MB, "
      f"{(many - few) / 1024:.1f} MB above 20,000")
