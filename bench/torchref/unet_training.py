"""The U-Net training step of `diffuse train --dataset digits|fashion --conditional`, in PyTorch,
for the speed comparison of `diffuse bench --dataset NAME` (bench/speed_side_by_side.py).

The model is python/diffuse_torch/unet2d.py's UNet2D (diffusers' UNet2DModel for our family, the same
state_dict names and arithmetic as diffuse's nn/unet.hpp) with the image data set's defaults
(native/commands/image_defaults.cpp): digits 8x8, block_out_channels (32, 64); fashion 28x28,
(32, 64, 64); one resnet per down block, 8 groups, no attention, 10 classes plus the null class
(num_class_embeds 11). One step, top to bottom as diffuse's Trainer::step: a batch drawn with
replacement, t ~ U{0..T-1}, eps ~ N(0, I), labels replaced by the null class with probability 0.1,
x_t = sqrt(ab_t) x0 + sqrt(1 - ab_t) eps, L = mean (eps_hat - eps)^2, backward, global grad-norm
clip 1.0, Adam (0.9, 0.999, 1e-8) at the warm-up/cosine learning rate, EMA with warm-up.

The images are random (uniform in [-1, 1], as many as the data set's training split): a step's
arithmetic does not depend on the pixel values, and the data sets need not be read here.
"""
import dataclasses
import pathlib
import resource
import sys
import time

import torch
import torch.nn.functional as F

from . import schedule
from .training import TrainConfig, ema_decay, learning_rate

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "python"))
from diffuse_torch.unet2d import UNet2D, diffusers_unet_config  # noqa: E402


@dataclasses.dataclass(frozen=True)
class ImageWorkload:
    size: int        # H = W
    channels: tuple  # block_out_channels
    batch: int
    lr: float
    warmup: int
    steps: int       # the run length (the LR schedule's N)
    ema: float
    train_size: int  # images in the training split


# native/commands/image_defaults.cpp; training split sizes of core/data (digits: 1,797 images less
# the 297 held out; Fashion-MNIST: 60,000).
WORKLOADS = {
    "digits": ImageWorkload(8, (16, 32), 64, 2e-3, 100, 2000, 0.999, 1500),
    "fashion": ImageWorkload(28, (16, 32, 32), 64, 1e-3, 200, 6000, 0.999, 60000),
}
CLASSES = 10
LABEL_DROPOUT = 0.1


def make_model(w: ImageWorkload):
    config = diffusers_unet_config(list(w.channels), 1, 8, False, CLASSES + 1, w.size)
    return UNet2D(config)


class UNetTrainer:
    """Model, EMA copy, Adam, the training images and the run's generator; step() is one step."""

    def __init__(self, name, channels_last=False, seed=0):
        self.w = w = WORKLOADS[name]
        torch.manual_seed(seed)
        self.model = make_model(w)
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
        self.model = self.model.to(memory_format=self.memory_format)
        self.config = TrainConfig(steps=w.steps, batch=w.batch, lr=w.lr, warmup=w.warmup, ema=w.ema,
                                  seed=seed)
        sched = schedule.make_schedule()
        self.sqrt_ab = torch.as_tensor(sched["sqrt_alpha_bar"], dtype=torch.float32)
        self.sqrt_1mab = torch.as_tensor(sched["sqrt_one_minus_alpha_bar"], dtype=torch.float32)
        self.T = len(sched["beta"])
        self.gen = torch.Generator().manual_seed(seed)
        self.images = torch.rand(w.train_size, 1, w.size, w.size, generator=self.gen) * 2 - 1
        self.labels = torch.randint(0, CLASSES, (w.train_size,), generator=self.gen)
        self.params = list(self.model.parameters())
        self.ema_params = [p.detach().clone() for p in self.params]
        self.optimizer = torch.optim.Adam(self.params, lr=0.0, betas=(0.9, 0.999), eps=1e-8,
                                          foreach=True)
        self.k = 0

    def step(self):
        c, w = self.config, self.w
        B = w.batch
        rows = torch.randint(0, w.train_size, (B,), generator=self.gen)
        x0 = self.images[rows]  # (B, 1, S, S)
        t = torch.randint(0, self.T, (B,), generator=self.gen)
        eps = torch.randn(x0.shape, generator=self.gen)
        drop = torch.rand(B, generator=self.gen) < LABEL_DROPOUT
        labels = torch.where(drop, torch.full_like(self.labels[rows], CLASSES), self.labels[rows])
        x_t = self.sqrt_ab[t, None, None, None] * x0 + self.sqrt_1mab[t, None, None, None] * eps
        x_t = x_t.contiguous(memory_format=self.memory_format)
        loss = F.mse_loss(self.model(x_t, t, labels), eps)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if c.clip > 0:
            torch.nn.utils.clip_grad_norm_(self.params, c.clip)
        for group in self.optimizer.param_groups:
            group["lr"] = learning_rate(self.k, c)
        self.optimizer.step()
        self.k += 1
        decay = ema_decay(self.k, c)
        with torch.no_grad():
            torch._foreach_mul_(self.ema_params, decay)
            torch._foreach_add_(self.ema_params, self.params, alpha=1.0 - decay)
        return loss.detach()


def conv_flops_per_step(name):
    """Flops of every convolution's forward and backward in one step, from the shapes:
    2 B Cout Cin k^2 Ho Wo per product; the backward two products (dx and dW), conv_in's one."""
    w = WORKLOADS[name]
    model = make_model(w)
    total = 0
    shapes = {}

    def hook(module, inputs, output):
        shapes[module] = (inputs[0].shape, output.shape)

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    with torch.no_grad():
        model(torch.zeros(1, 1, w.size, w.size), torch.zeros(1, dtype=torch.long),
              torch.zeros(1, dtype=torch.long))
    for h in handles:
        h.remove()
    for m, (x_shape, y_shape) in shapes.items():
        k = m.kernel_size[0] * m.kernel_size[1]
        product = 2 * w.batch * m.out_channels * m.in_channels * k * y_shape[2] * y_shape[3]
        total += product * (2 if m is model.conv_in else 3)
    return total


def time_training(name, channels_last, warmup_steps, min_steps, budget):
    """Steps/s of the step above after warm-up: at least min_steps steps and `budget` seconds."""
    trainer = UNetTrainer(name, channels_last)
    for _ in range(warmup_steps):
        trainer.step()
    t0, cpu0 = time.perf_counter(), time.process_time()
    done = 0
    while done < min_steps or time.perf_counter() - t0 < budget:
        loss = trainer.step()
        done += 1
    float(loss)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    # CPU time of the process (all threads): on a host loaded past its cores, wall time includes
    # other processes' time slices and CPU time does not (diffuse bench reports both as well).
    return {"steps": done, "seconds": elapsed, "steps_per_second": done / elapsed,
            "cpu_seconds": cpu, "steps_per_cpu_second": done / cpu,
            "peak_rss_mib": peak_rss_mib()}


def peak_rss_mib():
    """VmHWM of this process (ru_maxrss would include the parent's peak: Linux keeps it across
    exec, and the side-by-side's parent has imported torch too)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
