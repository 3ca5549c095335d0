"""DDPM ancestral sampling and DDIM (docs/reference-workload.md, 'Sampling defaults'; seed 002
section 8; the posterior of seed 004 eq. 11-12).

`denoiser(x, t)` returns eps_hat (B, D) for rows x (B, D) float32, all at the integer step t.
Coefficients come from the float64 tables and are applied as Python floats to float32 tensors.
"""
import math

import torch

from .schedule import timesteps

VARIANCES = ("fixed_small", "fixed_large")


@torch.no_grad()
def sample_ddpm(denoiser, n, dim, schedule, gen, variance="fixed_small"):
    """All T steps, t = T-1 .. 0, as diffusers' DDPMScheduler.step with clip_sample off:
    x0_hat = (x_t - sqrt(1 - alpha_bar_t) eps_hat) / sqrt(alpha_bar_t);
    mean = coef1_t x0_hat + coef2_t x_t (seed 004 eq. 11, with x0_hat for x_0);
    x_{t-1} = mean + sigma_t z with sigma_t^2 = beta~_t (fixed_small, eq. 12) or beta_t
    (fixed_large), and no noise on the final step (t = 0): the result is the mean."""
    if variance not in VARIANCES:
        raise ValueError(f"--variance {variance!r}: allowed {', '.join(VARIANCES)}")
    s = schedule
    T = len(s["beta"])
    x = torch.randn(n, dim, generator=gen)  # x_{T-1} ~ N(0, I)
    for t in range(T - 1, -1, -1):
        eps = denoiser(x, t)
        x0_hat = (x - float(s["sqrt_one_minus_alpha_bar"][t]) * eps) / float(s["sqrt_alpha_bar"][t])
        mean = float(s["posterior_mean_coef1"][t]) * x0_hat + float(s["posterior_mean_coef2"][t]) * x
        if t > 0:
            var = s["posterior_variance"][t] if variance == "fixed_small" else s["beta"][t]
            x = mean + math.sqrt(max(var, 1e-20)) * torch.randn(n, dim, generator=gen)
        else:
            x = mean
    return x


@torch.no_grad()
def sample_ddim(denoiser, n, dim, schedule, gen, steps=50, spacing="trailing", eta=0.0):
    """DDIM (Song et al. 2021) over `steps` of the T steps with the given spacing; the previous
    step is the next entry of the actual list, and after the last entry it is "x_0"
    (alpha_bar_prev = 1), so the last update returns x0_hat:
      x_prev = sqrt(ab_prev) x0_hat + sqrt(1 - ab_prev - sigma^2) eps_hat + sigma z,
      sigma = eta sqrt((1 - ab_prev) / (1 - ab_t)) sqrt(1 - ab_t / ab_prev)   (0 for eta = 0)."""
    ab = schedule["alpha_bar"]
    ts = timesteps(spacing, len(ab), steps)
    x = torch.randn(n, dim, generator=gen)
    for i, t in enumerate(ts):
        ab_t = float(ab[t])
        ab_prev = float(ab[ts[i + 1]]) if i + 1 < len(ts) else 1.0
        eps = denoiser(x, t)
        x0_hat = (x - math.sqrt(1.0 - ab_t) * eps) / math.sqrt(ab_t)
        sigma = eta * math.sqrt((1.0 - ab_prev) / (1.0 - ab_t)) * math.sqrt(1.0 - ab_t / ab_prev)
        x = math.sqrt(ab_prev) * x0_hat + math.sqrt(max(1.0 - ab_prev - sigma ** 2, 0.0)) * eps
        if sigma > 0:
            x = x + sigma * torch.randn(n, dim, generator=gen)
    return x
