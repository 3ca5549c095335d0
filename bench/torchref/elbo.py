"""The negative ELBO, an upper bound on the NLL, per example (docs/reference-workload.md,
'ELBO evaluation'; seed 004 eq. 8-10), with improved-diffusion's calc_bpd_loop semantics for
continuous data:

  L_T         = KL(q(x_{T-1} | x_0) || N(0, I)), analytic                       (eq. 9)
  L_diffusion = sum_{t=1}^{T-1} KL(q(x_{t-1} | x_t, x_0) || p(x_{t-1} | x_t)), analytic Gaussian
                KLs, one draw of x_t ~ q(x_t | x_0) per (example, t), all T-1 terms (exact)   (eq. 10)
  L_0         = -log N(x_0; mu_theta(x_t, 0), sigma_0^2 I) with log sigma_0^2 =
                posterior_log_variance_clipped[0] (= log beta~ at index 1)           (eq. 8)

with mu_theta(x_t, t) = coef1_t x0_hat + coef2_t x_t (eq. 11 with x0_hat from eps_hat) and the
reverse variance beta~_t (fixed_small) or beta_t (fixed_large; improved-diffusion's
log(append(beta~_1, beta[1:])), so index 0 is log beta~_1 either way). Sums over dimensions, nats
per example, in the normalized space; the caller adds sum_d log std_d for data units.
Indices are diffusers' (t = 0..T-1); the seeds' step is t + 1.

draws = R > 1 averages R independent draws of x_t per (example, t), L_0 included (as `diffuse elbo
--draws R`): at each t the generator gives draw 0's noise, then draw 1's, and so on, so R = 1
consumes it exactly as calc_bpd_loop does and gives the same numbers bit for bit.
"""
import math

import numpy as np
import torch

LOG_2PI = math.log(2.0 * math.pi)


def _normal_kl(mean1, logvar1, mean2, logvar2):
    """KL(N(mean1, e^logvar1) || N(mean2, e^logvar2)) per element."""
    return 0.5 * (-1.0 + logvar2 - logvar1 + math.exp(logvar1 - logvar2)
                  + (mean1 - mean2) ** 2 * math.exp(-logvar2))


@torch.no_grad()
def nll_bound_terms(denoiser, x0, schedule, gen, variance="fixed_small", chunk=8192, draws=1):
    """x0 (N, D) normalized data. denoiser(x (B, D) float64, t int) -> eps_hat (B, D).
    Returns float64 numpy arrays: prior (N,) L_T, decoder (N,) L_0, kl (N, T-1) the denoising
    terms for t = 1..T-1 (column t-1), total (N,), each Monte Carlo term the mean of `draws`
    draws; and mc_var (N,): for draws >= 2 the variance of each example's total over its draws,
    estimated from their spread (sum over terms of the sample variance over draws / draws;
    None for draws = 1)."""
    if draws < 1:
        raise ValueError(f"--draws {draws}: must be at least 1")
    s = schedule
    T = len(s["beta"])
    x0 = torch.as_tensor(np.asarray(x0), dtype=torch.float64)
    N, D = x0.shape
    plvc = s["posterior_log_variance_clipped"]
    if variance == "fixed_small":
        model_logvar = plvc
    elif variance == "fixed_large":
        model_logvar = np.log(np.append(s["posterior_variance"][1], s["beta"][1:]))
    else:
        raise ValueError(f"--variance {variance!r}: allowed fixed_small, fixed_large")

    # L_T: q(x_{T-1} | x_0) = N(sqrt(ab) x_0, (1 - ab) I) against N(0, I)
    ab_last = float(s["alpha_bar"][T - 1])
    prior = _normal_kl(math.sqrt(ab_last) * x0, math.log(1.0 - ab_last), 0.0, 0.0).sum(1)

    kl = torch.zeros(N, T - 1, dtype=torch.float64)
    decoder = torch.zeros(N, dtype=torch.float64)
    mc_var = torch.zeros(N, dtype=torch.float64)
    for t in range(T - 1, -1, -1):  # calc_bpd_loop's order: one noise draw per t for all rows
        sab, s1mab = float(s["sqrt_alpha_bar"][t]), float(s["sqrt_one_minus_alpha_bar"][t])
        c1, c2 = float(s["posterior_mean_coef1"][t]), float(s["posterior_mean_coef2"][t])
        noise = torch.stack([torch.randn(N, D, generator=gen, dtype=torch.float64)
                             for _ in range(draws)])  # (R, N, D): draw r's noise at this t
        x_t = (sab * x0 + s1mab * noise).reshape(draws * N, D)  # draws of q(x_t | x_0)
        eps_hat = torch.cat([denoiser(x_t[i:i + chunk], t).to(torch.float64)
                             for i in range(0, draws * N, chunk)])
        x0_hat = (x_t - s1mab * eps_hat) / sab
        mean_p = c1 * x0_hat + c2 * x_t  # mu_theta(x_t, t)
        logvar_p = float(model_logvar[t])
        x0_rows = x0.repeat(draws, 1)  # (R N, D): row r N + i is example i
        if t == 0:
            # at t = 0, coef1 = 1 and coef2 = 0: mu_theta = x0_hat
            term = 0.5 * (LOG_2PI + logvar_p + (x0_rows - mean_p) ** 2 * math.exp(-logvar_p)).sum(1)
        else:
            mean_q = c1 * x0_rows + c2 * x_t  # posterior mean, seed 004 eq. 11
            term = _normal_kl(mean_q, float(plvc[t]), mean_p, logvar_p).sum(1)
        term = term.reshape(draws, N)
        if draws > 1:
            mc_var += term.var(0, unbiased=True) / draws
        if t == 0:
            decoder = term.mean(0)
        else:
            kl[:, t - 1] = term.mean(0)
    total = prior + kl.sum(1) + decoder
    return {"prior": prior.numpy(), "decoder": decoder.numpy(), "kl": kl.numpy(),
            "total": total.numpy(), "mc_var": mc_var.numpy() if draws > 1 else None}


class MixtureOracle:
    """The exact eps-prediction E[eps | x_t] for data from an equal-weight Gaussian mixture with
    diagonal components N(c_k, diag(s^2)) (the minimizer of L_simple). Given x_t, component k has
    x_t | k ~ N(sqrt(ab) c_k, diag(ab s^2 + 1 - ab)); with responsibilities r_k(x_t),
    E[x_0 | x_t] = sum_k r_k (c_k + sqrt(ab) s^2 / (ab s^2 + 1 - ab) (x_t - sqrt(ab) c_k)) and
    eps = (x_t - sqrt(ab) E[x_0 | x_t]) / sqrt(1 - ab). Used to check the ELBO and the samplers
    independently of training, and as the best bound this T and variance allow."""

    def __init__(self, centres, comp_std, schedule):
        self.c = torch.as_tensor(np.asarray(centres), dtype=torch.float64)  # (K, D)
        self.s2 = torch.as_tensor(np.asarray(comp_std) ** 2, dtype=torch.float64)  # (D,)
        self.alpha_bar = schedule["alpha_bar"]

    def __call__(self, x, t):
        x = x.to(torch.float64)
        ab = float(self.alpha_bar[t])
        sab = math.sqrt(ab)
        var_t = ab * self.s2 + (1.0 - ab)  # (D,)
        diff = x[:, None, :] - sab * self.c[None]  # (B, K, D)
        r = torch.softmax(-0.5 * (diff ** 2 / var_t).sum(-1), dim=1)  # (B, K)
        x0_k = self.c[None] + (sab * self.s2 / var_t) * diff  # (B, K, D)
        x0_hat = (r[..., None] * x0_k).sum(1)  # (B, D)
        return (x - sab * x0_hat) / math.sqrt(1.0 - ab)
