"""Training per the spec's defaults (docs/reference-workload.md, 'Training defaults'):
L_simple (seed 002 section 7, seed 004 'The Complete Training Algorithm'), Adam, LR warm-up then
cosine decay, global grad-norm clipping, EMA with warm-up, a fixed normalized training set
sampled with replacement, t ~ U{0..T-1}.
"""
import dataclasses
import pathlib
import sys
import time

import torch

from .model import MlpDenoiser

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "python"))
from diffuse_torch.objective import cosine_warmup_lr, ema_warmup_decay  # noqa: E402


@dataclasses.dataclass
class TrainConfig:
    steps: int = 10_000
    batch: int = 256
    lr: float = 1e-3
    warmup: int = 100
    beta1: float = 0.9
    beta2: float = 0.999
    adam_eps: float = 1e-8
    weight_decay: float = 0.0   # > 0: AdamW (decoupled)
    clip: float = 1.0           # global L2 norm; 0 disables
    ema: float = 0.999
    seed: int = 0

    def validate(self):
        for name in ("steps", "batch"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name} {getattr(self, name)}: must be >= 1")
        if not 0 <= self.warmup < self.steps:
            raise ValueError(f"--warmup {self.warmup}: must be in 0..steps-1 ({self.steps - 1})")
        if not 0 <= self.ema < 1:
            raise ValueError(f"--ema {self.ema}: must be in [0, 1)")


def learning_rate(k, config):
    """LR of update k = 0..steps-1 (0-based): linear warm-up from 0, lr k / warmup for k < warmup,
    then cosine decay lr (1 + cos(pi (k - warmup) / (steps - warmup))) / 2, which reaches 0 at
    k = steps, right after the last update. These are the endpoints of diffusers'
    get_cosine_schedule_with_warmup driven by LambdaLR (scheduler.step() after each
    optimizer.step()): the first update has LR 0, the peak lr is at k = warmup."""
    return cosine_warmup_lr(config.lr, config.warmup, config.steps, k)


def ema_decay(k, config):
    """EMA decay after update k = 1, 2, ... (1-based): min(ema, 1 - (1 + k)^(-2/3)), the spec's
    formula (diffusers' EMAModel warm-up with inv_gamma = 1, power = 2/3)."""
    return ema_warmup_decay(config.ema, k)


class Trainer:
    """Holds the model, its EMA copy, Adam, the fixed normalized training set and the RNG.
    step() is one training step, top to bottom: batch, forward, loss, backward, clip, Adam, EMA."""

    def __init__(self, model: MlpDenoiser, schedule, train_norm, config: TrainConfig):
        config.validate()
        self.model, self.config = model, config
        self.data = torch.as_tensor(train_norm, dtype=torch.float32)  # (N, D), normalized
        self.sqrt_ab = torch.as_tensor(schedule["sqrt_alpha_bar"], dtype=torch.float32)  # (T,)
        self.sqrt_1mab = torch.as_tensor(schedule["sqrt_one_minus_alpha_bar"],
                                         dtype=torch.float32)  # (T,)
        self.T = len(schedule["beta"])
        self.params = list(model.parameters())
        # EMA weights start as a copy of the initial weights (spec).
        self.ema_params = [p.detach().clone() for p in self.params]
        # foreach=True: the multi-tensor update (same math, a few % faster on CPU than the
        # per-tensor loop that is the CPU default in torch 1.13).
        opt = torch.optim.AdamW if config.weight_decay > 0 else torch.optim.Adam
        self.optimizer = opt(self.params, lr=0.0, betas=(config.beta1, config.beta2),
                             eps=config.adam_eps, weight_decay=config.weight_decay, foreach=True)
        # Batches, timesteps and noise come from the run's own generator, separate from the
        # global one that initialized the weights.
        self.gen = torch.Generator().manual_seed(config.seed)
        self.k = 0  # updates done

    def step(self):
        c, B = self.config, self.config.batch
        N, D = self.data.shape
        # batch drawn uniformly with replacement from the fixed training set
        x0 = self.data[torch.randint(0, N, (B,), generator=self.gen)]  # (B, D)
        t = torch.randint(0, self.T, (B,), generator=self.gen)  # (B,) t ~ U{0..T-1}
        eps = torch.randn(B, D, generator=self.gen)  # (B, D)
        # q(x_t | x_0): x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps (seed 002 sec. 6)
        x_t = self.sqrt_ab[t, None] * x0 + self.sqrt_1mab[t, None] * eps
        # L_simple: mean over batch and dimensions of (eps - eps_hat)^2
        loss = torch.nn.functional.mse_loss(self.model(x_t, t), eps)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if c.clip > 0:
            # scales all gradients by clip / (norm + 1e-6) when the global L2 norm exceeds clip
            torch.nn.utils.clip_grad_norm_(self.params, c.clip)
        for group in self.optimizer.param_groups:
            group["lr"] = learning_rate(self.k, c)
        self.optimizer.step()
        self.k += 1
        decay = ema_decay(self.k, c)
        with torch.no_grad():  # ema = decay * ema + (1 - decay) * p
            torch._foreach_mul_(self.ema_params, decay)
            torch._foreach_add_(self.ema_params, self.params, alpha=1.0 - decay)
        return loss.detach()


def train(trainer, on_step=None, log_every=100):
    """Runs trainer.config.steps steps. on_step(k, trainer) is called after each update k
    (1-based), e.g. to save checkpoints. Returns the loss history (mean per log_every steps)
    and the wall time of the steps alone."""
    history, acc, n_acc, elapsed = [], 0.0, 0, 0.0
    for _ in range(trainer.config.steps - trainer.k):
        t0 = time.perf_counter()
        loss = trainer.step()
        elapsed += time.perf_counter() - t0
        acc += float(loss)
        n_acc += 1
        if trainer.k % log_every == 0 or trainer.k == trainer.config.steps:
            history.append({"step": trainer.k, "loss": acc / n_acc})
            acc, n_acc = 0.0, 0
        if on_step is not None:
            on_step(trainer.k, trainer)
    return history, elapsed
