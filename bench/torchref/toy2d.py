"""The spec's 2D data sets (docs/reference-workload.md, '2D data sets'), CSV I/O, the
per-dimension normalization and the exact log density of gaussians8.

Every point is drawn independently with NumPy's PCG64 generator. The C++ CLI draws with its own
Philox generator (`diffuse data --dataset NAME --n N --seed S --out F.csv`), so the same seed gives
a different sample of the same distribution; load its CSV with --data-csv to use identical points.

Random streams: a run with seed S draws each set from its own stream, `default_rng([S, stream])`,
so that the training set, the evaluation set, the baseline set and the NLL test set never overlap.
"""
import math

import numpy as np

STREAM_TRAIN, STREAM_EVAL, STREAM_BASELINE, STREAM_TEST = 0, 1, 2, 3


def rng_for(seed, stream):
    return np.random.default_rng([int(seed), int(stream)])


def _moons(rng, n):
    # upper moon (cos a, sin a) or lower (1 - cos a, 1/2 - sin a), a ~ U[0, pi]; + N(0, 0.05^2)
    a = rng.uniform(0.0, math.pi, n)
    upper = rng.random(n) < 0.5
    x = np.where(upper, np.cos(a), 1.0 - np.cos(a))
    y = np.where(upper, np.sin(a), 0.5 - np.sin(a))
    return np.stack([x, y], 1) + rng.normal(0.0, 0.05, (n, 2))


def _circles(rng, n):
    # radius 1 or 1/2 with probability 1/2, angle ~ U[0, 2 pi); + N(0, 0.03^2)
    r = np.where(rng.random(n) < 0.5, 1.0, 0.5)
    a = rng.uniform(0.0, 2 * math.pi, n)
    return np.stack([r * np.cos(a), r * np.sin(a)], 1) + rng.normal(0.0, 0.03, (n, 2))


GAUSSIANS8_STD = 0.1


def gaussians8_centres():
    """(8, 2): 2 (cos(2 pi k / 8), sin(2 pi k / 8)), k = 0..7."""
    k = np.arange(8)
    return 2.0 * np.stack([np.cos(2 * math.pi * k / 8), np.sin(2 * math.pi * k / 8)], 1)


def _gaussians8(rng, n):
    k = rng.integers(0, 8, n)
    return gaussians8_centres()[k] + rng.normal(0.0, GAUSSIANS8_STD, (n, 2))


def _gaussians25(rng, n):
    # a centre uniform on {-2, -1, 0, 1, 2}^2; + N(0, 0.05^2 I)
    c = rng.integers(-2, 3, (n, 2)).astype(np.float64)
    return c + rng.normal(0.0, 0.05, (n, 2))


def _swissroll(rng, n):
    # s = 1.5 pi (1 + 2u), u ~ U[0, 1); (s cos s, s sin s) / 5; + N(0, 0.1^2)
    s = 1.5 * math.pi * (1.0 + 2.0 * rng.random(n))
    return np.stack([s * np.cos(s), s * np.sin(s)], 1) / 5.0 + rng.normal(0.0, 0.1, (n, 2))


def _checkerboard(rng, n):
    # x ~ U[-2, 2), y ~ U[0, 1) - 2b + (floor(x) mod 2), b ~ U{0, 1}; mod is the mathematical one
    # (np.mod of a positive divisor is >= 0: floor(-1.5) = -2 -> 0, floor(-0.5) = -1 -> 1)
    x = rng.uniform(-2.0, 2.0, n)
    b = rng.integers(0, 2, n)
    y = rng.random(n) - 2.0 * b + np.mod(np.floor(x), 2.0)
    return np.stack([x, y], 1)


def _spirals(rng, n):
    # r = sqrt(u) 3 pi; arm 1 (-r cos r, r sin r), arm 2 its negation; + N(0, 0.1^2); all / 3
    r = np.sqrt(rng.random(n)) * 3 * math.pi
    arm = np.stack([-r * np.cos(r), r * np.sin(r)], 1)
    sign = np.where(rng.random(n) < 0.5, 1.0, -1.0)[:, None]
    return (sign * arm + rng.normal(0.0, 0.1, (n, 2))) / 3.0


GENERATORS = {
    "moons": _moons,
    "circles": _circles,
    "gaussians8": _gaussians8,
    "gaussians25": _gaussians25,
    "swissroll": _swissroll,
    "checkerboard": _checkerboard,
    "spirals": _spirals,
}


def make_dataset(name, n, seed, stream):
    """(n, 2) float64 points of data set `name`, drawn from stream `stream` of seed `seed`."""
    if name not in GENERATORS:
        raise ValueError(f"--dataset {name!r}: allowed {', '.join(GENERATORS)}")
    if n < 1:
        raise ValueError(f"--n {n}: must be >= 1")
    return GENERATORS[name](rng_for(seed, stream), n)


# --- CSV ------------------------------------------------------------------------------------

def read_csv(path):
    """(N, D) float64 from a comma-separated file; an optional first header line (one that does
    not parse as numbers, e.g. `x,y`) is skipped, as the spec's CSV data set."""
    rows = []
    with open(path) as f:
        for i, line in enumerate(f):
            line = line.strip()
            if not line:
                continue
            try:
                rows.append([float(v) for v in line.split(",")])
            except ValueError:
                if i == 0:
                    continue  # header
                raise ValueError(f"{path}:{i + 1}: not a row of numbers: {line!r}")
    if not rows:
        raise ValueError(f"{path}: no data rows")
    widths = {len(r) for r in rows}
    if len(widths) != 1:
        raise ValueError(f"{path}: rows have different numbers of columns {sorted(widths)}")
    return np.asarray(rows, dtype=np.float64)


def write_csv(path, x):
    """Header `x,y` for D = 2 (else x0,x1,...), then one point per line."""
    x = np.asarray(x, dtype=np.float64)
    header = "x,y" if x.shape[1] == 2 else ",".join(f"x{d}" for d in range(x.shape[1]))
    np.savetxt(path, x, delimiter=",", header=header, comments="", fmt="%.9g")


# --- normalization ---------------------------------------------------------------------------

def normalization(x):
    """Per-dimension mean and standard deviation (population, ddof = 0, so the normalized
    training set has exactly mean 0 and std 1)."""
    return x.mean(0), x.std(0)


# --- exact densities of the Gaussian mixtures ------------------------------------------------

def gaussians25_centres():
    """(25, 2): the grid {-2, -1, 0, 1, 2}^2."""
    g = np.arange(-2, 3, dtype=np.float64)
    return np.stack(np.meshgrid(g, g, indexing="ij"), -1).reshape(-1, 2)


# name -> (centres (K, D), isotropic component std); equal weights
MIXTURES = {
    "gaussians8": (gaussians8_centres, GAUSSIANS8_STD),
    "gaussians25": (gaussians25_centres, 0.05),
}


def mixture(name):
    if name not in MIXTURES:
        raise ValueError(f"{name!r} has no known density: allowed {', '.join(MIXTURES)}")
    centres, std = MIXTURES[name]
    return centres(), std


def mixture_log_density(name, x):
    """(N,) exact log p(x) in data units of an equal-weight isotropic Gaussian mixture:
    p = (1/K) sum_k N(x; c_k, s^2 I), by log-sum-exp."""
    c, std = mixture(name)
    x = np.asarray(x, dtype=np.float64)
    var = std ** 2
    d2 = ((x[:, None, :] - c[None, :, :]) ** 2).sum(-1)  # (N, K)
    log_comp = -0.5 * d2 / var - x.shape[1] * 0.5 * math.log(2 * math.pi * var)
    m = log_comp.max(1, keepdims=True)
    return m[:, 0] + np.log(np.exp(log_comp - m).sum(1)) - math.log(len(c))
