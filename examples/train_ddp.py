"""Train a diffuse model with PyTorch's DistributedDataParallel, then bring it back to diffuse.

    torchrun --standalone --nproc_per_node 2 examples/train_ddp.py \
        --init M.safetensors --data moons.csv --steps 2000 --out M2.safetensors

--init is a diffuse checkpoint or export (from `diffuse train`, `diffuse export` or the page's
download): its configuration says the model, the noise schedule, the prediction type, the data's
normalization and the training settings (learning rate, warm-up, Adam, gradient clipping, EMA,
loss weighting), and training continues from its EMA weights (--fresh: PyTorch's initialization).
--data is a CSV file of the samples in data units: one row per sample, D values (the model's
sample size: 2 for the 2D sets, 64 for the 8x8 digits), optionally one more column of class labels
(diffuse data --dataset moons --out moons.csv writes one; so is data/digits.csv.gz). --out is a
sampling-only diffuse checkpoint (the EMA weights) that `diffuse sample` and the page read;
`--weights-out W.safetensors --config-out C.json` also writes the pair `diffuse import --from
torch` takes.

Every process (one per torchrun rank) draws its own batches and timesteps from a generator seeded
with (--seed, rank), with replacement as diffuse does; DDP averages the gradients, so every rank
holds the same weights after every update, and rank 0 alone writes (atomically). The global batch
is config.train.batch (or --batch), split evenly over the ranks. Backend: NCCL with one GPU per
rank when CUDA is available, otherwise gloo on CPU. On a cluster change only torchrun's arguments
(--nnodes, --node_rank, --rdzv_endpoint ...; docs/torch.md). Without torchrun it runs as one process.
"""
import argparse
import copy
import csv
import gzip
import os
import sys
import time

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from diffuse_torch import UnsupportedConfig, model_from_config, read_config  # noqa: E402
from diffuse_torch.checkpoint import load, save_checkpoint, save_for_import  # noqa: E402
from diffuse_torch.models import sample_shape  # noqa: E402
from diffuse_torch.objective import alpha_bar, check_trainable, diffusion_loss, ema_decay, learning_rate  # noqa: E402
from diffuse_torch.safetensors_io import write_safetensors  # noqa: E402


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--init", required=True, help="a diffuse checkpoint or export: the configuration (and weights)")
    p.add_argument("--data", required=True, help="CSV (or .csv.gz) of samples in data units, optional label column")
    p.add_argument("--out", required=True, help="the diffuse checkpoint written by rank 0 (.safetensors)")
    p.add_argument("--steps", type=int, required=True, help="optimizer updates")
    p.add_argument("--batch", type=int, help="global batch (default: the checkpoint's train.batch)")
    p.add_argument("--lr", type=float, help="peak learning rate (default: the checkpoint's)")
    p.add_argument("--warmup", type=int, help="warm-up updates (default: the checkpoint's)")
    p.add_argument("--seed", type=int, default=0, help="batches, timesteps and noise (rank r uses seed, r)")
    p.add_argument("--fresh", action="store_true", help="start from PyTorch's initialization, not --init's weights")
    p.add_argument("--log-every", type=int, default=0,
                   help="print the mean loss of every N updates (default: a fifth of --steps)")
    p.add_argument("--weights-out", help="also write the EMA state_dict for diffuse import --from torch")
    p.add_argument("--config-out", help="... and its configuration JSON (with --weights-out)")
    p.add_argument("--rank-weights", help="a folder: every rank writes its raw weights there (rank{r}.safetensors)")
    return p.parse_args()


def read_samples(path, D, classes):
    """(N, D) float64 samples and (N,) int64 labels or None; a first line that is not numbers is a
    header. A column count other than D or D + 1 is an error naming the file."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", newline="") as f:
        rows = [r for r in csv.reader(f) if r]
    try:
        [float(v) for v in rows[0]]
    except ValueError:
        rows = rows[1:]
    data = np.array(rows, dtype=np.float64)
    if data.ndim != 2 or data.shape[1] not in (D, D + 1):
        raise SystemExit(f"train_ddp: {path}: {data.shape[-1] if data.ndim == 2 else '?'} columns, the model "
                         f"needs {D} (or {D + 1} with a label column)")
    labels = data[:, D].astype(np.int64) if data.shape[1] == D + 1 and classes else None
    if classes and labels is None:
        raise SystemExit(f"train_ddp: {path}: the model has {classes} classes but the file no label column")
    return data[:, :D], labels


def normalize(x, normalization):
    """Data units to the model's space (core/data/normalization.hpp): levels L map to [-1, 1] by
    2 x / (L - 1) - 1, otherwise (x - mean) / std with the checkpoint's statistics."""
    if "levels" in normalization:
        half = (normalization["levels"] - 1) / 2.0
        return (x - half) / half
    return (x - np.array(normalization["mean"])) / np.array(normalization["std"])


def setup():
    """(rank, world size, device); a single process when not started by torchrun."""
    if "RANK" not in os.environ:
        return 0, 1, torch.device("cpu")
    cuda = torch.cuda.is_available()
    dist.init_process_group("nccl" if cuda else "gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    if cuda:
        local = int(os.environ.get("LOCAL_RANK", 0))
        torch.cuda.set_device(local)
        return rank, world, torch.device("cuda", local)
    return rank, world, torch.device("cpu")


def mean_over_ranks(value, world, device):
    if world == 1:
        return value
    t = torch.tensor([value], dtype=torch.float64, device=device)
    dist.all_reduce(t)
    return t.item() / world


def main():
    args = parse_args()
    rank, world, device = setup()
    config = read_config(args.init)
    torch.manual_seed(args.seed)  # --fresh: the same initialization on every rank (DDP also broadcasts it)
    try:
        check_trainable(config)
        model = model_from_config(config) if args.fresh else load(args.init)[0]
    except UnsupportedConfig as e:
        raise SystemExit(f"train_ddp: {args.init}: {e}")
    train = config["train"]
    for key, value in (("batch", args.batch), ("learning_rate", args.lr), ("warmup_steps", args.warmup)):
        if value is not None:
            train[key] = value
    train["steps"] = args.steps
    if train["batch"] % world:
        raise SystemExit(f"train_ddp: the batch {train['batch']} does not split over {world} processes")
    per_rank = train["batch"] // world

    model = model.to(device)
    ema = copy.deepcopy(model).requires_grad_(False)
    net = DistributedDataParallel(model) if world > 1 else model

    shape = sample_shape(config)
    D = int(np.prod(shape))
    classes = config["model"]["classes"]
    samples, labels = read_samples(args.data, D, classes)
    x_all = torch.from_numpy(normalize(samples, config["data"]["normalization"])).float().reshape(-1, *shape).to(device)
    y_all = torch.from_numpy(labels).to(device) if labels is not None else None
    ab = alpha_bar(config).to(device)
    T = ab.shape[0]

    beta1, beta2 = float(train["beta1"]), float(train["beta2"])
    adam = torch.optim.AdamW if train.get("optimizer") == "adamw" else torch.optim.Adam
    optimizer = adam(net.parameters(), lr=0.0, betas=(beta1, beta2), eps=float(train["adam_eps"]),
                     weight_decay=float(train["weight_decay"]))
    gen = torch.Generator(device=device).manual_seed(args.seed * 1_000_003 + rank)  # this rank's own draws
    if rank == 0:
        print(f"train_ddp: {world} process(es) on {device} ({dist.get_backend() if world > 1 else 'no backend'}), "
              f"{args.steps} updates of {train['batch']} ({per_rank} per process), {len(x_all)} samples, "
              f"{config['model']['kind']} predicting {config['diffusion']['prediction']}, T = {T}", flush=True)
    log_every = args.log_every or max(1, args.steps // 5)
    started, window = time.time(), []
    for k in range(args.steps):
        idx = torch.randint(0, len(x_all), (per_rank,), generator=gen, device=device)
        t = torch.randint(0, T, (per_rank,), generator=gen, device=device)
        noise = torch.randn((per_rank, *shape), generator=gen, device=device)
        y = None
        if y_all is not None:
            y = y_all[idx].clone()
            drop = torch.rand(per_rank, generator=gen, device=device) < float(train["label_dropout"])
            y[drop] = classes  # the null class: classifier-free guidance
        loss = diffusion_loss(net, x_all[idx], t, noise, ab, config, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()  # DDP averages the gradients over the ranks here
        if float(train["grad_clip"]) > 0:
            torch.nn.utils.clip_grad_norm_(net.parameters(), float(train["grad_clip"]))
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(config, k, args.steps)
        optimizer.step()
        decay = ema_decay(config, k + 1)
        with torch.no_grad():
            for e, p in zip(ema.parameters(), model.parameters()):
                e.mul_(decay).add_(p, alpha=1 - decay)
        window.append(loss.item())
        if (k + 1) % log_every == 0 or k + 1 == args.steps:
            mean = mean_over_ranks(sum(window) / len(window), world, device)
            if rank == 0:
                print(f"step {k + 1} loss {mean:.6f}", flush=True)
            window = []

    if args.rank_weights:
        os.makedirs(args.rank_weights, exist_ok=True)
        write_safetensors(os.path.join(args.rank_weights, f"rank{rank}.safetensors"),
                          {n: p.detach().cpu().numpy() for n, p in model.state_dict().items()})
    if rank == 0:
        step = args.steps + (0 if args.fresh else int(config.get("step", 0)))
        train["steps"] = step  # the record's planned total, so that info reads "step N of N"
        save_checkpoint(args.out, ema.state_dict(), config, step=step)
        if args.weights_out:
            save_for_import(args.weights_out, args.config_out or args.weights_out + ".json",
                            ema.state_dict(), config, step=step)
        print(f"train_ddp: wrote {args.out} (step {step}) in {time.time() - started:.1f} s", flush=True)
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
