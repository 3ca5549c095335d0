"""Energy distance between two samples (Szekely & Rizzo), with Euclidean distances in float64:

  V-statistic  D^2 = 2 E|X - Y| - E|X - X'| - E|Y - Y'|, each mean over all pairs, the
               within-set means over all n^2 (m^2) pairs including i = j (the estimator the C++
               side states);
  U-statistic  the same with the within-set means over i != j (unbiased).

The pairwise distances are summed in row chunks so memory stays at chunk x m doubles.
"""
import numpy as np


def _sum_pairwise(a, b, chunk):
    """sum_{i,j} |a_i - b_j| in float64, rows of a taken `chunk` at a time."""
    total = 0.0
    for i in range(0, len(a), chunk):
        block = a[i:i + chunk]
        sq = np.zeros((len(block), len(b)))
        for d in range(a.shape[1]):
            sq += (block[:, d, None] - b[None, :, d]) ** 2
        total += np.sqrt(sq).sum()
    return total


def energy_distance(x, y, chunk=512):
    """x (n, D), y (m, D) -> dict with v (D^2, V-statistic), u (U-statistic) and the three means."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n, m = len(x), len(y)
    if n < 2 or m < 2 or x.shape[1] != y.shape[1]:
        raise ValueError(f"energy distance needs >= 2 rows each and equal widths: {x.shape}, {y.shape}")
    sxy, sxx, syy = _sum_pairwise(x, y, chunk), _sum_pairwise(x, x, chunk), _sum_pairwise(y, y, chunk)
    exy = sxy / (n * m)
    v = 2 * exy - sxx / n ** 2 - syy / m ** 2
    u = 2 * exy - sxx / (n * (n - 1)) - syy / (m * (m - 1))  # the i = j terms are 0
    return {"v": v, "u": u, "mean_xy": exy, "mean_xx_v": sxx / n ** 2, "mean_yy_v": syy / m ** 2,
            "n": n, "m": m}
