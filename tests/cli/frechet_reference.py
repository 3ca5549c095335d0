"""An independent numpy reference for the Fréchet distance (core/metrics/frechet.hpp), shared by
test_frechet_numpy.py and test_classifier.py (CTest runs only test_*.py).

The C++ code takes two symmetric eigendecompositions (S1^{1/2}, then the eigenvalues of
M = S1^{1/2} S2 S1^{1/2}). The references here avoid matrix square roots altogether:

* nuclear: with S1 = A A^T and S2 = B B^T for the centred data A = Xc^T / sqrt(n - 1) and
  B = Yc^T / sqrt(m - 1), M = (S1^{1/2} B)(S1^{1/2} B)^T has the eigenvalues of
  (A^T B)^T (A^T B), so tr(M^{1/2}) is the nuclear norm of the cross Gram matrix
  A^T B = Xc Yc^T / sqrt((n - 1)(m - 1)) (numpy.linalg.svd; singular covariances included).
* newton_schulz: tr((S1 S2)^{1/2}) by the coupled Newton-Schulz iteration, matrix products only
  (full-rank covariances only).
"""
import math

import numpy as np

U64 = 2.0 ** -53


def fit(x):
    x = np.asarray(x, dtype=np.float64)
    mean = x.mean(axis=0)
    centred = x - mean
    return mean, centred, centred.T @ centred / (len(x) - 1)


def nuclear(x, y):
    """(distance, mean_term, trace_term, eigenvalues of M) by the cross-Gram nuclear norm."""
    mx, cx, sx = fit(x)
    my, cy, sy = fit(y)
    gram = cx @ cy.T / math.sqrt((len(x) - 1) * (len(y) - 1))
    singular = np.linalg.svd(gram, compute_uv=False)
    mean_term = float(np.sum((mx - my) ** 2))
    trace_term = float(np.trace(sx) + np.trace(sy) - 2.0 * np.sum(singular))
    return mean_term + trace_term, mean_term, trace_term, singular ** 2


def newton_schulz_trace_sqrt(a, iterations=200):
    """tr(a^{1/2}) for a matrix similar to a positive definite one, by Newton-Schulz."""
    n = len(a)
    scale = np.linalg.norm(a)
    y, z, eye = a / scale, np.eye(n), np.eye(n)
    for _ in range(iterations):
        t = 0.5 * (3.0 * eye - z @ y)
        y_next, z = y @ t, t @ z
        if np.linalg.norm(y_next - y) <= 1e-15 * np.linalg.norm(y_next):
            y = y_next
            break
        y = y_next
    return float(np.trace(y) * math.sqrt(scale))


def error_bound(x, y):
    """A first-order bound on |computed - exact| for the C++ computation in float64.

    Eigenvalues from a backward-stable decomposition of S (n = F) are within d = F u ||S||_F of
    exact ones; a square root moves an eigenvalue l by min(sqrt(d), d / (2 sqrt(l))). So
    ||dR||_F <= sqrt(sum_j e_j^2) for R = S1^{1/2}; M = R S2 R then moves by
    dM = 2 ||dR|| ||S2||_2 ||R||_2 + F u ||M||_F, and tr(M^{1/2}) by sum_i min(sqrt(dM),
    dM / (2 sqrt(mu_i))). The traces add F u (tr S1 + tr S2). The result is multiplied by 4 for
    the constants a first-order analysis leaves out, and doubled for the reference's own error.
    """
    _, _, s1 = fit(x)
    _, _, s2 = fit(y)
    features = len(s1)
    lam = np.clip(np.linalg.svd(s1, compute_uv=False), 0.0, None)
    d1 = features * U64 * np.linalg.norm(s1)
    root_errors = np.minimum(math.sqrt(d1), d1 / (2.0 * np.sqrt(np.maximum(lam, 1e-300))))
    d_root = float(np.sqrt(np.sum(root_errors ** 2)))
    mu = nuclear(x, y)[3][:features]  # M is F x F: its eigenvalues are the F largest
    norm_m = math.sqrt(float(np.sum(mu ** 2)))
    d_m = 2.0 * d_root * np.linalg.norm(s2, 2) * math.sqrt(lam.max()) + features * U64 * norm_m
    d_trace = float(np.sum(np.minimum(math.sqrt(d_m), d_m / (2.0 * np.sqrt(np.maximum(mu, 1e-300))))))
    return 8.0 * (2.0 * d_trace + features * U64 * float(np.trace(s1) + np.trace(s2)))
