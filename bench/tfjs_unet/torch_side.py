"""The PyTorch side of check_against_torch.mjs: one case for the TF.js U-Net to reproduce.

Builds python/diffuse_torch/unet2d.py's UNet2D (the stand-in for diffusers' UNet2DModel) for the
benchmark's config, class-conditional, no attention; draws weights (PyTorch's initialization, then
GroupNorm scales and shifts and the class embedding moved off their defaults so that every gradient
path is exercised), a batch (x_t, t, labels with the null class among them, eps); and writes as JSON:
  - the weights (float32 values, PyTorch shapes, diffusers' names) and the batch,
  - the reference, computed in float64 from those float32 numbers: the output eps_hat, the loss
    mean (eps_hat - eps)^2 and the loss's gradient for every parameter,
  - the same in float32 by PyTorch (an independent float32 implementation: how far a correct float32
    evaluation lands from the float64 one, for the tolerances; see check_against_torch.mjs),
  - three training updates from those weights on three given batches, in float64, as
    core/diffusion/trainer.cpp does them: global-norm clip to 1.0 (scale by 1 / (|g| + 1e-6) when
    below 1), Adam (0.9, 0.999, 1e-8) at the warm-up + cosine learning rate of update k
    (bench/torchref/training.py's learning_rate), EMA with warm-up (its ema_decay): the weights and
    the EMA weights after each update (and each update's gradient, for the tolerances).

  /usr/bin/python3 bench/tfjs_unet/torch_side.py --out case.json [--channels 16,32] [--layers 1]
      [--groups 8] [--batch 8] [--seed 0]
"""
import argparse
import json
import pathlib
import sys

import torch
import torch.nn.functional as F

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "python"))
sys.path.insert(0, str(ROOT / "bench"))
from diffuse_torch.unet2d import UNet2D, diffusers_unet_config  # noqa: E402
from torchref.training import TrainConfig, ema_decay, learning_rate  # noqa: E402

torch.set_num_threads(1)
CLASSES, SIZE, T = 10, 8, 1000
# The training check's run: a warm-up of 2 updates and a 10-update cosine, so that its three
# updates see lr 0, lr / 2 and the peak lr (the digits' 2e-3).
TRAIN = TrainConfig(steps=10, batch=8, lr=2e-3, warmup=2, ema=0.999, seed=0)
BETA1, BETA2, ADAM_EPS, CLIP = 0.9, 0.999, 1e-8, 1.0


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def make_model(channels, layers, groups, seed):
    torch.manual_seed(seed)
    config = diffusers_unet_config(channels, layers, groups, False, CLASSES + 1, SIZE)
    model = UNet2D(config)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name:  # GroupNorm: 1 and 0 at init; move them so their gradients matter
                p.add_(0.2 * torch.randn_like(p))
    return config, model


def draw_batch(gen, batch):
    x = torch.randn(batch, 1, SIZE, SIZE, generator=gen, dtype=torch.float64).float()
    t = torch.randint(0, T, (batch,), generator=gen)
    labels = torch.randint(0, CLASSES + 1, (batch,), generator=gen)
    labels[0] = CLASSES  # the null class is always there
    eps = torch.randn(batch, 1, SIZE, SIZE, generator=gen, dtype=torch.float64).float()
    return {"x": x, "t": t, "labels": labels, "eps": eps}


def loss_and_grads(model, batch, dtype):
    model = model.to(dtype)
    model.zero_grad(set_to_none=True)
    out = model(batch["x"].to(dtype), batch["t"], batch["labels"])
    loss = F.mse_loss(out, batch["eps"].to(dtype))
    loss.backward()
    return out.detach(), loss.detach(), {n: p.grad.detach().clone() for n, p in model.named_parameters()}


def train_updates(model, batches):
    """Three updates in float64 as Trainer::step does; the weights and EMA after each."""
    model = model.double()
    params = dict(model.named_parameters())
    m = {n: torch.zeros_like(p) for n, p in params.items()}
    v = {n: torch.zeros_like(p) for n, p in params.items()}
    ema = {n: p.detach().clone() for n, p in params.items()}
    after = []
    for k, batch in enumerate(batches):
        _, _, grads = loss_and_grads(model, batch, torch.float64)
        norm = torch.sqrt(sum((g * g).sum() for g in grads.values())).item()
        factor = CLIP / (norm + 1e-6)
        lr = learning_rate(k, TRAIN)
        with torch.no_grad():
            for n, p in params.items():
                g = grads[n] * factor if factor < 1 else grads[n]
                m[n] = BETA1 * m[n] + (1 - BETA1) * g
                v[n] = BETA2 * v[n] + (1 - BETA2) * g * g
                m_hat = m[n] / (1 - BETA1 ** (k + 1))
                v_hat = v[n] / (1 - BETA2 ** (k + 1))
                p -= lr * m_hat / (torch.sqrt(v_hat) + ADAM_EPS)
                d = ema_decay(k + 1, TRAIN)
                ema[n] = d * ema[n] + (1 - d) * p
        after.append({"lr": lr, "grad_norm": norm,
                      "grads": {n: flat(grads[n]) for n in params},  # before clipping
                      "params": {n: flat(p) for n, p in params.items()},
                      "ema": {n: flat(e) for n, e in ema.items()}})
    return after


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--channels", default="16,32")
    ap.add_argument("--layers", type=int, default=1)
    ap.add_argument("--groups", type=int, default=8)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    channels = [int(c) for c in a.channels.split(",")]
    config, model = make_model(channels, a.layers, a.groups, a.seed)
    weights = {n: {"shape": list(p.shape), "values": flat(p)} for n, p in model.state_dict().items()}
    gen = torch.Generator().manual_seed(a.seed + 1)
    batch = draw_batch(gen, a.batch)
    out64, loss64, grads64 = loss_and_grads(model, batch, torch.float64)
    out32, loss32, grads32 = loss_and_grads(model, batch, torch.float32)
    batches = [draw_batch(gen, TRAIN.batch) for _ in range(3)]
    as_json = lambda b: {"x": flat(b["x"]), "t": b["t"].tolist(), "labels": b["labels"].tolist(), "eps": flat(b["eps"])}
    case = {
        "model": {"channels": channels, "layersPerBlock": a.layers, "groups": a.groups, "sampleSize": SIZE,
                  "inChannels": 1, "classes": CLASSES},
        "diffusers_config": config,
        "order": list(weights),
        "weights": weights,
        "batch": as_json(batch),
        "float64": {"out": flat(out64), "loss": loss64.item(), "grads": {n: flat(g) for n, g in grads64.items()}},
        "float32": {"out": flat(out32), "loss": loss32.item(), "grads": {n: flat(g) for n, g in grads32.items()}},
        "train": {"config": {"batch": TRAIN.batch, "lr": TRAIN.lr, "warmup": TRAIN.warmup, "steps": TRAIN.steps,
                             "ema": TRAIN.ema, "clip": CLIP, "beta1": BETA1, "beta2": BETA2, "eps": ADAM_EPS,
                             "labelDropout": 0.0, "timesteps": T, "betaStart": 1e-4, "betaEnd": 0.02},
                  "batches": [as_json(b) for b in batches],
                  "after": train_updates(model, batches)},
    }
    pathlib.Path(a.out).write_text(json.dumps(case))


if __name__ == "__main__":
    main()
