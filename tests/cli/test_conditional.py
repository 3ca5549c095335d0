"""Class-conditional 2D models in the CLI: `train --conditional` learns the data set's components
(gaussians8) or a CSV's label column; `sample --class K|all --guidance W` puts each class's samples
on its own mode (at least 90% per class, a different mode for each); CSV output gets a label
column that `train` reads back as labels; and every misuse is a one-line error with exit 2.

The bound: gaussians8's class k is the mode at 2 (cos 2 pi k/8, sin 2 pi k/8) with sd 0.1, modes
1.53 apart; "on its mode" means the nearest mode is k. A model that ignored its labels puts 1/8 of
each class on each mode, and one that ignored the guidance would still score, so w = 3 is checked
as well as w = 1. The run below (3,000 steps of batch 256) measured 100% at both.
"""
import os

import numpy as np

from cli_support import assert_usage_error, enter_temp_dir, read_csv, run, tiny

enter_temp_dir()

MODES = np.array([[2 * np.cos(2 * np.pi * k / 8), 2 * np.sin(2 * np.pi * k / 8)] for k in range(8)])


def on_own_mode(path):
    data = read_csv(path)
    points, labels = data[:, :2], data[:, 2].astype(int)
    nearest = np.argmin(((points[:, None, :] - MODES[None]) ** 2).sum(-1), axis=1)
    return [float((nearest[labels == k] == k).mean()) if (labels == k).any() else np.nan for k in range(8)], labels


run("train", "--dataset", "gaussians8", "--conditional", "--steps", 3000, "--threads", 1, "-q",
    "--out", "g8.safetensors", check=True)
info = run("info", "g8.safetensors", check=True).stdout
assert "classes    8 (labels 0..7; 8 is the null class" in info and "label dropout 0.1" in info, info
for w in (1, 3):
    out = run("sample", "--model", "g8.safetensors", "--n", 800, "--class", "all", "--guidance", w,
              "--sampler", "ddim", "-q", "--out", f"all{w}.csv", check=True).stdout
    assert f"classes 0..7 in turn, guidance {w}" in out, out
    fractions, labels = on_own_mode(f"all{w}.csv")
    assert (labels == np.arange(800) % 8).all()
    assert min(fractions) >= 0.9, (w, fractions)
    print(f"ok: guidance {w}: on their own mode per class: {', '.join(f'{f:.3f}' for f in fractions)}")
run("sample", "--model", "g8.safetensors", "--n", 100, "--class", 5, "--sampler", "ddim", "-q",
    "--out", "five.csv", check=True)
fractions, labels = on_own_mode("five.csv")
assert (labels == 5).all() and fractions[5] >= 0.9, fractions
# Without --class: the null class, unconditional: every mode, and no label column.
run("sample", "--model", "g8.safetensors", "--n", 800, "--sampler", "ddim", "-q", "--out", "none.csv", check=True)
assert open("none.csv").readline().strip() == "x,y"
points = read_csv("none.csv")
counts = np.bincount(np.argmin(((points[:, None, :] - MODES[None]) ** 2).sum(-1), axis=1), minlength=8)
assert counts.min() >= 50, counts  # ~100 each; 50 is 5 sd below
print(f"ok: unconditional (null class) samples cover every mode: {counts.tolist()}")

# A CSV label column: labels with --conditional; ignored, with a note, without.
run("sample", "--model", "g8.safetensors", "--n", 400, "--class", "all", "--sampler", "ddim", "-q",
    "--out", "labeled.csv", check=True)
r = run("train", "--dataset", "labeled.csv", "--steps", 20, *tiny(train_size=None), "--out", "plain.safetensors",
        check=True)
assert "has a label column (8 classes); it is ignored without --conditional" in r.stderr, r.stderr
assert "none: unconditional (its data has" not in run("info", "plain.safetensors", check=True).stdout
run("train", "--dataset", "labeled.csv", "--conditional", "--label-dropout", 0.2, "--steps", 20,
    *tiny(train_size=None), "--out", "csv.safetensors", check=True)
csv_info = run("info", "csv.safetensors", check=True).stdout
assert "classes    8 (labels 0..7" in csv_info and "label dropout 0.2" in csv_info, csv_info
# predict with --class, and with the file's label column
np.savetxt("x.csv", np.array([[0.1, 0.2, 3], [1.0, -1.0, 8]]), delimiter=",", header="x,y,label", comments="")
run("predict", "--model", "g8.safetensors", "--t", 100, "--in", "x.csv", "--out", "p_file.csv", check=True)
run("predict", "--model", "g8.safetensors", "--t", 100, "--in", "x.csv", "--class", 8, "--out", "p_null.csv",
    check=True)
p_file, p_null = read_csv("p_file.csv"), read_csv("p_null.csv")
assert p_file.shape == (2, 2) and (p_file[1] == p_null[1]).all() and (p_file[0] != p_null[0]).any()
print("ok: CSV labels train a conditional model, or are ignored with a note; predict takes classes")

# Misuse: exit 2, one line naming the problem, nothing written.
run("train", "--dataset", "moons", "--steps", 10, *tiny(), "--out", "plain_moons.safetensors", check=True)
cases = [
    (["sample", "--model", "plain_moons.safetensors", "--n", 4, "--class", 0, "--out", "o.csv"], "unconditional"),
    (["sample", "--model", "g8.safetensors", "--n", 4, "--class", 8, "--out", "o.csv"], "out of range"),
    (["sample", "--model", "g8.safetensors", "--n", 4, "--class", "some", "--out", "o.csv"], "--class"),
    (["sample", "--model", "g8.safetensors", "--n", 4, "--guidance", 2, "--out", "o.csv"], "--guidance needs --class"),
    (["train", "--dataset", "swissroll", "--conditional", "--out", "o.safetensors"], "has no class labels"),
    (["train", "--dataset", "moons", "--label-dropout", 0.2, "--out", "o.safetensors"], "needs --conditional"),
    (["train", "--dataset", "moons", "--conditional", "--label-dropout", 1, "--out", "o.safetensors"], "--label-dropout"),
]
np.savetxt("nolabel.csv", np.random.default_rng(1).normal(size=(10, 2)), delimiter=",", header="x,y", comments="")
cases.append((["train", "--dataset", "nolabel.csv", "--conditional", "--out", "o.safetensors"], "no column named 'label'"))
for args, expected in cases:
    assert_usage_error(run(*args), expected, " ".join(map(str, args)))
assert not os.path.exists("o.csv") and not os.path.exists("o.safetensors")
print("ok: misuse is a one-line error with exit 2, and nothing is written")
