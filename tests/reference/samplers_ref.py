"""Float64 NumPy reference of eight diffusers schedulers, as diffusers' pipelines drive them.

Written for this project from the published algorithms (DDPM, DDIM, Karras et al. 2022's Euler /
Heun / ancestral samplers, DPM-Solver++ and its SDE variant, UniPC) and from the definitions in
diffusers' scheduler sources (huggingface/diffusers 0.40.0.dev0, commit 58eb52c0:
src/diffusers/schedulers/scheduling_{euler_discrete, euler_ancestral_discrete, heun_discrete,
dpmsolver_multistep, unipc_multistep, ddim, ddpm}.py), which were read to learn the exact
formulas, spacings and defaults. No code is copied from them. Everything here runs in float64;
diffusers itself rounds sigmas, timesteps and (in several `step`s) the latents to float32, see
tests/reference/README.md ("samplers_ref.py") for the consequences and for the quirks reproduced.

    plan = sampler_plan(name, alphas_cumprod, steps, spacing="linspace", karras=False)
    out = run_sampler(name, model, alphas_cumprod, z, steps, spacing="linspace", karras=False,
                      prediction="epsilon", step_noise=None, eta=0.0, variance="fixed_small")
    karras_sigmas(sigma_min, sigma_max, n, rho=7.0); sigma_to_t(sigma, log_sigmas)

(both also take beta_schedule=None; see sampler_plan).

Names and the diffusers configuration each one stands for (all other options at their defaults,
steps_offset 0, no clipping or thresholding):

    euler         EulerDiscreteScheduler (interpolation_type linear, final_sigmas_type zero, s_churn 0)
    euler_a       EulerAncestralDiscreteScheduler
    heun          HeunDiscreteScheduler
    dpmpp_2m      DPMSolverMultistepScheduler(algorithm_type "dpmsolver++", solver_order 2,
                  solver_type "midpoint", lower_order_final True, final_sigmas_type "zero")
    dpmpp_2m_sde  the same with algorithm_type "sde-dpmsolver++"
    unipc         UniPCMultistepScheduler(solver_type "bh2", solver_order 2, predict_x0 True,
                  lower_order_final True, final_sigmas_type "zero", disable_corrector [])
    ddim          DDIMScheduler(set_alpha_to_one True, clip_sample False), step(eta=eta)
    ddpm          DDPMScheduler(variance_type fixed_small | fixed_large | learned_range, clip_sample
                  False); learned_range: the model's output is (n, 2 D), [prediction, o]

`karras` (use_karras_sigmas) is offered by euler, heun, dpmpp_2m, dpmpp_2m_sde and unipc.
Zero terminal SNR: pass the rescaled table (alphas_cumprod[-1] == 0 exactly). The sigma-based
schedulers (all but ddim and ddpm) then use 2**-24 in its place, as diffusers does with
rescale_betas_zero_snr; heun too, although diffusers' HeunDiscreteScheduler has no such option
(given that table it would start from an infinite sigma). ddim and ddpm use the 0 as it is.

Deliberate differences from diffusers (each where diffusers fails or has no definition):
euler_a accepts prediction "sample" (diffusers raises); euler_a's sigma_down = s_next^2 / s and
ddim's sqrt(max(0, 1 - abar_prev - std^2)) avoid the cancellations that give diffusers NaN; the
schedule is walked by call count (diffusers starts at index_for_timestep(first timestep), the
second occurrence when the rounded first timestep repeats, and then runs off its schedule);
dpmpp_2m / unipc raise ValueError when two consecutive sigmas are equal (diffusers divides by 0).
"""
import math

import numpy as np

SAMPLERS = ("euler", "euler_a", "heun", "dpmpp_2m", "dpmpp_2m_sde", "unipc", "ddim", "ddpm")
KARRAS_SAMPLERS = ("euler", "heun", "dpmpp_2m", "dpmpp_2m_sde", "unipc")
SIGMA_SAMPLERS = ("euler", "euler_a", "heun", "dpmpp_2m", "dpmpp_2m_sde", "unipc")
PREDICTIONS = ("epsilon", "sample", "v_prediction")
SPACINGS = ("linspace", "leading", "trailing")
VARIANCES = ("fixed_small", "fixed_large", "learned_range")

# What diffusers puts in place of alphas_cumprod[-1] == 0 (rescale_betas_zero_snr) so that the
# first sigma stays finite: 2**-24, the smallest positive float16 subnormal.
ZERO_SNR_ALPHA_BAR = 2.0 ** -24


# ---------------------------------------------------------------------------------------------
# sigma helpers shared by the sigma-based schedulers


def karras_sigmas(sigma_min, sigma_max, n, rho=7.0):
    """Karras et al. (2022) eq. 5: n sigmas from sigma_max down to sigma_min, equally spaced in
    sigma**(1/rho). n == 1 gives [sigma_max]."""
    ramp = np.linspace(0.0, 1.0, n)
    hi = sigma_max ** (1.0 / rho)
    lo = sigma_min ** (1.0 / rho)
    return (hi + ramp * (lo - hi)) ** rho


def sigma_to_t(sigma, log_sigmas):
    """Fractional training timestep of `sigma` (scalar or array): piecewise-linear interpolation
    of t against log(sigma) over the training table log_sigmas[t] (increasing in t), clamped to
    [0, T-1]. The bracketing index is the last t with log_sigmas[t] <= log(sigma) (0 if there
    is none), limited to [0, T-2]; sigmas below 1e-10 are treated as 1e-10. "Last", not a binary
    search: with zero terminal SNR the table need not be increasing (linear betas: sigma_998 =
    15406 > sigma_999 = 2**12 after the 2**-24 substitution), and diffusers takes the last."""
    sig = np.asarray(sigma, dtype=np.float64)
    log_sigma = np.log(np.maximum(sig, 1e-10)).reshape(-1)
    T = len(log_sigmas)
    low = np.zeros(log_sigma.shape, dtype=np.int64)
    for j, ls in enumerate(log_sigma):
        below = np.nonzero(log_sigmas <= ls)[0]
        low[j] = below[-1] if len(below) else 0
    low = np.minimum(low, T - 2)
    lo_val = log_sigmas[low]
    hi_val = log_sigmas[low + 1]
    w = np.clip((lo_val - log_sigma) / (lo_val - hi_val), 0.0, 1.0)
    t = (1.0 - w) * low + w * (low + 1)
    return t.reshape(sig.shape)


def training_sigmas(alphas_cumprod, zero_snr_substitute=True):
    """sigma_t = sqrt((1 - abar_t) / abar_t) for t = 0..T-1, with abar_{T-1} == 0 replaced by
    2**-24 when zero_snr_substitute."""
    acp = np.array(alphas_cumprod, dtype=np.float64)
    if zero_snr_substitute and acp[-1] == 0.0:
        acp[-1] = ZERO_SNR_ALPHA_BAR
    return np.sqrt((1.0 - acp) / acp)


# ---------------------------------------------------------------------------------------------
# timestep spacings (diffusers' set_timesteps, steps_offset 0; np.round is round-half-to-even)


def _trailing(T, N):
    # Note: np.arange's length is ceil(T / (T/N)) in floating point, which is N + 1 for some N
    # (T = 1000: N = 61, 103, 121, ...); the extra last entry rounds to 0 and becomes -1.
    return np.round(np.arange(T, 0, -T / N)) - 1.0


def spacing_timesteps(family, T, N, spacing):
    """The timesteps (float64, descending) set_timesteps makes before any Karras conversion.
    family "k" = euler / euler_a / heun, "dpm" = dpmpp_2m(_sde) / unipc, "ddim" = ddim / ddpm."""
    if spacing not in SPACINGS:
        raise ValueError(f"spacing {spacing!r}: expected one of {SPACINGS}")
    if spacing == "trailing":
        return _trailing(T, N)
    if family == "dpm":
        # N + 1 points, the last (t = 0) dropped
        if spacing == "linspace":
            return np.round(np.linspace(0.0, T - 1, N + 1))[::-1][:-1].copy()
        ratio = T // (N + 1)
        return (np.arange(N + 1) * ratio).astype(np.float64)[::-1][:-1].copy()
    if spacing == "leading":
        ratio = T // N
        return (np.arange(N) * ratio).astype(np.float64)[::-1].copy()
    ts = np.linspace(0.0, T - 1, N)[::-1].copy()
    return ts if family == "k" else np.round(ts)


def _family(name):
    if name in ("euler", "euler_a", "heun"):
        return "k"
    if name in ("dpmpp_2m", "dpmpp_2m_sde", "unipc"):
        return "dpm"
    if name in ("ddim", "ddpm"):
        return "ddim"
    raise ValueError(f"sampler {name!r}: expected one of {SAMPLERS}")


# ---------------------------------------------------------------------------------------------
# the plan: model timesteps, sigmas, initial noise scale


def sampler_plan(name, alphas_cumprod, steps, spacing="linspace", karras=False, beta_schedule=None):
    """{"timesteps": (calls,) float64 model timesteps in call order, "sigmas": (calls + 1,) sigma
    of the state before each call and after the last (None for ddim / ddpm), "init_noise_sigma"}.
    Also "sigmas_schedule" (N + 1,) the un-interleaved sigmas (heun) and "steps".
    beta_schedule matters only for dpmpp_2m(_sde) with karras: diffusers rounds the Karras
    timesteps except for "squaredcos_cap_v2", where its int64 cast truncates them instead."""
    family = _family(name)
    N = int(steps)
    if N < 1:
        raise ValueError(f"steps {steps}: expected >= 1")
    if karras and name not in KARRAS_SAMPLERS:
        raise ValueError(f"{name} has no Karras sigmas (offered by {KARRAS_SAMPLERS})")
    acp = np.asarray(alphas_cumprod, dtype=np.float64)
    T = len(acp)
    ts = spacing_timesteps(family, T, N, spacing)

    if family == "ddim":
        return {"timesteps": ts, "sigmas": None, "sigmas_schedule": None, "init_noise_sigma": 1.0,
                "steps": len(ts)}

    train_sig = training_sigmas(acp)
    log_sig = np.log(train_sig)
    if family == "k":
        # np.interp clamps outside [0, T-1] (the trailing spacing's t = -1 gets sigma_0)
        sig = np.interp(ts, np.arange(T, dtype=np.float64), train_sig)
        if karras:
            # Karras range = the sigmas of this spacing's first and last timestep
            sig = karras_sigmas(sig[-1], sig[0], N)
            ts = sigma_to_t(sig, log_sig)
    else:
        if karras:
            # Karras range = the whole training table; the spacing is ignored
            sig = karras_sigmas(train_sig[0], train_sig[-1], N)
            t_frac = sigma_to_t(sig, log_sig)
            if name != "unipc" and beta_schedule == "squaredcos_cap_v2":
                ts = np.trunc(t_frac)
            else:
                ts = np.round(t_frac)
        else:
            sig = np.interp(ts, np.arange(T, dtype=np.float64), train_sig)
    sched = np.concatenate([sig, [0.0]])

    if name == "heun":
        sigmas = np.concatenate([sched[:1], np.repeat(sched[1:-1], 2), sched[-1:]])
        timesteps = np.concatenate([ts[:1], np.repeat(ts[1:], 2)])
    else:
        sigmas = sched
        timesteps = ts

    if family == "k":
        smax = float(np.max(sigmas))
        init = smax if spacing in ("linspace", "trailing") else math.sqrt(smax * smax + 1.0)
    else:
        init = 1.0
    return {"timesteps": np.asarray(timesteps, dtype=np.float64), "sigmas": sigmas,
            "sigmas_schedule": sched, "init_noise_sigma": init, "steps": len(ts)}


# ---------------------------------------------------------------------------------------------
# predictions -> x0


def _x0_from_ve(pred, m, x, s):
    """x0 in the variance-exploding parametrization x = x0 + s*eps (euler, euler_a, heun); the
    model saw x / sqrt(s^2 + 1)."""
    if pred == "epsilon":
        return x - s * m
    if pred == "v_prediction":
        return m * (-s / math.sqrt(s * s + 1.0)) + x / (s * s + 1.0)
    return m


def _alpha_sigma(s):
    """(alpha_t, sigma_t) of the variance-preserving state whose VE sigma is s."""
    a = 1.0 / math.sqrt(s * s + 1.0)
    return a, s * a


def _lambda(s):
    """log(alpha_t) - log(sigma_t) = -log(s); +inf at s == 0."""
    a, sg = _alpha_sigma(s)
    return math.inf if sg == 0.0 else math.log(a) - math.log(sg)


def _x0_from_vp(pred, m, x, s):
    """x0 in the variance-preserving parametrization x = alpha*x0 + sigma*eps (dpm, unipc)."""
    a, sg = _alpha_sigma(s)
    if pred == "epsilon":
        return (x - sg * m) / a
    if pred == "v_prediction":
        return a * x - sg * m
    return m


def _x0_eps_from_abar(pred, m, x, abar):
    """(x0, eps) for ddim / ddpm, with x = sqrt(abar)*x0 + sqrt(1-abar)*eps."""
    sa, sb = math.sqrt(abar), math.sqrt(1.0 - abar)
    with np.errstate(divide="ignore", invalid="ignore"):
        if pred == "epsilon":
            return (x - sb * m) / sa, m
        if pred == "v_prediction":
            return sa * x - sb * m, sa * m + sb * x
        return m, (x - sa * m) / sb


# ---------------------------------------------------------------------------------------------
# the runs


class _Recorder:
    def __init__(self, model, timesteps, step_noise):
        self.model = model
        self.timesteps = timesteps
        self.step_noise = step_noise
        self.latents = []
        self.model_inputs = []
        self.k = 0

    def call(self, x, divisor=1.0):
        """One model call on raw latents x (model input x / divisor); returns the prediction."""
        t = float(self.timesteps[self.k])
        x_in = x / divisor
        self.latents.append(x.copy())
        self.model_inputs.append(x_in.copy())
        out = np.asarray(self.model(x_in, t), dtype=np.float64)
        return out

    def noise(self):
        if self.step_noise is None:
            raise ValueError("this sampler draws noise: pass step_noise")
        return np.asarray(self.step_noise(self.k), dtype=np.float64)

    def done(self):
        self.k += 1


def _run_euler(rec, plan, x, pred, ancestral):
    sig = plan["sigmas"]
    for i in range(plan["steps"]):
        s, s_next = float(sig[i]), float(sig[i + 1])
        m = rec.call(x, math.sqrt(s * s + 1.0))
        x0 = _x0_from_ve(pred, m, x, s)
        d = (x - x0) / s
        if ancestral:
            # sigma_up = sqrt(s_next^2 (s^2 - s_next^2) / s^2), sigma_down = sqrt(s_next^2 - sigma_up^2)
            # (diffusers' form), written without the cancellation that makes diffusers' float32
            # sigma_down NaN when s >> s_next (squaredcos_cap_v2, trailing): s_down = s_next^2 / s.
            s_up = s_next * math.sqrt(s * s - s_next * s_next) / s
            s_down = s_next * s_next / s
            x = x + d * (s_down - s) + rec.noise() * s_up
        else:
            x = x + d * (s_next - s)
        rec.done()
    return x


def _run_heun(rec, plan, x, pred):
    sig = plan["sigmas_schedule"]
    N = plan["steps"]
    for i in range(N):
        s, s_next = float(sig[i]), float(sig[i + 1])
        m = rec.call(x, math.sqrt(s * s + 1.0))
        d = (x - _x0_from_ve(pred, m, x, s)) / s
        dt = s_next - s
        x_euler = x + d * dt
        rec.done()
        if i == N - 1:  # last step into sigma 0: Euler only
            x = x_euler
            break
        m2 = rec.call(x_euler, math.sqrt(s_next * s_next + 1.0))
        d2 = (x_euler - _x0_from_ve(pred, m2, x_euler, s_next)) / s_next
        x = x + (d + d2) / 2.0 * dt
        rec.done()
    return x


def _check_distinct(plan, name):
    sig = plan["sigmas"]
    if np.any(sig[1:] == sig[:-1]):
        raise ValueError(f"{name}: two consecutive steps at the same sigma (steps {plan['steps']} too many "
                         "for this spacing); diffusers divides by zero there")


def _run_dpmpp_2m(rec, plan, x, pred, sde):
    """DPM-Solver++(2M) (Lu et al. 2022, alg. 2, midpoint form) and its SDE variant; first order
    at the first step and at the last (final sigma 0, lambda = +inf)."""
    _check_distinct(plan, "dpmpp_2m")
    sig = plan["sigmas"]
    N = plan["steps"]
    x0_prev = None
    for i in range(N):
        s = float(sig[i])
        m = rec.call(x)
        x0 = _x0_from_vp(pred, m, x, s)
        a_t, sg_t = _alpha_sigma(float(sig[i + 1]))
        _, sg_s = _alpha_sigma(s)
        h = _lambda(float(sig[i + 1])) - _lambda(s)
        first = i == 0 or i == N - 1
        if first:
            D = x0
        else:
            h0 = _lambda(s) - _lambda(float(sig[i - 1]))
            r0 = h0 / h
            D = x0 + 0.5 * (1.0 / r0) * (x0 - x0_prev)
        if sde:
            noise = rec.noise()
            em2h = math.exp(-2.0 * h)
            x = (sg_t / sg_s * math.exp(-h)) * x + (a_t * (1.0 - em2h)) * D \
                + sg_t * math.sqrt(1.0 - em2h) * noise
        else:
            x = (sg_t / sg_s) * x - (a_t * (math.exp(-h) - 1.0)) * D
        x0_prev = x0
        rec.done()
    return x


def _unipc_coefficients(h, order):
    """UniPC with x0 prediction (hh = -h) and B(h) = expm1(hh) ("bh2"): returns (h_phi_1, B_h, b),
    h_phi_1 = expm1(hh) and b_k = k! * hh * phi_{k+1}(hh) / B(h) for k = 1..order, the right-hand
    side of the order conditions R rho = b, R[k-1][j] = r_j**(k-1) (Zhao et al. 2023, alg. 2 / 3);
    phi_1(x) = (e^x - 1) / x, phi_{k+1}(x) = (phi_k(x) - 1/k!) / x."""
    hh = -h
    h_phi_1 = math.expm1(hh)
    h_phi_k = h_phi_1 / hh - 1.0
    B_h = math.expm1(hh)
    b = []
    fact = 1.0
    for k in range(1, order + 1):
        b.append(h_phi_k * fact / B_h)
        fact *= k + 1
        h_phi_k = h_phi_k / hh - 1.0 / fact
    return h_phi_1, B_h, np.array(b)


def _unipc_update(x, s_from, s_to, m0, older, this_m, order):
    """One UniPC update from (x, s_from) to s_to. m0 = x0 prediction at s_from; older = list of
    (sigma, x0 prediction) at earlier points, newest first (order - 1 used). this_m None: the
    predictor UniP; else the corrector UniC with this_m the x0 prediction at s_to."""
    a_t, sg_t = _alpha_sigma(s_to)
    _, sg_s = _alpha_sigma(s_from)
    lam_s = _lambda(s_from)
    h = _lambda(s_to) - lam_s
    rks, D1s = [], []
    for k in range(order - 1):
        s_k, m_k = older[k]
        rk = (_lambda(s_k) - lam_s) / h
        rks.append(rk)
        D1s.append((m_k - m0) / rk)
    rks.append(1.0)
    h_phi_1, B_h, b = _unipc_coefficients(h, order)
    x_t = sg_t / sg_s * x - a_t * h_phi_1 * m0
    R = np.array([[r ** (k - 1) for r in rks] for k in range(1, order + 1)])
    if this_m is None:
        if not D1s:
            return x_t
        rhos = np.array([0.5]) if order == 2 else np.linalg.solve(R[:-1, :-1], b[:-1])
        res = sum(rho * D for rho, D in zip(rhos, D1s))
        return x_t - a_t * B_h * res
    rhos = np.array([0.5]) if order == 1 else np.linalg.solve(R, b)
    res = sum((rho * D for rho, D in zip(rhos[:-1], D1s)), 0.0)
    return x_t - a_t * B_h * (res + rhos[-1] * (this_m - m0))


def _run_unipc(rec, plan, x, pred, solver_order=2):
    """UniPC (Zhao et al. 2023), bh2, x0 prediction: at call i >= 1 the corrector UniC first
    refines the latent the model just saw (with that call's prediction), then the predictor
    UniP steps on; orders warm up 1, 2, ... and drop to 1 at the last step (lower_order_final)."""
    _check_distinct(plan, "unipc")
    sig = plan["sigmas"]
    N = plan["steps"]
    hist = []            # (sigma, x0 prediction), newest last
    last_x, last_order = None, None
    for i in range(N):
        s = float(sig[i])
        m = rec.call(x)
        x0 = _x0_from_vp(pred, m, x, s)
        if i > 0:
            older = [hist[-1 - k] for k in range(1, len(hist))]
            x = _unipc_update(last_x, float(sig[i - 1]), s, hist[-1][1], older, x0, last_order)
        hist.append((s, x0))
        hist = hist[-solver_order:]
        order = min(solver_order, N - i, i + 1)
        last_x, last_order = x, order
        older = [hist[-1 - k] for k in range(1, len(hist))]
        x = _unipc_update(x, s, float(sig[i + 1]), x0, older, None, order)
        rec.done()
    return x


def _run_ddim(rec, plan, x, pred, acp, eta):
    """DDIM (Song et al. 2021 eq. 12). As in diffusers, the step always goes to t - T // N,
    whatever the spacing; below 0 it goes to abar = 1 (set_alpha_to_one)."""
    T = len(acp)
    N = plan["steps"]
    for t in plan["timesteps"]:
        t = int(t)
        m = rec.call(x)
        prev = t - T // N
        a = float(acp[t])
        a_prev = float(acp[prev]) if prev >= 0 else 1.0
        x0, eps = _x0_eps_from_abar(pred, m, x, a)
        var = (1.0 - a_prev) / (1.0 - a) * (1.0 - a / a_prev)
        std = eta * math.sqrt(var)
        # 1 - a_prev - std^2 >= 0 exactly; rounding can take it below 0 at eta = 1 (diffusers: NaN)
        x = math.sqrt(a_prev) * x0 + math.sqrt(max(1.0 - a_prev - std * std, 0.0)) * eps
        if eta > 0:
            x = x + std * rec.noise()
        rec.done()
    return x


def _run_ddpm(rec, plan, x, pred, acp, variance):
    """Ancestral DDPM step (Ho et al. 2020 eq. 7) between consecutive timesteps of the plan;
    noise is drawn when t > 0, with variance the clamped posterior variance (fixed_small),
    1 - abar_t / abar_prev (fixed_large), or learned_range's log-domain interpolation between the
    two, frac = (o + 1) / 2 (DDPMScheduler._get_variance: the model output's second half o)."""
    ts = [int(t) for t in plan["timesteps"]]
    for k, t in enumerate(ts):
        m = rec.call(x)
        if variance == "learned_range":
            m, o = m[:, : m.shape[1] // 2], m[:, m.shape[1] // 2:]
        prev = ts[k + 1] if k + 1 < len(ts) else -1
        a = float(acp[t])
        a_prev = float(acp[prev]) if prev >= 0 else 1.0
        beta_t = 1.0 - a / a_prev
        x0, _ = _x0_eps_from_abar(pred, m, x, a)
        c0 = math.sqrt(a_prev) * beta_t / (1.0 - a)
        ct = math.sqrt(a / a_prev) * (1.0 - a_prev) / (1.0 - a)
        x = c0 * x0 + ct * x
        if t > 0:
            small = max((1.0 - a_prev) / (1.0 - a) * beta_t, 1e-20)
            if variance == "fixed_small":
                v = small
            elif variance == "fixed_large":
                v = beta_t
            else:
                frac = (o + 1.0) / 2.0
                v = np.exp(frac * math.log(beta_t) + (1.0 - frac) * math.log(small))
            x = x + np.sqrt(v) * rec.noise()
        rec.done()
    return x


def run_sampler(name, model, alphas_cumprod, z, steps, spacing="linspace", karras=False,
                prediction="epsilon", step_noise=None, eta=0.0, variance="fixed_small",
                beta_schedule=None):
    """Run sampler `name` from x_T = z * init_noise_sigma. model(x_in, t) gets the scaled model
    input (n, D) and the timestep as a Python float; step_noise(k) gives the (n, D) standard
    normal noise of model call k (drawn once per call that draws: euler_a, dpmpp_2m_sde and ddim
    with eta > 0 at every call, ddpm at every call with t > 0). Returns {"latents": raw latents
    before each call and after the last, "model_inputs", "timesteps", "sigmas", "sample"}."""
    if prediction not in PREDICTIONS:
        raise ValueError(f"prediction {prediction!r}: expected one of {PREDICTIONS}")
    if variance not in VARIANCES:
        raise ValueError(f"variance {variance!r}: expected one of {VARIANCES}")
    plan = sampler_plan(name, alphas_cumprod, steps, spacing, karras, beta_schedule)
    acp = np.asarray(alphas_cumprod, dtype=np.float64)
    rec = _Recorder(model, plan["timesteps"], step_noise)
    x = np.asarray(z, dtype=np.float64) * plan["init_noise_sigma"]
    if name in ("euler", "euler_a"):
        x = _run_euler(rec, plan, x, prediction, name == "euler_a")
    elif name == "heun":
        x = _run_heun(rec, plan, x, prediction)
    elif name in ("dpmpp_2m", "dpmpp_2m_sde"):
        x = _run_dpmpp_2m(rec, plan, x, prediction, name == "dpmpp_2m_sde")
    elif name == "unipc":
        x = _run_unipc(rec, plan, x, prediction)
    elif name == "ddim":
        x = _run_ddim(rec, plan, x, prediction, acp, float(eta))
    else:
        x = _run_ddpm(rec, plan, x, prediction, acp, variance)
    assert rec.k == len(plan["timesteps"])
    rec.latents.append(x.copy())
    return {"latents": rec.latents, "model_inputs": rec.model_inputs,
            "timesteps": plan["timesteps"], "sigmas": plan["sigmas"], "sample": x}
