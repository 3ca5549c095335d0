"""The C++ training step (core/diffusion/trainer.cpp, Trainer::step) against the PyTorch reference
step (bench/torchref/training.py, Trainer.step), replayed on the C++ trainer's own batches.

tests/tools/trainer_trace runs the core's Trainer on a small configuration (moons, 512 points, MLP
2 x 16, batch 32, T = 1000, 40 steps, warm-up 5, lr 1e-2 so that updates are not tiny, clip 0.5 so
that clipping triggers on most steps but not all; then the reference workload's shapes: gaussians8,
3 x 128, batch 256, lr 1e-3, 8 steps) and records, for every step, the batch (x0, t, eps), the loss, the gradient norm, the learning rate, the gradient before and after clipping and
the state after the step (raw weights, Adam's m and v, EMA weights). The reference step runs here
unchanged, in float64, on the model of bench/torchref/model.py; torch.randint / torch.randn are
replaced during the call by the recorded batch. Every step k is teacher-forced: the reference
starts from the C++ state after step k - 1 (weights, Adam moments and count, EMA weights and
count) and its result is compared with the C++ state after step k, in three ways:

  A. the whole reference step (its own autograd gradient, clip_grad_norm_, LR, Adam, EMA):
     loss, gradient before and after clipping, gradient norm, learning rate, raw and EMA weights;
  B. the reference step given the C++ clipped gradient (autograd's replaced by a hook, clipping
     off): Adam's m and v, the raw weights and the EMA weights, to a few float32 roundings;
  C. the clipping factor: the C++ clipped gradient against the C++ unclipped one times the factor
     torch's clip_grad_norm_ applies to a gradient of the norm the C++ reported.

Tolerances (u = 2^-24, float32's unit roundoff; the reference is float64, its own error ~1e-16):
  * Network (A): the C++ forward and backward are float32 with the same inputs up to one rounding,
    so each output and gradient element is within r (|ref| + rms(ref tensor)), r = 2^-12, the
    bound derived in tests/support/gradient_check.hpp and used by tests/reference/
    torch_mlp_check.py. The loss L = mean((out - eps)^2) then moves by at most
    mean(2 |out - eps| d + d^2), d being that output bound. The norm moves by at most
    ||r (|g| + rms)|| <= 2 r ||g||, plus 2^-21 ||g|| from the float32 blocks of the squared-norm
    kernel. Clipped gradient: s (tol_g + |g| tol_norm / norm) + 2u |s g|, s the clipping factor.
  * Learning rate: computed in double by both and rounded to float once by the C++: u lr (plus
    2^-50 lr for the two double evaluations).
  * Arithmetic (B), first-order bounds doubled: m = fma(b1, m0, c1 g) has 2 roundings, so
    2u (b1 |m0| + c1 |g|); v = fma(b2, v0, c2 g g) has 3: 3u (b2 v0 + c2 g^2). The step
    s = (m / bc1) / (sqrt(v / bc2) + eps) takes about 11 roundings (bias corrections, reciprocals,
    square root, the refined reciprocal's 2^-23), plus what m's and v's own errors do to it:
    |s| (11u + tol_v / 2v) + tol_m / bc1 / (sqrt(v_hat) + eps); the weight p - lr s is rounded
    once, u |p|, and lr itself is the float lr_k (u |lr s|). EMA d e0 + (1 - d) p in float32
    (in whichever order the compiler fuses it: both products may be rounded, then the sum), with d
    and 1 - d rounded to float: u (d |e0| + 2 (1 - d) |p| + |ema| + d |e0 - p|) + (1 - d) tol_p,
    tol_p covering the difference in p that the EMA averages in. The C++ uses the
    float constants beta1 = 0.9f etc.; the reference is given exactly those values (the trace
    records them as doubles), so the comparison is of formulas, not of constants.
  * Adam amplifies gradient differences (A): its step m_hat / (sqrt(v_hat) + eps) is about +-1 per
    element whatever the gradient's scale, and its derivative in g is
    ds/dg = (c1 / bc1 - s c2 g / (bc2 sqrt(v_hat))) / (sqrt(v_hat) + eps), large where v_hat is
    small. So the whole-step weights get lr |ds/dg| tol_gc on top of B's bound: the bound scales
    with lr and with the float32 error of the gradient. This is why B (the same step fed the C++
    gradient) exists: it checks Adam, the schedule and the EMA to a few roundings.
  * Clipping (C): the C++ scales by a float factor, so each element is within 2u |g s|. Leaving out
    torch's + 1e-6 changes the factor by 1e-6 / norm, 15u to 34u at the norms here (0.5 - 1.1):
    only this check can see it (A's gradient bound is ~1e-4 relative).
Each check reports its worst error as a multiple of its allowance and must stay <= 1; the correct
step stays below 1 everywhere (the network bounds of A by a factor of ~300, the rounding bounds of
A, B and C by ~1.1 - 3). A wrong formula -- the LR of update k + 1 or k - 1, the EMA decay one
update early or late, the clip factor without + 1e-6, clipping per tensor, a summed instead of a
mean loss, x_t with alpha_bar for sqrt(alpha_bar), Adam without bias correction -- exceeds its
allowance 17 times (the + 1e-6) to 10^5 times and more.
"""
import json
import math
import os
import subprocess
import sys

import numpy as np
import torch

from cli_support import enter_temp_dir

sys.path.insert(0, os.path.join(os.environ["DIFFUSE_SOURCE_DIR"], "bench"))
from torchref import training  # noqa: E402  (the reference step, LR schedule and EMA decay)
from torchref.model import MlpDenoiser, ModelConfig  # noqa: E402
from torchref.schedule import make_schedule  # noqa: E402

TOOL = os.path.join(os.environ["DIFFUSE_TOOLS_DIR"], "trainer_trace")
U = 2.0 ** -24  # float32 unit roundoff
R_NET = 2.0 ** -12  # float32 network vs float64: tests/support/gradient_check.hpp
CLIP = 0.5
enter_temp_dir()


def as_f64(values):
    return np.asarray(values, dtype=np.float64)


class Replay:
    """The reference Trainer in float64 over the trace's model, data, schedule and settings, with
    the C++ flat buffers mapped to its parameters by name."""

    def __init__(self, trace):
        config = trace["config"]
        m, s, tr = config["model"], config["schedule"], config["train"]
        assert (m["time_projection"], m["residual"], m["x_embed"], config["diffusion"]["prediction"]) == (False, False, 0, "eps"), m
        assert (tr["optimizer"], tr["lr_schedule"], tr["loss"], tr["loss_weighting"]) == \
            ("adam", "cosine", "eps", "none"), tr
        assert s["zero_terminal_snr"] is False, s
        T = s["timesteps"]
        self.model = MlpDenoiser(ModelConfig(data_dim=m["data_dim"], emb_dim=m["time_embed"],
                                             hidden=m["hidden"], layers=m["layers"],
                                             activation=m["activation"], timesteps=T)).double()
        self.config = training.TrainConfig(
            steps=tr["steps"], batch=tr["batch"], lr=tr["learning_rate"], warmup=tr["warmup_steps"],
            beta1=tr["beta1"], beta2=tr["beta2"], adam_eps=tr["adam_eps"], clip=tr["grad_clip"],
            ema=tr["ema_decay"], weight_decay=tr["weight_decay"])
        schedule = make_schedule(s["schedule"], T, s["beta_start"], s["beta_end"])
        data = as_f64(trace["data"]).reshape(trace["n"], trace["d"])
        self.trainer = training.Trainer(self.model, schedule, data, self.config)
        # float64 arithmetic on the same numbers: the tables as the reference rounds them (float32,
        # as the C++ gathers them), the model's embedding table likewise.
        self.trainer.sqrt_ab = self.trainer.sqrt_ab.double()
        self.trainer.sqrt_1mab = self.trainer.sqrt_1mab.double()
        self.names = [name for name, _ in self.model.named_parameters()]
        layout = {entry["name"]: entry for entry in trace["layout"]}
        assert sorted(layout) == sorted(self.names), (sorted(layout), self.names)
        self.slices = [layout[name] for name in self.names]
        self.total = trace["total"]
        self.gaps = np.ones(self.total, dtype=bool)
        for entry in self.slices:
            self.gaps[entry["offset"]:entry["offset"] + entry["size"]] = False

    def tensors(self, flat):
        flat = as_f64(flat)
        return [torch.from_numpy(flat[e["offset"]:e["offset"] + e["size"]].reshape(e["shape"]).copy())
                for e in self.slices]

    def flat(self, tensors):
        out = np.zeros(self.total)
        for e, x in zip(self.slices, tensors):
            out[e["offset"]:e["offset"] + e["size"]] = x.detach().numpy().reshape(-1)
        return out

    def per_tensor_rms(self, flat):
        """(P,) each element's tensor's root mean square (0 in the gaps)."""
        out = np.zeros(self.total)
        for e in self.slices:
            part = flat[e["offset"]:e["offset"] + e["size"]]
            out[e["offset"]:e["offset"] + e["size"]] = math.sqrt(float(np.mean(part ** 2)))
        return out

    def load(self, state):
        """The C++ state after some step: weights, Adam (m, v, count), EMA (weights, count)."""
        t = self.trainer
        assert state["adam_step"] == state["ema_updates"] == state["step"], state["step"]
        with torch.no_grad():
            for p, x in zip(t.params, self.tensors(state["params"])):
                p.copy_(x)
        t.ema_params = self.tensors(state["ema"])
        for p, m, v in zip(t.params, self.tensors(state["adam_m"]), self.tensors(state["adam_v"])):
            # torch 1.13's Adam keeps the count as a float tensor (bias corrections read .item())
            t.optimizer.state[p] = {"step": torch.tensor(float(state["adam_step"])),
                                    "exp_avg": m, "exp_avg_sq": v}
        t.k = state["step"]

    def step(self, batch, grad=None):
        """The reference Trainer.step on the recorded batch. With grad (P,): autograd's gradient is
        replaced by it and clipping is off. Returns what the step computed and its new state."""
        t, B = self.trainer, self.config.batch
        x0, steps, eps = batch
        t.data = torch.from_numpy(x0)  # rows 0..B-1 are the batch: randint returns arange(B)
        record, handles = {}, []
        draws = iter([torch.arange(B), torch.from_numpy(steps)])

        def randint(low, high, size, generator=None):
            assert low == 0 and tuple(size) == (B,) and generator is t.gen, (low, high, size)
            out = next(draws)
            assert int(out.max()) < high, (int(out.max()), high)
            return out

        def randn(*size, generator=None):
            assert tuple(size) == eps.shape and generator is t.gen, size
            return torch.from_numpy(eps)

        clip = torch.nn.utils.clip_grad_norm_

        def recording_clip(parameters, max_norm, *args, **kwargs):
            parameters = list(parameters)
            record["grad"] = self.flat([p.grad for p in parameters])
            norm = clip(parameters, max_norm, *args, **kwargs)
            record["grad_norm"] = float(norm)
            return norm

        handles.append(self.model.register_forward_hook(
            lambda module, inputs, output: record.__setitem__("output", output.detach().numpy().copy())))
        if grad is not None:
            for p, g in zip(t.params, self.tensors(grad)):
                handles.append(p.register_hook(lambda _, g=g: g))
        saved = torch.randint, torch.randn, torch.nn.utils.clip_grad_norm_, self.config.clip
        torch.randint, torch.randn, torch.nn.utils.clip_grad_norm_ = randint, randn, recording_clip
        if grad is not None:
            self.config.clip = 0.0
        try:
            loss = t.step()
        finally:
            torch.randint, torch.randn, torch.nn.utils.clip_grad_norm_, self.config.clip = saved
            for h in handles:
                h.remove()
        record["loss"] = float(loss)
        record["lr"] = t.optimizer.param_groups[0]["lr"]
        record["grad_clipped"] = self.flat([p.grad for p in t.params])
        record["params"] = self.flat(t.params)
        record["ema"] = self.flat(t.ema_params)
        state = [t.optimizer.state[p] for p in t.params]
        record["adam_m"] = self.flat([s["exp_avg"] for s in state])
        record["adam_v"] = self.flat([s["exp_avg_sq"] for s in state])
        record["adam_step"] = [s["step"].item() for s in state]
        return record


class Worst:
    """The largest error / allowance seen per check."""

    def __init__(self):
        self.ratio, self.where = {}, {}

    def check(self, name, got, want, allowed, k):
        got, want, allowed = as_f64(got), as_f64(want), as_f64(allowed)
        err = np.abs(got - want)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(err == 0, 0.0, err / allowed)  # inf where nothing was allowed
        i = int(np.argmax(ratio))
        r = float(ratio.reshape(-1)[i])
        if r > self.ratio.get(name, -1):
            self.ratio[name] = r
            self.where[name] = (f"step {k}" + (f", element {i}" if np.ndim(got) else "") +
                                f": C++ {got.reshape(-1)[i]!r}, reference {want.reshape(-1)[i]!r}, "
                                f"allowed +-{allowed.reshape(-1)[i]:.3g}")


def adam_bounds(replay, prev, g, ref, lr, k):
    """First-order float32 rounding bounds (doubled) of the C++ Adam and EMA update from the C++
    state prev with gradient g, around the float64 reference result ref (see the docstring)."""
    c = replay.config
    b1, b2, eps = c.beta1, c.beta2, c.adam_eps
    c1, c2 = 1.0 - b1, 1.0 - b2
    bc1, bc2 = 1.0 - b1 ** k, 1.0 - b2 ** k
    m0, v0, e0 = as_f64(prev["adam_m"]), as_f64(prev["adam_v"]), as_f64(prev["ema"])
    m, v, p, e = ref["adam_m"], ref["adam_v"], ref["params"], ref["ema"]
    tol_m = 2 * U * (b1 * np.abs(m0) + c1 * np.abs(g))
    tol_v = 3 * U * (b2 * v0 + c2 * g * g)
    root = np.sqrt(v / bc2)
    s = (m / bc1) / (root + eps)
    rel_v = np.divide(tol_v, 2 * v, out=np.zeros_like(v), where=v > 0)
    tol_s = np.abs(s) * (11 * U + rel_v) + tol_m / bc1 / (root + eps)
    tol_p = U * np.abs(p) + lr * tol_s + U * lr * np.abs(s)
    d = training.ema_decay(k, c)
    tol_e = U * (d * np.abs(e0) + 2 * (1 - d) * np.abs(p) + np.abs(e) + d * np.abs(e0 - p)) + (1 - d) * tol_p
    derivative = (c1 / bc1 + np.abs(s) * c2 * np.abs(g) / (bc2 * np.maximum(root, 1e-300))) / (root + eps)
    return {"m": 2 * tol_m, "v": 2 * tol_v, "p": 2 * tol_p, "ema": 2 * tol_e, "ds_dg": derivative, "d": d}


def clip_factor(norm, max_norm):
    """The factor torch's clip_grad_norm_ (whatever torch.nn.utils.clip_grad_norm_ is) applies to
    a gradient whose norm is `norm`: asked of it directly, on a one-element gradient."""
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    p.grad = torch.tensor([norm], dtype=torch.float64)
    torch.nn.utils.clip_grad_norm_([p], max_norm)
    return float(p.grad[0]) / norm


def check_draws(trace, replay):
    """The C++ draws have the reference's distributions (cheap sanity checks; a wrong
    distribution would not be a formula difference but would still bias a comparison)."""
    data = as_f64(trace["data"]).reshape(trace["n"], trace["d"])
    assert np.allclose(data.mean(0), 0, atol=1e-6) and np.allclose(data.std(0), 1, atol=1e-6), \
        "the training set is normalized to mean 0, population standard deviation 1"
    rows = {tuple(r) for r in data}
    T, eps_all = trace["config"]["schedule"]["timesteps"], []
    for s in trace["steps"]:
        x0 = as_f64(s["x0"]).reshape(-1, trace["d"])
        assert all(tuple(r) in rows for r in x0), f"step {s['step']}: x0 rows not from the training set"
        assert min(s["t"]) >= 0 and max(s["t"]) < T, s["t"]
        eps_all.extend(s["eps"])
    eps_all = np.asarray(eps_all)
    n = len(eps_all)
    assert abs(eps_all.mean()) < 5 / math.sqrt(n) and abs(eps_all.var() - 1) < 5 * math.sqrt(2 / n), \
        (eps_all.mean(), eps_all.var())
    # nn.Linear's init: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias.
    init = as_f64(trace["initial"]["params"])
    assert np.array_equal(init, as_f64(trace["initial"]["ema"])), "the EMA starts as the initial weights"
    for e in replay.slices:
        x = init[e["offset"]:e["offset"] + e["size"]]
        fan_in = next(f["shape"][1] for f in replay.slices if f["name"] == e["name"].rsplit(".", 1)[0] + ".weight")
        bound = 1 / math.sqrt(fan_in)
        assert np.abs(x).max() <= bound, (e["name"], np.abs(x).max(), bound)
        if x.size >= 256:
            assert abs(x.var() / (bound ** 2 / 3) - 1) < 5 * math.sqrt(0.8 / x.size), (e["name"], x.var())
    print(f"ok: draws: x0 rows from the normalized training set, t in 0..{T - 1}, eps mean "
          f"{eps_all.mean():+.3f} var {eps_all.var():.3f} over {n}, init within nn.Linear's bounds")


def load_trace(name, options):
    """Runs trainer_trace and reads NAME.json, with the arrays it stored in NAME.bin (float32)."""
    subprocess.run([TOOL, name, *options], check=True)
    trace = json.load(open(name + ".json"))
    blob = np.fromfile(name + ".bin", dtype="<f4").astype(np.float64)

    def resolve(entry):
        assert entry["offset"] + entry["size"] <= len(blob), entry
        return blob[entry["offset"]:entry["offset"] + entry["size"]]

    trace["data"] = resolve(trace["data"])
    for key in ("params", "ema"):
        trace["initial"][key] = resolve(trace["initial"][key])
    for step in trace["steps"]:
        for key in ("grad", "grad_clipped", "params", "adam_m", "adam_v", "ema"):
            step[key] = resolve(step[key])
    return trace


def compare(label, options, require_clipping):
    trace = load_trace(label.replace(" ", "_"), options)
    replay = Replay(trace)
    check_draws(trace, replay)
    c = replay.config
    worst = Worst()
    B, D = c.batch, trace["d"]
    previous = {"step": 0, "params": trace["initial"]["params"], "ema": trace["initial"]["ema"],
                "adam_m": [0.0] * replay.total, "adam_v": [0.0] * replay.total, "adam_step": 0,
                "ema_updates": 0}
    clipped_steps, resolvable = 0, 0
    for cpp in trace["steps"]:
        k = cpp["step"]
        assert k == previous["step"] + 1
        batch = (as_f64(cpp["x0"]).reshape(B, D), np.asarray(cpp["t"], dtype=np.int64),
                 as_f64(cpp["eps"]).reshape(B, D))
        for name in ("params", "grad", "grad_clipped", "adam_m", "adam_v", "ema"):
            assert not np.any(as_f64(cpp[name])[replay.gaps]), f"step {k}: {name} has values in the layout's gaps"

        # A. The whole reference step with its own gradient.
        replay.load(previous)
        ref = replay.step(batch)
        assert ref["adam_step"] == [k] * len(replay.names), ref["adam_step"]
        out = ref["output"]
        d_out = R_NET * (np.abs(out) + math.sqrt(float(np.mean(out ** 2))))
        worst.check("A loss", cpp["loss"], ref["loss"], np.mean(2 * np.abs(out - batch[2]) * d_out + d_out ** 2), k)
        g = ref["grad"]
        tol_g = R_NET * (np.abs(g) + replay.per_tensor_rms(g))
        worst.check("A gradient before clipping", cpp["grad"], g, tol_g, k)
        norm = ref["grad_norm"]
        tol_norm = (2 * R_NET + 2.0 ** -21) * norm
        worst.check("A gradient norm", cpp["grad_norm"], norm, tol_norm, k)
        worst.check("A learning rate", cpp["lr"], ref["lr"], (U + 2.0 ** -50) * ref["lr"], k)
        s = float(np.linalg.norm(ref["grad_clipped"]) / np.linalg.norm(g))
        gc = ref["grad_clipped"]
        tol_gc = s * (tol_g + np.abs(g) * tol_norm / norm) + 2 * U * np.abs(gc)
        worst.check("A gradient after clipping", cpp["grad_clipped"], gc, tol_gc, k)
        bounds = adam_bounds(replay, previous, gc, ref, ref["lr"], k)
        tol_p = bounds["p"] + ref["lr"] * bounds["ds_dg"] * tol_gc
        worst.check("A raw weights", cpp["params"], ref["params"], tol_p, k)
        worst.check("A EMA weights", cpp["ema"], ref["ema"], bounds["ema"] + (1 - bounds["d"]) * tol_p, k)

        # B. The reference step on the C++ clipped gradient: Adam, the LR and the EMA, tightly.
        replay.load(previous)
        g_cpp = as_f64(cpp["grad_clipped"])
        ref = replay.step(batch, grad=g_cpp)
        assert np.array_equal(ref["grad_clipped"], g_cpp)
        bounds = adam_bounds(replay, previous, g_cpp, ref, ref["lr"], k)
        worst.check("B Adam m", cpp["adam_m"], ref["adam_m"], bounds["m"], k)
        worst.check("B Adam v", cpp["adam_v"], ref["adam_v"], bounds["v"], k)
        worst.check("B raw weights", cpp["params"], ref["params"], bounds["p"], k)
        worst.check("B EMA weights", cpp["ema"], ref["ema"], bounds["ema"], k)

        # C. The clipping factor at the C++ norm.
        factor = clip_factor(cpp["grad_norm"], c.clip)
        g_unclipped = as_f64(cpp["grad"])
        want = g_unclipped * factor
        worst.check("C clipped = unclipped x torch's factor", cpp["grad_clipped"], want, 2 * U * np.abs(want), k)
        if factor < 1:
            clipped_steps += 1
            resolvable += (1e-6 / cpp["grad_norm"]) > 4 * 2 * U  # the + 1e-6 is visible here
        previous = cpp

    steps = len(trace["steps"])
    print(f"{label} ({' '.join(options)}): {steps} steps, clipping on {clipped_steps} of them; "
          "worst error as a multiple of its allowance:")
    for name in sorted(worst.ratio):
        print(f"  {name:42s} {worst.ratio[name]:9.3g}   ({worst.where[name]})")
    if require_clipping:
        assert 0 < clipped_steps < steps, f"clipping should act on some steps but not all: {clipped_steps}"
        assert resolvable > 0, "no clipped step where torch's + 1e-6 is larger than the rounding"
    bad = {name: r for name, r in worst.ratio.items() if not r <= 1}
    assert not bad, f"{label}: C++ and the PyTorch reference step differ: " + ", ".join(
        f"{name} ({r:.3g} x allowed; {worst.where[name]})" for name, r in sorted(bad.items()))
    print(f"ok: {label}: every step of the C++ trainer matches the PyTorch reference step")


# The small run of the docstring, then the reference workload's shapes (gaussians8, 3 x 128, batch
# 256, lr 1e-3, clip 1): other GEMM sizes and blockings, a few steps.
compare("small", [f"clip={CLIP}"], require_clipping=True)
compare("reference size", ["dataset=gaussians8", "n=2000", "hidden=128", "layers=3", "batch=256",
                           "steps=8", "warmup=2", "lr=0.001", "clip=1"], require_clipping=False)
