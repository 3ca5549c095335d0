"""The Fréchet distance and the Jacobi eigendecomposition (core/metrics) against numpy references
written here (frechet_reference.py), through tests/tools/frechet_tool on CSV files: full-rank
covariances (checked by two references), singular ones (fewer points than features, as for the
halves of the digits test split in 256 features), one set against itself; eigenvalues against
numpy.linalg.eigvalsh and against the exact identities sum(l) = tr A, sum(l^2) = ||A||_F^2."""
import json
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import frechet_reference as ref  # noqa: E402
from cli_support import enter_temp_dir  # noqa: E402

TOOL = os.path.join(os.environ["DIFFUSE_TOOLS_DIR"], "frechet_tool")


def write_csv(path, a):
    """float32 values as their shortest round-trip decimals: the tool reads exactly these."""
    a = np.asarray(a, dtype=np.float32)
    with open(path, "w") as f:
        for row in a:
            f.write(",".join(repr(float(v)) for v in row) + "\n")
    return a.astype(np.float64)


def tool(*args):
    r = subprocess.run([TOOL, *args], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def features(rng, n, dim, mix, shift, relu=False):
    """Correlated features: normal rows times a mixing matrix, shifted (optionally rectified)."""
    x = rng.normal(size=(n, dim)) @ mix + shift
    return np.maximum(x, 0.0) if relu else x


def check_distance(name, x, y, full_rank):
    x = write_csv(name + "_x.csv", x)
    y = write_csv(name + "_y.csv", y)
    got = tool("distance", name + "_x.csv", name + "_y.csv")
    distance, mean_term, trace_term, _ = ref.nuclear(x, y)
    bound = ref.error_bound(x, y)
    print(f"{name}: diffuse {got['distance']!r}, numpy {distance!r}, |diff| "
          f"{abs(got['distance'] - distance):.3g}, bound {bound:.3g}")
    assert abs(got["distance"] - distance) <= bound, (name, got, distance, bound)
    assert abs(got["mean_term"] - mean_term) <= 1e-12 * (mean_term + 1.0), (name, got, mean_term)
    if full_rank:
        _, _, s1 = ref.fit(x)
        _, _, s2 = ref.fit(y)
        ns = float(np.trace(s1) + np.trace(s2)) - 2.0 * ref.newton_schulz_trace_sqrt(s1 @ s2)
        print(f"{name}: Newton-Schulz trace term {ns!r}, nuclear {trace_term!r}")
        assert abs(ns - trace_term) <= bound, (name, ns, trace_term, bound)


def check_eigen(name, a):
    a = write_csv(name + ".csv", a)
    got = np.array(tool("eigen", name + ".csv")["values"])
    a = (a + a.T) / 2  # the tool symmetrizes alike
    n = len(a)
    frobenius = np.linalg.norm(a)
    tolerance = 8.0 * n * ref.U64 * frobenius  # Weyl: within n u ||A||_F each, with margin
    assert abs(got.sum() - np.trace(a)) <= n * tolerance, (name, got.sum(), np.trace(a))
    assert abs(math_sqrt(np.sum(got ** 2)) - frobenius) <= n * tolerance, name
    if hasattr(np.linalg, "eigvalsh"):
        expected = np.linalg.eigvalsh(a)
        worst = np.max(np.abs(got - expected))
        print(f"{name}: eigenvalues within {worst:.3g} of numpy.linalg.eigvalsh (allowed {tolerance:.3g})")
        assert worst <= tolerance, (name, worst, tolerance)
    else:
        print(f"{name}: numpy.linalg.eigvalsh is not available; checked the trace and norm identities")


def math_sqrt(v):
    return float(np.sqrt(v))


def main():
    enter_temp_dir()
    rng = np.random.default_rng(7)
    mix8 = rng.normal(size=(8, 8))
    check_distance("full8", features(rng, 400, 8, mix8, 0.0), features(rng, 300, 8, mix8 * 1.2, 0.3), True)
    mix64 = rng.normal(size=(64, 64)) / 8
    check_distance("full64", features(rng, 600, 64, mix64, 0.5, relu=True),
                   features(rng, 500, 64, mix64 * 0.9, 0.4, relu=True), True)
    # 256 features of 148 and 149 points: the two halves of the digits test split's size.
    mix256 = rng.normal(size=(256, 256)) / 16
    check_distance("singular256", features(rng, 148, 256, mix256, 0.2, relu=True),
                   features(rng, 149, 256, mix256, 0.2, relu=True), False)
    same = features(rng, 100, 32, rng.normal(size=(32, 32)), 1.0)
    check_distance("same32", same, same, False)
    sym = rng.normal(size=(60, 60))
    check_eigen("eigen60", sym + sym.T)
    cov = features(rng, 40, 100, rng.normal(size=(100, 100)) / 10, 0.0)
    check_eigen("eigen100_singular", np.cov(cov.T))
    print("ok")


if __name__ == "__main__":
    main()
