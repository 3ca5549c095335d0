"""A checkpoint is one safetensors file:
  - the EMA weights under the plain PyTorch names (`layers.0.weight`, ..., `output.bias`), so
    `model.load_state_dict` of those tensors gives the sampling weights directly;
  - the raw (optimized) weights under the same names prefixed `raw.`;
  - metadata (all strings): format, model_config and train_config (JSON), dataset, step,
    normalization_mean and normalization_std (JSON lists, per dimension: x_norm = (x - mean) / std),
    schedule (JSON).
"""
import dataclasses
import json

import numpy as np
import torch

from . import safetensors_io
from .model import MlpDenoiser, ModelConfig

FORMAT = "diffuse-torchref/1"
RAW_PREFIX = "raw."


def save_checkpoint(path, model, ema_params, train_config, schedule_config, mean, std, step,
                    dataset):
    names = [name for name, _ in model.named_parameters()]
    tensors = {}
    for name, ema in zip(names, ema_params):
        tensors[name] = ema.detach().numpy().astype(np.float32)
    for name, p in model.named_parameters():
        tensors[RAW_PREFIX + name] = p.detach().numpy().astype(np.float32)
    metadata = {
        "format": FORMAT,
        "model_config": json.dumps(dataclasses.asdict(model.config)),
        "train_config": json.dumps(dataclasses.asdict(train_config)),
        "schedule": json.dumps(schedule_config),
        "dataset": dataset,
        "step": str(step),
        "normalization_mean": json.dumps([float(v) for v in mean]),
        "normalization_std": json.dumps([float(v) for v in std]),
        "weights": "plain names: EMA weights; raw.*: raw weights",
    }
    safetensors_io.save(path, tensors, metadata)


def load_checkpoint(path, weights="ema"):
    """-> (model with the chosen weights, metadata dict with parsed mean/std/configs)."""
    tensors, meta = safetensors_io.load(path)
    if meta.get("format") != FORMAT:
        raise ValueError(f"{path}: not a {FORMAT} checkpoint (format {meta.get('format')!r})")
    if weights not in ("ema", "raw"):
        raise ValueError(f"--weights {weights!r}: allowed ema, raw")
    model = MlpDenoiser(ModelConfig(**json.loads(meta["model_config"])))
    prefix = RAW_PREFIX if weights == "raw" else ""
    state = {name: torch.from_numpy(tensors[prefix + name]) for name, _ in model.named_parameters()}
    model.load_state_dict(state, strict=True)
    model.eval()
    info = dict(meta)
    info["mean"] = np.array(json.loads(meta["normalization_mean"]))
    info["std"] = np.array(json.loads(meta["normalization_std"]))
    info["schedule"] = json.loads(meta["schedule"])
    info["train_config"] = json.loads(meta["train_config"])
    return model, info
