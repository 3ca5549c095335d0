"""The noise schedule tables and the timestep spacings.

The tables come from python/diffuse_torch/diffusers_schedule.py (the independent float64 NumPy
transcription of diffusers' DDPMScheduler that the CLI tests already use), so the C++ core
(core/diffusion/schedule.*), its tests and this reference read the same definitions.
Index t = 0..T-1 is diffusers' index; the seeds' step is t + 1.
"""
import importlib.util
import pathlib

import numpy as np

_REPO = pathlib.Path(__file__).resolve().parents[2]
_SPEC = importlib.util.spec_from_file_location(
    "diffusers_schedule", _REPO / "python" / "diffuse_torch" / "diffusers_schedule.py")
diffusers_schedule = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(diffusers_schedule)

SCHEDULE_KINDS = ("linear", "scaled_linear", "cosine", "squaredcos_cap_v2", "sigmoid")
SPACINGS = ("leading", "trailing", "linspace")


def make_schedule(kind="linear", T=1000, beta_start=1e-4, beta_end=0.02):
    """dict of float64 (T,) tables: beta, alpha, alpha_bar, sqrt_alpha_bar,
    sqrt_one_minus_alpha_bar, posterior_variance (beta~_t, seed 004 eq. 12),
    posterior_log_variance_clipped, posterior_mean_coef1/2 (seed 004 eq. 11), snr;
    plus alpha_bar_prev (1 at t = 0)."""
    if kind not in SCHEDULE_KINDS:
        raise ValueError(f"--schedule {kind!r}: allowed {', '.join(SCHEDULE_KINDS)}")
    if T < 2:
        raise ValueError(f"--timesteps {T}: must be >= 2")
    s = diffusers_schedule.schedule(kind, T, beta_start, beta_end)
    s["alpha_bar_prev"] = np.append(1.0, s["alpha_bar"][:-1])
    return s


def timesteps(spacing, T, K):
    """K of the T steps, descending, with diffusers' meanings (docs/reference-workload.md,
    'Timestep spacings'):
      leading:  k * (T // K), k = 0..K-1 (steps_offset 0)
      trailing: np.round(np.arange(T, 0, -T / K)) - 1   (includes T - 1; Lin et al. 2024)
      linspace: round(linspace(0, T - 1, K))
    """
    if not 1 <= K <= T:
        raise ValueError(f"--steps {K}: must be in 1..{T}")
    if spacing == "leading":
        ts = np.arange(K, dtype=np.int64) * (T // K)
    elif spacing == "trailing":
        ts = np.round(np.arange(T, 0, -T / K)).astype(np.int64) - 1
    elif spacing == "linspace":
        ts = np.round(np.linspace(0, T - 1, K)).astype(np.int64)
    else:
        raise ValueError(f"--spacing {spacing!r}: allowed {', '.join(SPACINGS)}")
    return [int(t) for t in sorted(ts.tolist(), reverse=True)]
