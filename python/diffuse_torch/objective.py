"""diffuse's training objective and schedules in torch, from a checkpoint's configuration, so a
model trained here samples correctly in diffuse (docs/reference-workload.md, "Training defaults";
the seeds' equations are cited by number).

- alpha_bar_t from config.schedule (diffusers_schedule.py, float64, as diffuse builds it);
- x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps, t ~ U{0..T-1} (seed 002 eq. 4);
- the target of config.diffusion.prediction: eps, x0, or v = sqrt(ab) eps - sqrt(1 - ab) x_0;
- the loss: the mean squared error in that space (L_simple), optionally min-SNR-gamma weighted;
- the learning rate: linear warm-up from 0, then cosine decay to 0 at the last update
  (diffusers' get_cosine_schedule_with_warmup), or constant;
- EMA decay after update k = 1, 2, ...: min(ema_decay, 1 - (1 + k)^(-2/3)).

Anything else in the configuration (flow matching, a loss in another space than the prediction)
raises UnsupportedConfig naming the field."""
import math

import torch

from .diffusers_schedule import schedule as schedule_tables
from .models import UnsupportedConfig

PREDICTIONS = ("eps", "x0", "v")


def check_trainable(config):
    """Raises UnsupportedConfig for what this objective does not implement."""
    diffusion, train = config["diffusion"], config["train"]
    if diffusion.get("objective", "diffusion") != "diffusion":
        raise UnsupportedConfig(f"diffusion.objective = {diffusion['objective']!r}: this trainer "
                                "implements diffusion only")
    if diffusion.get("prediction") not in PREDICTIONS:
        raise UnsupportedConfig(f"diffusion.prediction = {diffusion.get('prediction')!r}: allowed is eps | x0 | v")
    if train.get("loss", diffusion["prediction"]) != diffusion["prediction"]:
        raise UnsupportedConfig(f"train.loss = {train['loss']!r}: this trainer computes the loss in "
                                f"the prediction's own space ({diffusion['prediction']!r})")
    if train.get("loss_weighting", "none") not in ("none", "min_snr", "min-snr"):
        raise UnsupportedConfig(f"train.loss_weighting = {train['loss_weighting']!r}: allowed is none | min_snr")
    if train.get("lr_schedule", "cosine") not in ("cosine", "constant"):
        raise UnsupportedConfig(f"train.lr_schedule = {train['lr_schedule']!r}: allowed is cosine | constant")
    if train.get("optimizer", "adam") not in ("adam", "adamw"):
        raise UnsupportedConfig(f"train.optimizer = {train['optimizer']!r}: allowed is adam | adamw")


def alpha_bar(config):
    """(T,) float64 tensor of alpha_bar_t for config.schedule."""
    s = config["schedule"]
    table = schedule_tables(s["schedule"], s["timesteps"], s["beta_start"], s["beta_end"], s["zero_terminal_snr"])
    return torch.from_numpy(table["alpha_bar"])


def diffusion_loss(model, x0, t, noise, ab, config, labels=None):
    """The training loss of one batch: x0 (B, ...) normalized data, t (B,) int64 steps, noise like
    x0, ab the alpha_bar table (float64, on x0's device)."""
    a = ab[t].to(x0.dtype).reshape(-1, *([1] * (x0.dim() - 1)))
    sa, sn = a.sqrt(), (1 - a).sqrt()
    xt = sa * x0 + sn * noise
    prediction = config["diffusion"]["prediction"]
    target = {"eps": noise, "x0": x0, "v": sa * noise - sn * x0}[prediction]
    per_example = (model(xt, t, labels) - target).pow(2).flatten(1).mean(1)
    train = config["train"]
    if train.get("loss_weighting", "none") != "none":
        # min-SNR-gamma (Hang et al. 2023), in the prediction's space.
        snr = (a / (1 - a)).flatten()
        clipped = torch.clamp(snr, max=float(train["snr_gamma"]))
        weight = {"eps": clipped / snr, "x0": clipped, "v": clipped / (snr + 1)}[prediction]
        per_example = per_example * weight
    return per_example.mean()


def cosine_warmup_lr(base, warmup, steps, k):
    """The learning rate of update k = 0..steps-1: base k / warmup for k < warmup (so the first
    update has 0), then base (1 + cos(pi (k - warmup) / (steps - warmup))) / 2, reaching 0 after
    the last update: the endpoints of diffusers' get_cosine_schedule_with_warmup driven by LambdaLR."""
    if k < warmup:
        return base * k / warmup
    progress = (k - warmup) / max(1, steps - warmup)
    return base * 0.5 * (1.0 + math.cos(math.pi * progress))


def ema_warmup_decay(max_decay, k):
    """The EMA decay after update k = 1, 2, ...: min(max_decay, 1 - (1 + k)^(-2/3)) (diffusers'
    EMAModel warm-up with inv_gamma = 1, power = 2/3)."""
    return min(max_decay, 1.0 - (1.0 + k) ** (-2.0 / 3.0))


def learning_rate(config, k, steps):
    """The learning rate of update k = 0, 1, ... of `steps` updates under config.train."""
    train = config["train"]
    base, warmup = float(train["learning_rate"]), int(train["warmup_steps"])
    if train.get("lr_schedule", "cosine") == "constant":
        return base * k / warmup if k < warmup else base
    return cosine_warmup_lr(base, warmup, steps, k)


def ema_decay(config, k):
    """The EMA decay after update k = 1, 2, ... under config.train."""
    return ema_warmup_decay(float(config["train"]["ema_decay"]), k)
