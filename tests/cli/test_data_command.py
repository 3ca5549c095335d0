"""diffuse data: every data set writes n points as CSV (header x,y, float32 values), the same bytes
for the same seed; bad arguments exit 2 with a one-line message naming them, print nothing on
stdout, and never create or clobber a file (nor leave a temporary one)."""
import os
import subprocess
import sys
import tempfile

import numpy as np

BINARY = sys.argv[1]
DATASETS = ["moons", "circles", "gaussians8", "gaussians25", "swissroll", "checkerboard", "spirals"]


def run(*args):
    return subprocess.run([BINARY, "data", *args], capture_output=True, text=True)


def read_points(path):
    with open(path) as f:
        lines = f.read().splitlines()
    assert lines[0] == "x,y", lines[0]
    rows = [line.split(",") for line in lines[1:]]
    assert all(len(row) == 2 for row in rows)
    # Every value is the shortest decimal of a float32: the same digits as numpy's shortest
    # round-trip repr of that float32 (Dragon4, unique=True).
    values = np.array(rows, dtype=np.float32)
    shortest = [[float(np.format_float_scientific(v, unique=True)) for v in row] for row in values]
    assert np.array_equal(np.array(rows, dtype=np.float64), np.array(shortest)), "not shortest"
    return values


with tempfile.TemporaryDirectory() as tmp:
    for name in DATASETS:
        out = os.path.join(tmp, name + ".csv")
        r = run("--dataset", name, "--n", "500", "--seed", "3", "--out", out)
        assert r.returncode == 0, (name, r.returncode, r.stderr)
        assert r.stdout == f"wrote 500 points of {name} (seed 3) to {out}\n", r.stdout
        points = read_points(out)
        assert points.shape == (500, 2) and np.all(np.isfinite(points)), points.shape
        again = os.path.join(tmp, name + "-again.csv")
        other = os.path.join(tmp, name + "-other.csv")
        assert run("--dataset", name, "--n", "500", "--seed", "3", "--out", again).returncode == 0
        assert run("--dataset", name, "--n", "500", "--seed", "4", "--out", other).returncode == 0
        assert open(out, "rb").read() == open(again, "rb").read(), name
        assert open(out, "rb").read() != open(other, "rb").read(), name
        print("ok:", name)

    # Two definitions checked independently here (the unit tests check all seven in depth).
    board = read_points(os.path.join(tmp, "checkerboard.csv"))
    cells = np.floor(board).astype(int)
    assert np.all((board >= -2) & (board < 2)) and np.all((cells[:, 0] + cells[:, 1]) % 2 == 0)
    grid = read_points(os.path.join(tmp, "gaussians25.csv"))
    assert np.all(np.abs(grid - np.round(grid)) < 6 * 0.05) and np.all(np.abs(np.round(grid)) <= 2)
    print("ok: checkerboard in the dark squares, gaussians25 around the grid")

    # The default n is 10,000 (the training set size).
    default = os.path.join(tmp, "default.csv")
    assert run("--dataset", "moons", "--out", default).returncode == 0
    assert read_points(default).shape == (10000, 2)

    # Failures: exit 2, message naming the problem, no file, nothing clobbered.
    keep = os.path.join(tmp, "keep.csv")
    with open(keep, "w") as f:
        f.write("precious\n")
    not_a_dir = os.path.join(tmp, "plain-file")
    with open(not_a_dir, "w") as f:
        f.write("x")
    a_directory = os.path.join(tmp, "a-directory.csv")
    os.mkdir(a_directory)
    fresh = os.path.join(tmp, "fresh.csv")
    cases = [
        (["--dataset", "moon", "--out", fresh], "unknown data set 'moon': allowed are moons, circles"),
        (["--dataset", "moon", "--out", keep], "'moon'"),
        (["--dataset", "moons", "--n", "0", "--out", keep], "--n 0 is invalid: allowed is 1..10000000"),
        (["--dataset", "moons", "--n", "-3", "--out", fresh], "--n -3 is invalid"),
        (["--dataset", "moons", "--n", "20000000", "--out", fresh], "--n 20000000 is invalid"),
        (["--dataset", "moons", "--n", "abc", "--out", fresh], "abc"),
        (["--dataset", "moons", "--seed", "-1", "--out", fresh], "--seed '-1' is invalid"),
        (["--dataset", "moons", "--out", os.path.join(tmp, "points.txt")],
         "'" + os.path.join(tmp, "points.txt") + "' has an unsupported extension: allowed is .csv"),
        (["--dataset", "moons", "--out", os.path.join(tmp, "missing", "p.csv")],
         "cannot write '" + os.path.join(tmp, "missing", "p.csv") + "'"),
        (["--dataset", "moons", "--out", os.path.join(not_a_dir, "p.csv")], "Not a directory"),
        (["--dataset", "moons", "--out", a_directory], "Is a directory"),
        (["--dataset", "moons"], "--out is required"),
        (["--out", fresh], "--dataset is required"),
    ]
    before = sorted(os.listdir(tmp))
    for args, expected in cases:
        r = run(*args)
        assert r.returncode == 2, (args, r.returncode, r.stderr)
        assert r.stdout == "", (args, r.stdout)
        first_line = r.stderr.splitlines()[0]
        assert first_line.startswith("diffuse: error:") and expected in first_line, (args, r.stderr)
        assert "Usage:" in r.stderr, (args, r.stderr)
        assert sorted(os.listdir(tmp)) == before, (args, sorted(os.listdir(tmp)))
        assert open(keep).read() == "precious\n"
        assert os.listdir(a_directory) == []
        print("ok:", args)
