"""A diffuse model configuration (a checkpoint's config.model) as a torch.nn.Module with diffuse's
PyTorch names: the MLP (mlp.py) or the U-Net (unet2d.py's UNet2D, diffusers' UNet2DModel for
diffuse's family, whose names diffuse's U-Net uses). A configuration the modules cannot express
raises UnsupportedConfig naming the field, its value and what is allowed."""
import torch

from .mlp import ACTIVATIONS, MLP_KEYS, MlpDenoiser
from .unet2d import UNet2D, diffusers_unet_config

# config.model of a U-Net checkpoint: exactly these keys (core/nn/unet_config.hpp).
UNET_KEYS = ("in_channels", "sample_size", "block_out_channels", "layers_per_block", "norm_num_groups",
             "add_attention", "classes")


class UnsupportedConfig(ValueError):
    """A configuration field this package cannot express: the message names it."""


def _exact_keys(model, keys, kind):
    given = set(model) - {"kind"}
    for key in sorted(given - set(keys)):
        raise UnsupportedConfig(f"model.{key} is not a field of a {kind} model (fields: {', '.join(keys)})")
    for key in keys:
        if key not in given:
            raise UnsupportedConfig(f"model.{key} is missing (a {kind} model has {', '.join(keys)})")


def _whole(model, key, low):
    value = model[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise UnsupportedConfig(f"model.{key} = {value!r}: must be an integer >= {low}")


class UNetDenoiser(UNet2D):
    """UNet2D under a diffuse configuration: forward(x, t, labels=None) with labels None meaning
    the null class K of a conditional model, as in diffuse (and the MLP here)."""

    def __init__(self, model):
        self.diffuse_config = dict(model)
        classes = model["classes"]
        super().__init__(diffusers_unet_config(model["block_out_channels"], model["layers_per_block"],
                                               model["norm_num_groups"], model["add_attention"],
                                               classes + 1 if classes else None, model["sample_size"]))

    def forward(self, x, t, labels=None):
        if self.class_embedding is not None and labels is None:
            labels = torch.full((x.shape[0],), self.diffuse_config["classes"], dtype=torch.int64,
                                device=x.device)
        return super().forward(x, t, labels)


def model_from_config(config):
    """A freshly initialized module for a diffuse configuration: the whole checkpoint config (with
    "model") or config.model itself."""
    model = config.get("model", config)
    kind = model.get("kind")
    if kind == "mlp":
        _exact_keys(model, MLP_KEYS, "mlp")
        for key, low in (("data_dim", 1), ("time_embed", 4), ("x_embed", 0), ("hidden", 1), ("layers", 1),
                         ("classes", 0)):
            _whole(model, key, low)
        if model["time_embed"] % 2 or model["x_embed"] % 2:
            raise UnsupportedConfig("model.time_embed and model.x_embed must be even")
        if model["activation"] not in ACTIVATIONS:
            raise UnsupportedConfig(f"model.activation = {model['activation']!r}: allowed is "
                                    f"{' | '.join(ACTIVATIONS)}")
        return MlpDenoiser(model)
    if kind == "unet":
        _exact_keys(model, UNET_KEYS, "unet")
        if model["in_channels"] != 1:
            raise UnsupportedConfig(f"model.in_channels = {model['in_channels']!r}: this package's "
                                    "U-Net takes 1-channel images only")
        try:
            return UNetDenoiser(model)
        except ValueError as e:  # unet2d.py names the diffusers key, which is ours too
            raise UnsupportedConfig(f"model: {e}") from None
    raise UnsupportedConfig(f"model.kind = {kind!r}: allowed is mlp | unet")


def sample_shape(config):
    """The shape of one sample: (D,) for the MLP, (C, H, W) for the U-Net."""
    model = config.get("model", config)
    if model["kind"] == "mlp":
        return (model["data_dim"],)
    return (model["in_channels"], model["sample_size"], model["sample_size"])
