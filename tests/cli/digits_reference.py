"""Independent numpy references for the digits quality measurements, shared by test_classifier.py
and test_images.py (CTest runs only test_*.py): the fixed held-out split rebuilt from its
definition (docs/datasets.md), the classifier's forward pass in float64 with a bound on the
float32 computation's error, and how far a Fréchet distance can move with its inputs."""
import gzip
import math
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
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
