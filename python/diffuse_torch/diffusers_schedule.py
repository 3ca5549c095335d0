"""An independent float64 NumPy transcription of diffusers' DDPMScheduler tables (diffusers
src/diffusers/schedulers/scheduling_ddpm.py: __init__, betas_for_alpha_bar,
rescale_zero_terminal_snr, _get_variance; the posterior coefficients of DDPM / improved-diffusion's
GaussianDiffusion). Used by the CLI tests to check `diffuse schedule`."""
import math

import numpy as np


def betas_for_alpha_bar(T, max_beta=0.999):
    def alpha_bar_fn(t):
        return math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2

    return np.array([min(1 - alpha_bar_fn((i + 1) / T) / alpha_bar_fn(i / T), max_beta)
                     for i in range(T)], dtype=np.float64)


def rescale_zero_terminal_snr(betas):
    alphas = 1.0 - betas
    alphas_bar_sqrt = np.sqrt(np.cumprod(alphas))
    a0, aT = alphas_bar_sqrt[0].copy(), alphas_bar_sqrt[-1].copy()
    alphas_bar_sqrt = (alphas_bar_sqrt - aT) * (a0 / (a0 - aT))
    alphas_bar = alphas_bar_sqrt ** 2
    alphas = np.concatenate([alphas_bar[0:1], alphas_bar[1:] / alphas_bar[:-1]])
    return 1 - alphas


def schedule(kind, T, beta_start=1e-4, beta_end=0.02, zero_snr=False):
    if kind == "linear":
        betas = np.linspace(beta_start, beta_end, T, dtype=np.float64)
    elif kind == "scaled_linear":
        betas = np.linspace(beta_start ** 0.5, beta_end ** 0.5, T, dtype=np.float64) ** 2
    elif kind in ("cosine", "squaredcos_cap_v2"):
        betas = betas_for_alpha_bar(T)
    elif kind == "sigmoid":
        x = np.linspace(-6, 6, T, dtype=np.float64)
        betas = 1 / (1 + np.exp(-x)) * (beta_end - beta_start) + beta_start
    else:
        raise ValueError(kind)
    if zero_snr:
        betas = rescale_zero_terminal_snr(betas)
    alphas = 1.0 - betas
    acp = np.cumprod(alphas)
    acp_prev = np.append(1.0, acp[:-1])
    posterior_variance = betas * (1.0 - acp_prev) / (1.0 - acp)
    with np.errstate(divide="ignore"):
        return {
            "beta": betas,
            "alpha": alphas,
            "alpha_bar": acp,
            "sqrt_alpha_bar": np.sqrt(acp),
            "sqrt_one_minus_alpha_bar": np.sqrt(1.0 - acp),
            "posterior_variance": posterior_variance,
            "posterior_log_variance_clipped":
                np.log(np.append(posterior_variance[1], posterior_variance[1:])),
            "posterior_mean_coef1": betas * np.sqrt(acp_prev) / (1.0 - acp),
            "posterior_mean_coef2": (1.0 - acp_prev) * np.sqrt(alphas) / (1.0 - acp),
            "snr": acp / (1.0 - acp),
        }
