"""diffuse classifier on the real digits: accuracy >= 0.93 on the fixed 297-image test split; the
same file for 1 and 2 threads; the file read independently (safetensors by hand, the documented
metadata, PyTorch names); its test accuracy and the printed Fréchet baseline recomputed with an
independent numpy forward pass on the test split, itself rebuilt here from its definition
(Philox, Fisher-Yates: docs/datasets.md); --if-outdated; errors naming the flag. Skips (exit 0
with a message) when data/digits.csv.gz is absent."""
import gzip
import json
import math
import os
import re
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
import frechet_reference  # noqa: E402
from cli_support import assert_usage_error, enter_temp_dir, read_safetensors, run  # noqa: E402
from make_rng_golden import blocks  # noqa: E402  (the independent Philox of the RNG golden test)

SOURCE = os.environ.get("DIFFUSE_SOURCE_DIR") or os.path.abspath(os.path.join(HERE, "..", ".."))
DIGITS = os.path.join(SOURCE, "data", "digits.csv.gz")
U32 = 2.0 ** -24


def digits_test_split():
    """The 297 test images (pixels, labels) in file order: Rng(0x646967697473, 0x73706c6974), for
    i = 1796 down to 1 swap i with below(i + 1), where below(b) takes one block and
    floor(((w0 << 32) | w1) * b / 2^64); the first 297 positions, sorted."""
    rows = np.loadtxt(gzip.open(DIGITS, "rt"), delimiter=",", dtype=np.int64)
    order = list(range(len(rows)))
    stream = blocks(0x646967697473, 0x73706C6974)
    for i in range(len(rows) - 1, 0, -1):
        w = next(stream)
        j = (((w[0] << 32) | w[1]) * (i + 1)) >> 64
        order[i], order[j] = order[j], order[i]
    test = sorted(order[:297])
    return rows[test, :64], rows[test, 64]


def forward(tensors, x, activation):
    """Logits and penultimate features in float64, with a bound on the float32 computation's error
    per logit: each layer's sums of |terms| (a_l), times (fan-in + 2) u32 (Higham's gamma), plus
    the error carried in through |W| (activations are 1-Lipschitz for relu; silu and gelu have
    slope <= 1.1, taken as 1.1)."""
    act = {"relu": lambda v: np.maximum(v, 0.0),
           "silu": lambda v: v / (1.0 + np.exp(-v)),
           "gelu": lambda v: 0.5 * v * (1.0 + np.vectorize(math.erf)(v / math.sqrt(2.0)))}[activation]
    lipschitz = 1.0 if activation == "relu" else 1.1
    h, err = x, np.zeros_like(x)
    layer = 0
    while f"layers.{layer}.weight" in tensors:
        w = tensors[f"layers.{layer}.weight"].astype(np.float64)
        b = tensors[f"layers.{layer}.bias"].astype(np.float64)
        magnitude = np.abs(h) @ np.abs(w).T + np.abs(b)
        err = lipschitz * (err @ np.abs(w).T + (w.shape[1] + 2) * U32 * magnitude) + U32 * np.abs(act(h @ w.T + b))
        h = act(h @ w.T + b)
        layer += 1
    w, b = tensors["output.weight"].astype(np.float64), tensors["output.bias"].astype(np.float64)
    magnitude = np.abs(h) @ np.abs(w).T + np.abs(b)
    logit_err = err @ np.abs(w).T + (w.shape[1] + 2) * U32 * magnitude
    return h @ w.T + b, logit_err, h, err


def frechet_sensitivity(x, dx, y, dy):
    """How far the distance can move when the rows of x and y move by at most dx and dy (arrays of
    per-value bounds), to first order: the mean term by 2 ||mu1 - mu2|| (|dmu1| + |dmu2|); each
    trace tr(S) by 2 / (n - 1) sum_i |x_i - mu| |dx_i|; the nuclear norm ||A^T B||_* (A = Xc^T /
    sqrt(n - 1), frechet_reference.py) by ||dA||_F ||B||_F + ||A||_F ||dB||_F, centring being a
    projection (||dA||_F <= ||dX||_F / sqrt(n - 1))."""
    def parts(a, da):
        centred = a - a.mean(axis=0)
        row_err = np.sqrt((da ** 2).sum(axis=1))
        trace_move = 2.0 * (np.sqrt((centred ** 2).sum(axis=1)) * row_err).sum() / (len(a) - 1)
        return row_err.mean(), trace_move, math.sqrt((centred ** 2).sum() / (len(a) - 1)), \
            math.sqrt((da ** 2).sum() / (len(a) - 1))
    mx, tx, ax, dax = parts(x, dx)
    my, ty, ay, day = parts(y, dy)
    gap = np.linalg.norm(x.mean(axis=0) - y.mean(axis=0))
    return 2.0 * gap * (mx + my) + (mx + my) ** 2 + tx + ty + 2.0 * (dax * ay + ax * day)


def check_file(path, pixels, labels, printed):
    metadata, tensors = read_safetensors(path)
    assert metadata["format"] == "diffuse-classifier", metadata
    assert metadata["format_version"] == "1"
    assert metadata["dataset"] == "digits"
    assert metadata["levels"] == "17"
    assert metadata["seed"] == "0"
    assert metadata["test_images"] == "297"
    architecture = json.loads(metadata["architecture"])
    training = json.loads(metadata["training"])
    assert architecture["kind"] == "mlp" and architecture["shape"] == [1, 8, 8], architecture
    assert training["seed"] == "0", training
    hidden, layers = architecture["hidden"], architecture["layers"]
    expected = {f"layers.{l}.weight": (hidden, 64 if l == 0 else hidden) for l in range(layers)}
    expected.update({f"layers.{l}.bias": (hidden,) for l in range(layers)})
    expected.update({"output.weight": (10, hidden), "output.bias": (10,)})
    assert {k: v.shape for k, v in tensors.items()} == expected, tensors.keys()

    # The inputs as the diffusion models see them: (x - 8) / 8 per pixel (17 levels), in float32.
    x = ((pixels.astype(np.float64) - 8.0) / 8.0).astype(np.float32).astype(np.float64)
    logits, err, features, feature_err = forward(tensors, x, architecture["activation"])
    predicted = logits.argmax(axis=1)
    top2 = np.sort(logits, axis=1)[:, -2:]
    # A row whose top two logits are further apart than both errors can be predicted one way only.
    ambiguous = (top2[:, 1] - top2[:, 0]) <= 2.0 * err.max(axis=1)
    correct = predicted == labels
    recorded = float(json.loads(metadata["test_accuracy"]))
    low, high = (correct & ~ambiguous).sum() / 297, (correct | ambiguous).sum() / 297
    print(f"numpy: {correct.sum()} of 297 right, {ambiguous.sum()} ambiguous; recorded {recorded}")
    assert low <= recorded <= high, (low, recorded, high)
    assert abs(printed["accuracy"] - recorded) <= 5e-5, (printed, recorded)  # printed with 4 decimals
    assert printed["right"] == round(recorded * 297), (printed, recorded)

    # The printed data-vs-data baseline: the halves (148, 149) of the test features.
    half = len(features) // 2
    distance = frechet_reference.nuclear(features[:half], features[half:])[0]
    # The C++ features are float32 within feature_err of these: the distance may move by the
    # sensitivity bound, beside the float64 computation's own error.
    a, b = features[:half], features[half:]
    allowed = (frechet_reference.error_bound(a, b) +
               frechet_sensitivity(a, feature_err[:half], b, feature_err[half:]))
    print(f"Frechet halves: printed {printed['frechet']}, numpy {distance}, allowed {allowed:.3g}")
    assert abs(printed["frechet"] - distance) <= allowed, (printed["frechet"], distance, allowed)
    return metadata


def parse_output(stdout):
    m = re.search(r"test accuracy ([0-9.]+) \((\d+) of 297 held-out images\)", stdout)
    f = re.search(r"Frechet distance between the halves of the held-out images \(148 and 149\): ([0-9.eE+-]+)", stdout)
    assert m and f, stdout
    return {"accuracy": float(m.group(1)), "right": int(m.group(2)), "frechet": float(f.group(1))}


def main():
    if not os.path.exists(DIGITS):
        print(f"SKIP: {DIGITS} is missing (run scripts/setup.sh): the digits classifier is not tested")
        return
    enter_temp_dir()
    one = run("classifier", "--dataset", "digits", "--out", "one.safetensors", "--threads", "1", "-q", check=True)
    print(one.stdout)
    printed = parse_output(one.stdout)
    assert printed["accuracy"] >= 0.93, printed
    two = run("classifier", "--dataset", "digits", "--out", "two.safetensors", "--threads", "2", "-q", check=True)
    assert open("one.safetensors", "rb").read() == open("two.safetensors", "rb").read(), "threads changed the weights"
    assert parse_output(two.stdout) == printed

    pixels, labels = digits_test_split()
    check_file("one.safetensors", pixels, labels, printed)

    # --if-outdated: nothing to do for the same file; retrains for another seed or version.
    before = open("one.safetensors", "rb").read()
    same = run("classifier", "--dataset", "digits", "--out", "one.safetensors", "--if-outdated", "-q", check=True)
    assert "is up to date" in same.stdout, same.stdout
    assert open("one.safetensors", "rb").read() == before
    other = run("classifier", "--dataset", "digits", "--out", "one.safetensors", "--if-outdated", "--seed", "1",
                "--epochs", "2", "-q", check=True)
    assert "other settings" in other.stdout and "test accuracy" in other.stdout, other.stdout
    assert json.loads(read_safetensors("one.safetensors")[0]["training"])["seed"] == "1"
    missing = run("classifier", "--dataset", "digits", "--out", "new.safetensors", "--if-outdated", "--epochs", "1",
                  "-q", check=True)
    assert "does not exist" in missing.stdout and os.path.exists("new.safetensors"), missing.stdout

    # Errors: exit 2, the flag named, nothing written.
    assert_usage_error(run("classifier", "--dataset", "mnist", "--out", "e.safetensors"), "--dataset")
    assert_usage_error(run("classifier", "--dataset", "digits", "--out", "e.csv"), "--out")
    assert_usage_error(run("classifier", "--dataset", "digits", "--out", "e.safetensors", "--epochs", "0"), "--epochs")
    assert_usage_error(run("classifier", "--dataset", "digits", "--out", "e.safetensors", "--seed", "-1"), "--seed")
    assert_usage_error(run("classifier", "--dataset", "digits", "--out", "no/such/dir/e.safetensors"), "--out")
    assert not os.path.exists("e.safetensors") and not os.path.exists("e.csv")
    print("ok")


if __name__ == "__main__":
    main()
