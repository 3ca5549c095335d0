"""diffuse's models in PyTorch, both ways (docs/torch.md). Standard library, NumPy and torch only.

    from diffuse_torch import load, save_checkpoint
    model, config = load("M.safetensors")            # a diffuse checkpoint or export -> nn.Module
    eps = model(x, t)                                  # what `diffuse predict` computes
    save_checkpoint("M2.safetensors", model.state_dict(), config, step=...)   # -> diffuse

Modules: mlp (the MLP denoiser), unet2d (diffusers' UNet2DModel for diffuse's family), models
(config -> module), checkpoint (files), objective (diffuse's training loss and schedules),
safetensors_io, diffusers_schedule. `python3 -m diffuse_torch --help` converts files."""
from .checkpoint import load, pt_to_safetensors, read_config, save_checkpoint, save_for_import
from .models import UnsupportedConfig, model_from_config

__all__ = ["load", "pt_to_safetensors", "read_config", "save_checkpoint", "save_for_import", "UnsupportedConfig",
           "model_from_config"]
