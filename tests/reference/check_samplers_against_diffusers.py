"""Compare tests/reference/samplers_ref.py with an installed diffusers.

    python3 -m pip install diffusers torch          # if they are not installed already
    python3 tests/reference/check_samplers_against_diffusers.py [--quick] [--tol 1e-3]

Not run by the test suite (diffusers is not installable here); test_samplers_ref.py holds the
numbers such a comparison produced. This script only imports diffusers as installed: it
downloads nothing. Each scheduler is driven the way diffusers' pipelines drive it

    scheduler.set_timesteps(N); x = z * scheduler.init_noise_sigma
    for t in scheduler.timesteps: x = scheduler.step(model(scheduler.scale_model_input(x, t), t), t, x).prev_sample

with a smooth analytic model, fixed z, and the noise of model call k replaced by a fixed array
(by patching the scheduler module's randn_tensor), for every sampler x betas (linear,
scaled_linear, squaredcos_cap_v2, zero terminal SNR) x prediction type x spacing x Karras x
steps (1 to 25, and 61). The reference gets diffusers' own (float32) alphas_cumprod.

diffusers computes sigmas, timesteps and most steps in float32, so agreement is to float32
accuracy: about 1e-6 relative, up to ~1e-3 where sigma_max is large (squaredcos_cap_v2 has
sigma_max = 2e4, zero SNR 4096) and the Euler family loses digits in x + d * (sigma_next - sigma).
Runs are "well conditioned" when sigma_max < 1000; only those can fail (relative error above
--tol); the others are reported. Exits 1 on a failure, 0 otherwise (also when diffusers is not
importable).

Known differences, by design (see tests/reference/README.md): euler_a with prediction "sample"
(diffusers raises NotImplementedError; the reference uses x0 = model output); heun with zero SNR
(diffusers' Heun has no rescale_betas_zero_snr; the script gives it the rescaled betas and
Euler's 2**-24 substitution, as the reference does); ddim with eta 1 on a zero-SNR table and
euler_a on squaredcos_cap_v2 (diffusers' float32 can give NaN); runs whose rounded first
timestep repeats (diffusers walks off the end of its schedule; retried after set_begin_index(0)).
"""
import argparse
import importlib
import math
import os
import sys
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from diffuse_torch import diffusers_schedule as ds  # noqa: E402
import samplers_ref as sr  # noqa: E402

MODULES = {
    "euler": ("scheduling_euler_discrete", "EulerDiscreteScheduler"),
    "euler_a": ("scheduling_euler_ancestral_discrete", "EulerAncestralDiscreteScheduler"),
    "heun": ("scheduling_heun_discrete", "HeunDiscreteScheduler"),
    "dpmpp_2m": ("scheduling_dpmsolver_multistep", "DPMSolverMultistepScheduler"),
    "dpmpp_2m_sde": ("scheduling_dpmsolver_multistep", "DPMSolverMultistepScheduler"),
    "unipc": ("scheduling_unipc_multistep", "UniPCMultistepScheduler"),
    "ddim": ("scheduling_ddim", "DDIMScheduler"),
    "ddpm": ("scheduling_ddpm", "DDPMScheduler"),
}
SCHEDULES = {"linear": ("linear", {}), "cosine": ("squaredcos_cap_v2", {}),
             "scaled": ("scaled_linear", dict(beta_start=0.00085, beta_end=0.012))}


def model(x, t):
    return 0.5 * np.tanh(x) + 0.0005 * t * np.sin(1.3 * x) + 0.05


def z0():
    return np.random.default_rng(12345).standard_normal((2, 2))


def noise(k):
    return np.random.default_rng([7, k]).standard_normal((2, 2))


def configs(quick):
    steps_list = [1, 3, 10] if quick else [1, 2, 3, 5, 10, 25]
    out = []
    for name in sr.SAMPLERS:
        for sched, zsnr in [("linear", False), ("cosine", False), ("scaled", False), ("linear", True),
                            ("scaled", True)]:
            for pred in sr.PREDICTIONS:
                if zsnr and pred != "v_prediction":
                    continue
                if name == "euler_a" and pred == "sample":
                    continue
                for spacing in sr.SPACINGS:
                    for karras in ([False, True] if name in sr.KARRAS_SAMPLERS else [False]):
                        for steps in steps_list:
                            extras = [{}]
                            if name == "ddim":
                                extras = [{"eta": 0.0}, {"eta": 0.5}, {"eta": 1.0}]
                            if name == "ddpm":
                                extras = [{"variance": "fixed_small"}, {"variance": "fixed_large"}]
                            for ex in extras:
                                out.append(dict(name=name, sched=sched, zsnr=zsnr, pred=pred, spacing=spacing,
                                                karras=karras, steps=steps, **ex))
    for name in sr.SAMPLERS:
        ex = {"eta": 0.0} if name == "ddim" else {"variance": "fixed_small"} if name == "ddpm" else {}
        out.append(dict(name=name, sched="linear", zsnr=False, pred="epsilon", spacing="trailing", karras=False,
                        steps=61, **ex))
    return out


class Diffusers:
    def __init__(self, torch):
        self.torch = torch
        self.mods = {}
        self.current_call = 0
        for name, (mod, cls) in MODULES.items():
            m = importlib.import_module(f"diffusers.schedulers.{mod}")
            self.mods[name] = (m, getattr(m, cls))
            if hasattr(m, "randn_tensor"):
                m.randn_tensor = self.randn_tensor
        self.drawn = []

    def randn_tensor(self, shape, generator=None, device=None, dtype=None, layout=None):
        self.drawn.append(self.current_call)
        return self.torch.tensor(noise(self.current_call), dtype=dtype or self.torch.float32)

    def make(self, c):
        kind, kw = SCHEDULES[c["sched"]]
        betas = ds.schedule(kind, 1000, **kw)["beta"]
        args = dict(num_train_timesteps=1000, trained_betas=betas, beta_schedule=kind, prediction_type=c["pred"],
                    timestep_spacing=c["spacing"], steps_offset=0)
        n = c["name"]
        cls = self.mods[n][1]
        if n in ("euler", "heun", "dpmpp_2m", "dpmpp_2m_sde", "unipc"):
            args["use_karras_sigmas"] = c["karras"]
        if n == "heun":
            if c["zsnr"]:
                args["trained_betas"] = ds.rescale_zero_terminal_snr(betas)
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")  # its __init__ meets sigma = inf before the substitution
                s = cls(**args)
            if c["zsnr"]:
                s.alphas_cumprod[-1] = 2.0 ** -24
            return s
        args["rescale_betas_zero_snr"] = c["zsnr"]
        if n in ("dpmpp_2m", "dpmpp_2m_sde"):
            args.update(algorithm_type="dpmsolver++" if n == "dpmpp_2m" else "sde-dpmsolver++", solver_order=2,
                        solver_type="midpoint", lower_order_final=True, final_sigmas_type="zero")
        elif n == "unipc":
            args.update(solver_order=2, solver_type="bh2", predict_x0=True, lower_order_final=True)
        elif n == "ddim":
            args.update(clip_sample=False, set_alpha_to_one=True)
        elif n == "ddpm":
            args.update(clip_sample=False, variance_type=c["variance"])
        return cls(**args)

    def run(self, c, begin_index_zero=False):
        torch = self.torch
        s = self.make(c)
        s.set_timesteps(c["steps"])
        if begin_index_zero:
            s.set_begin_index(0)
        sigmas = None if c["name"] in ("ddim", "ddpm") else s.sigmas.double().numpy().copy()
        timesteps = s.timesteps.double().numpy().copy()
        init = float(s.init_noise_sigma)
        acp = s.alphas_cumprod.double().numpy().copy()
        x = torch.tensor(z0(), dtype=torch.float32) * s.init_noise_sigma
        self.drawn = []
        for k, t in enumerate(s.timesteps):
            self.current_call = k
            x_in = s.scale_model_input(x, t)
            m = torch.tensor(model(x_in.double().numpy(), float(t)), dtype=torch.float32)
            kw = {"eta": c["eta"]} if c["name"] == "ddim" else {}
            x = s.step(m, t, x, **kw).prev_sample
        return dict(acp=acp, timesteps=timesteps, sigmas=sigmas, init=init, sample=x.double().numpy(),
                    drawn=list(self.drawn))


def rel_err(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return math.inf
    return float(np.max(np.abs(a - b)) / max(1.0, float(np.max(np.abs(b)))))


def compare(c, d):
    kind = SCHEDULES[c["sched"]][0]
    drawn = []

    def step_noise(k):
        drawn.append(k)
        return noise(k)
    plan = sr.sampler_plan(c["name"], d["acp"], c["steps"], c["spacing"], c["karras"], beta_schedule=kind)
    with np.errstate(all="ignore"):
        out = sr.run_sampler(c["name"], model, d["acp"], z0(), c["steps"], spacing=c["spacing"], karras=c["karras"],
                             prediction=c["pred"], step_noise=step_noise, eta=c.get("eta", 0.0),
                             variance=c.get("variance", "fixed_small"), beta_schedule=kind)
    e = {"timesteps": rel_err(plan["timesteps"], d["timesteps"]),
         "sigmas": 0.0 if d["sigmas"] is None else rel_err(plan["sigmas"], d["sigmas"]),
         "init": rel_err(plan["init_noise_sigma"], d["init"]),
         "sample": rel_err(out["sample"], d["sample"]),
         "noise calls": 0.0 if drawn == d["drawn"] else math.inf}
    sigma_max = float(np.max(plan["sigmas"])) if plan["sigmas"] is not None else \
        math.sqrt((1 - d["acp"][int(plan["timesteps"][0])]) / max(d["acp"][int(plan["timesteps"][0])], 1e-30))
    return e, sigma_max


def describe(c):
    ex = "".join(f" {k}={c[k]}" for k in ("eta", "variance") if k in c)
    return (f"{c['name']} {c['sched']}{' zero-snr' if c['zsnr'] else ''} {c['pred']} {c['spacing']}"
            f"{' karras' if c['karras'] else ''} {c['steps']} steps{ex}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer step counts")
    ap.add_argument("--tol", type=float, default=1e-3, help="relative tolerance for well-conditioned runs")
    ap.add_argument("--verbose", action="store_true", help="print every run")
    args = ap.parse_args()
    try:
        import torch
        import diffusers
        dif = Diffusers(torch)
    except ImportError as exc:
        print(f"diffusers is not importable here ({exc}).")
        print("Install it (and torch) to run this comparison:  python3 -m pip install diffusers torch")
        return 0
    torch.set_num_threads(1)
    print(f"diffusers {getattr(diffusers, '__version__', '?')} from {os.path.dirname(diffusers.__file__)}, "
          f"torch {torch.__version__}")
    worst = {}
    failures, notes = [], []
    for c in configs(args.quick):
        try:
            d = dif.run(c)
        except Exception as exc:  # noqa: BLE001 - diffusers' own failures are reported, not raised
            first = f"{type(exc).__name__}: {exc}"
            try:
                d = dif.run(c, begin_index_zero=True)
                notes.append(f"{describe(c)}: diffusers failed ({first[:70]}); compared after set_begin_index(0)")
            except Exception as exc2:  # noqa: BLE001
                notes.append(f"{describe(c)}: diffusers failed ({first[:70]} / {type(exc2).__name__})")
                continue
        if not np.all(np.isfinite(d["sample"])):
            notes.append(f"{describe(c)}: diffusers gives a non-finite sample")
            continue
        e, sigma_max = compare(c, d)
        cond = "well conditioned" if sigma_max < 1000 else "sigma_max >= 1000"
        key = (c["name"], cond)
        for q, v in e.items():
            if v > worst.get(key + (q,), (-1.0, None))[0]:
                worst[key + (q,)] = (v, c)
        bad = cond == "well conditioned" and (max(e.values()) > args.tol)
        if bad:
            failures.append(f"{describe(c)}: " + ", ".join(f"{q} {v:.1e}" for q, v in e.items()))
        if args.verbose or bad:
            print(("FAIL " if bad else "     ") + describe(c) + ": " +
                  ", ".join(f"{q} {v:.1e}" for q, v in e.items()))
    print("\nlargest relative differences (reference vs diffusers):")
    for name in sr.SAMPLERS:
        for cond in ("well conditioned", "sigma_max >= 1000"):
            row = [(q, worst.get((name, cond, q))) for q in ("timesteps", "sigmas", "init", "sample", "noise calls")]
            if all(v is None for _, v in row):
                continue
            print(f"  {name:13s} {cond:18s} " + "  ".join(f"{q} {v[0]:.1e}" for q, v in row if v is not None))
    if notes:
        print(f"\n{len(notes)} runs with diffusers-side failures (expected; see the docstring):")
        for n in notes:
            print("  " + n)
    if failures:
        print(f"\n{len(failures)} well-conditioned runs differ by more than {args.tol}:")
        for f in failures:
            print("  " + f)
        return 1
    print(f"\nall well-conditioned runs agree within {args.tol}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
