"""diffuse checkpoints (core/io/checkpoint.hpp) to torch modules and back.

A checkpoint is a safetensors file whose metadata holds "format": "diffuse-checkpoint",
"format_version": "2" and "config" (JSON: schedule, diffusion, model, train, data, step); its
tensors without a "training." prefix are the EMA weights under the modules' state_dict names.
An export (`diffuse export`) is the same without training state. Written here: sampling-only
checkpoints (like an export), and the weights + config pair `diffuse import --from torch` reads."""
import json

import numpy as np
import torch

from .models import model_from_config
from .safetensors_io import read_safetensors, write_atomic, write_safetensors

FORMAT = "diffuse-checkpoint"
FORMAT_VERSION = "2"
# What DistributedDataParallel (and torch.compile) put in front of every state_dict key.
WRAPPER_PREFIXES = ("module.", "_orig_mod.")


def read_config(path):
    """The configuration dict of a diffuse checkpoint or export."""
    return _config_of(read_safetensors(path)[0], path)


def _config_of(metadata, path):
    if metadata.get("format") != FORMAT:
        raise ValueError(f"{path}: not a diffuse checkpoint (metadata 'format' is {metadata.get('format')!r})")
    if metadata.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{path}: checkpoint format_version {metadata.get('format_version')!r}: this package "
                         f"reads {FORMAT_VERSION} (load and save it with diffuse 0.2 first)")
    return json.loads(metadata["config"])


def load(path, dtype=torch.float32, raw=False):
    """(module, config) of a checkpoint or export: the EMA weights (raw=True: the raw weights of a
    training checkpoint) loaded with load_state_dict(strict=True)."""
    metadata, tensors = read_safetensors(path)
    config = _config_of(metadata, path)
    prefix = "training.params." if raw else ""
    state = {name[len(prefix):]: torch.from_numpy(np.array(array))
             for name, array in tensors.items()
             if (name.startswith(prefix) if raw else not name.startswith("training."))}
    model = model_from_config(config).to(dtype)
    model.load_state_dict(state, strict=True)
    return model, config


def plain_state_dict(state_dict):
    """{name: float32 ndarray} with DistributedDataParallel's "module." (or torch.compile's
    "_orig_mod.") prefix removed, so a wrapped model's state_dict saves under diffuse's names."""
    out = {}
    for name, tensor in state_dict.items():
        for prefix in WRAPPER_PREFIXES:
            if name.startswith(prefix):
                name = name[len(prefix):]
        out[name] = tensor.detach().to("cpu", torch.float32).numpy()
    return out


def checked_state_dict(state_dict, config):
    """plain_state_dict, checked against the configuration's module (names, shapes, finite)."""
    arrays = plain_state_dict(state_dict)
    model_from_config(config).load_state_dict({k: torch.from_numpy(v) for k, v in arrays.items()}, strict=True)
    for name, array in arrays.items():
        if not np.isfinite(array).all():
            raise ValueError(f"tensor '{name}' holds non-finite values")
    return arrays


def sampling_config(config, step=None):
    """The configuration of a sampling-only checkpoint: no optimizer counters, the step given."""
    out = {k: v for k, v in config.items() if k not in ("adam_step", "ema_updates")}
    if step is not None:
        out["step"] = int(step)
    return out


def save_checkpoint(path, state_dict, config, step=None):
    """Writes a sampling-only diffuse checkpoint (as `diffuse export` does) of a module's
    state_dict under `config` (the checkpoint config it was loaded with, or one of the same
    shape); `step` replaces config["step"]. Atomic: a temporary file renamed into place."""
    arrays = checked_state_dict(state_dict, config)
    metadata = {"format": FORMAT, "format_version": FORMAT_VERSION,
                "config": json.dumps(sampling_config(config, step), separators=(",", ":"))}
    write_safetensors(path, arrays, metadata)


def save_for_import(weights_path, config_path, state_dict, config, step=None):
    """The pair `diffuse import --from torch WEIGHTS --config CONFIG --out M.safetensors` reads: a
    plain safetensors file of the state_dict (metadata {"format": "pt"}) and the config JSON."""
    arrays = checked_state_dict(state_dict, config)
    write_safetensors(weights_path, arrays, {"format": "pt"})
    write_atomic(config_path, json.dumps(sampling_config(config, step), indent=2) + "\n")


def pt_to_safetensors(pt_path, out_path):
    """A torch.save'd state_dict (.pt/.pth; a dict of tensors, or {"state_dict": ...} / {"model": ...})
    as a plain safetensors file: the C++ CLI reads no pickles. Only tensors are loaded
    (weights_only where this torch offers it)."""
    try:
        obj = torch.load(pt_path, map_location="cpu", weights_only=True)
    except TypeError:  # torch < 1.13 has no weights_only
        obj = torch.load(pt_path, map_location="cpu")
    for key in ("state_dict", "model", "ema"):
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
            break
    if not isinstance(obj, dict) or not all(torch.is_tensor(v) for v in obj.values()):
        raise ValueError(f"{pt_path}: not a state_dict (a dict of tensors)")
    write_safetensors(out_path, plain_state_dict(obj), {"format": "pt"})
