"""A small, independent PyTorch stand-in for diffusers' `UNet2DModel`, restricted to our family.

diffusers cannot be installed here, so this module plays its part in the tests: `UNet2D(config)`
takes the very `unet/config.json` dict that `UNet2DModel(...).save_config` writes, its
`state_dict()` has exactly `UNet2DModel`'s names and shapes for that config, and
`forward(sample, timesteps, class_labels)` computes the same float32 numbers. It was written from
a reading of diffusers (v0.40.0: models/unets/unet_2d.py, unet_2d_blocks.py, resnet.py,
downsampling.py, upsampling.py, embeddings.py, attention_processor.py, configuration_utils.py);
no code was copied. docs/diffusers-unet.md states the arithmetic in words for the C++ side.

The family (anything else raises ValueError):
  down_block_types all "DownBlock2D", up_block_types all "UpBlock2D", mid_block_type
  "UNetMidBlock2D" with one attention layer (add_attention true) or none (false), single-head
  attention (attention_head_dim = block_out_channels[-1], or null, which diffusers resolves to the
  same), in_channels = out_channels = 1, norm_eps 1e-5, act_fn "silu", time_embedding_type
  "positional", flip_sin_to_cos true, freq_shift 0, center_input_sample false,
  downsample_padding 1, downsample_type / upsample_type "conv", mid_block_scale_factor 1,
  resnet_time_scale_shift "default", class_embed_type null, num_class_embeds null or an int,
  dropout 0, time_embedding_dim null (= 4 * block_out_channels[0]), attn_norm_num_groups null
  (= norm_num_groups), sample_size an int divisible by 2 ** (len(block_out_channels) - 1).

Also here: the config.json / scheduler_config.json / model_index.json dicts diffusers would write
(`diffusers_unet_config`, `diffusers_scheduler_config`, `model_index`, `config_json_text`).
"""
import json
import math

import torch
import torch.nn.functional as F
from torch import nn

# The released diffusers these files were read from (its main branch says "0.40.0.dev0"). Only
# informational to diffusers' loaders: any string is accepted there.
DIFFUSERS_VERSION = "0.40.0"

# UNet2DModel.__init__'s keyword defaults: what diffusers uses for a key missing from config.json.
UNET2D_DEFAULTS = {
    "sample_size": None,
    "in_channels": 3,
    "out_channels": 3,
    "center_input_sample": False,
    "time_embedding_type": "positional",
    "time_embedding_dim": None,
    "freq_shift": 0,
    "flip_sin_to_cos": True,
    "down_block_types": ["DownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D"],
    "mid_block_type": "UNetMidBlock2D",
    "up_block_types": ["AttnUpBlock2D", "AttnUpBlock2D", "AttnUpBlock2D", "UpBlock2D"],
    "block_out_channels": [224, 448, 672, 896],
    "layers_per_block": 2,
    "mid_block_scale_factor": 1,
    "downsample_padding": 1,
    "downsample_type": "conv",
    "upsample_type": "conv",
    "dropout": 0.0,
    "act_fn": "silu",
    "attention_head_dim": 8,
    "norm_num_groups": 32,
    "attn_norm_num_groups": None,
    "norm_eps": 1e-5,
    "resnet_time_scale_shift": "default",
    "add_attention": True,
    "class_embed_type": None,
    "num_class_embeds": None,
    "num_train_timesteps": None,
}

# Keys fixed by our family, with the one value each may take.
_FIXED = {
    "in_channels": 1,
    "out_channels": 1,
    "center_input_sample": False,
    "time_embedding_type": "positional",
    "time_embedding_dim": None,
    "freq_shift": 0,
    "flip_sin_to_cos": True,
    "mid_block_type": "UNetMidBlock2D",
    "mid_block_scale_factor": 1,
    "downsample_padding": 1,
    "downsample_type": "conv",
    "upsample_type": "conv",
    "dropout": 0.0,
    "act_fn": "silu",
    "attn_norm_num_groups": None,
    "norm_eps": 1e-5,
    "resnet_time_scale_shift": "default",
    "class_embed_type": None,
}


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _same_value(got, want):
    """JSON equality: 1 == 1.0 (numbers), but true != 1 and null only equals null."""
    if want is None or got is None:
        return got is want
    if isinstance(want, bool) or isinstance(got, bool):
        return type(got) is type(want) and got == want
    if isinstance(want, (int, float)):
        return isinstance(got, (int, float)) and got == want
    return type(got) is type(want) and got == want


def resolve_config(config):
    """The effective UNet2DModel arguments for a config.json dict, checked against our family.

    Like diffusers' ConfigMixin.extract_init_dict: private keys ("_class_name",
    "_diffusers_version", "_name_or_path", ...) are not arguments, keys listed in
    "_use_default_values" and missing keys take UNet2DModel's defaults. Unlike diffusers (which
    only warns), an unknown key is an error here."""
    config = dict(config)
    cls = config.get("_class_name", "UNet2DModel")
    if cls != "UNet2DModel":
        raise ValueError(f"_class_name is {cls!r}, not 'UNet2DModel'")
    for key in config.pop("_use_default_values", None) or []:
        config.pop(key, None)
    public = {k: v for k, v in config.items() if not k.startswith("_")}
    unknown = sorted(set(public) - set(UNET2D_DEFAULTS))
    if unknown:
        raise ValueError(f"config keys UNet2DModel does not take: {unknown}")
    cfg = {**UNET2D_DEFAULTS, **public}

    for key, want in _FIXED.items():
        # out_channels may be twice in_channels: a learned variance (variance_type learned_range).
        if key == "out_channels" and _same_value(cfg[key], 2 * cfg["in_channels"]):
            continue
        if not _same_value(cfg[key], want):
            raise ValueError(f"{key} = {cfg[key]!r}: our family requires {want!r}")

    channels = cfg["block_out_channels"]
    if not isinstance(channels, (list, tuple)) or not channels or not all(_is_int(c) and c > 0 for c in channels):
        raise ValueError(f"block_out_channels = {channels!r}: a non-empty list of positive ints")
    channels = list(channels)
    n = len(channels)
    if list(cfg["down_block_types"]) != ["DownBlock2D"] * n:
        raise ValueError(f"down_block_types = {cfg['down_block_types']!r}: {n} x 'DownBlock2D' required")
    if list(cfg["up_block_types"]) != ["UpBlock2D"] * n:
        raise ValueError(f"up_block_types = {cfg['up_block_types']!r}: {n} x 'UpBlock2D' required")
    if not _is_int(cfg["layers_per_block"]) or cfg["layers_per_block"] < 1:
        raise ValueError(f"layers_per_block = {cfg['layers_per_block']!r}: a positive int")
    groups = cfg["norm_num_groups"]
    if not _is_int(groups) or groups < 1:
        raise ValueError(f"norm_num_groups = {groups!r}: a positive int")
    if not isinstance(cfg["add_attention"], bool):
        raise ValueError(f"add_attention = {cfg['add_attention']!r}: true or false")
    head_dim = cfg["attention_head_dim"]
    if head_dim is not None and head_dim != channels[-1]:
        raise ValueError(f"attention_head_dim = {head_dim!r}: single-head attention needs "
                         f"{channels[-1]} (block_out_channels[-1]) or null")
    k = cfg["num_class_embeds"]
    if k is not None and (not _is_int(k) or k < 1):
        raise ValueError(f"num_class_embeds = {k!r}: null or a positive int")
    size = cfg["sample_size"]
    if not _is_int(size) or size < 1 or size % (2 ** (n - 1)):
        raise ValueError(f"sample_size = {size!r}: an int divisible by {2 ** (n - 1)}")
    t = cfg["num_train_timesteps"]  # only read by time_embedding_type "learned"
    if t is not None and not _is_int(t):
        raise ValueError(f"num_train_timesteps = {t!r}: null or an int")
    # Every GroupNorm's channel count must be a multiple of its group count.
    for c in set(channels) | {c for _, c, _ in up_resnet_channels(channels, cfg["layers_per_block"])}:
        if c % groups:
            raise ValueError(f"norm_num_groups = {groups} does not divide a GroupNorm of {c} channels")
    cfg["block_out_channels"] = channels
    return cfg


def up_resnet_channels(channels, layers_per_block):
    """(up block index, resnet input channels, resnet output channels) for every up-block resnet, in
    forward order, from a stack of the skip tensors' channel counts (pushed in the down path and
    popped in the up path, as the forward pass does)."""
    skips = [channels[0]]  # conv_in's output
    for i, c in enumerate(channels):
        skips += [c] * layers_per_block  # every down resnet's output
        if i < len(channels) - 1:
            skips.append(c)  # the downsampler's output
    out, current = [], channels[-1]
    for u, c in enumerate(reversed(channels)):
        for _ in range(layers_per_block + 1):
            out.append((u, current + skips.pop(), c))
            current = c
    assert not skips
    return out


# ---------------------------------------------------------------------------------------------
# Building blocks. Attribute names are diffusers' (they are the state_dict keys).


def sinusoidal_timestep_features(timesteps, dim):
    """diffusers' Timesteps(dim, flip_sin_to_cos=True, downscale_freq_shift=0): for a (B,) tensor,
    (B, dim) float32 = [cos(t w_0..w_{h-1}), sin(t w_0..w_{h-1})] (+ a zero column if dim is odd),
    h = dim // 2, w_i = exp(-ln(10000) * i / h), everything in float32."""
    half = dim // 2
    i = torch.arange(half, dtype=torch.float32, device=timesteps.device)
    w = torch.exp(i * -math.log(10000.0) / half)  # float32 products, float32 division by h
    angle = timesteps.float().unsqueeze(1) * w.unsqueeze(0)
    feats = torch.cat((torch.cos(angle), torch.sin(angle)), dim=1)
    if dim % 2:
        feats = torch.cat((feats, feats.new_zeros(feats.shape[0], 1)), dim=1)
    return feats


class TimestepEmbedding(nn.Module):
    """linear_2(silu(linear_1(features)))."""

    def __init__(self, in_features, width):
        super().__init__()
        self.linear_1 = nn.Linear(in_features, width)
        self.linear_2 = nn.Linear(width, width)

    def forward(self, feats):
        return self.linear_2(F.silu(self.linear_1(feats)))


class ResnetBlock2D(nn.Module):
    """GroupNorm-SiLU-conv3x3, + Linear(SiLU(temb)) per channel, GroupNorm-SiLU-conv3x3, plus a
    shortcut (1x1 conv when the channel count changes), all divided by output_scale_factor."""

    def __init__(self, c_in, c_out, temb_width, groups, eps, output_scale_factor=1.0):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, c_in, eps=eps)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.time_emb_proj = nn.Linear(temb_width, c_out)
        self.norm2 = nn.GroupNorm(groups, c_out, eps=eps)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1)
        self.conv_shortcut = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else None
        self.output_scale_factor = output_scale_factor

    def forward(self, x, temb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.time_emb_proj(F.silu(temb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))  # (dropout 0 sits between the SiLU and conv2)
        shortcut = x if self.conv_shortcut is None else self.conv_shortcut(x)
        return (shortcut + h) / self.output_scale_factor


class Downsample2D(nn.Module):
    """A 3x3 convolution with stride 2 and zero padding 1."""

    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, stride=2, padding=1)

    def forward(self, x):
        return self.conv(x)


class Upsample2D(nn.Module):
    """Nearest-neighbour x2 (each pixel to a 2x2 square), then a 3x3 convolution, padding 1."""

    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x):
        b, c, h, w = x.shape
        x = x[:, :, :, None, :, None].expand(b, c, h, 2, w, 2).reshape(b, c, 2 * h, 2 * w)
        return self.conv(x)


class SpatialSelfAttention(nn.Module):
    """diffusers' Attention as UNetMidBlock2D builds it (_from_deprecated_attn_block, one head of
    width C, bias everywhere, GroupNorm in front, residual, / rescale_output_factor)."""

    def __init__(self, channels, groups, eps, rescale_output_factor=1.0):
        super().__init__()
        self.group_norm = nn.GroupNorm(groups, channels, eps=eps)
        self.to_q = nn.Linear(channels, channels)
        self.to_k = nn.Linear(channels, channels)
        self.to_v = nn.Linear(channels, channels)
        self.to_out = nn.ModuleList([nn.Linear(channels, channels), nn.Dropout(0.0)])
        self.rescale_output_factor = rescale_output_factor

    def forward(self, x):
        b, c, h, w = x.shape
        tokens = self.group_norm(x).reshape(b, c, h * w).transpose(1, 2)  # (B, HW, C)
        q, k, v = self.to_q(tokens), self.to_k(tokens), self.to_v(tokens)
        scores = torch.matmul(q, k.transpose(1, 2)) * (1.0 / math.sqrt(c))  # (B, HW query, HW key)
        # upcast_softmax: half / bfloat16 scores go through a float32 softmax (a no-op in float32).
        wide = scores.float() if scores.element_size() < 4 else scores
        weights = torch.softmax(wide, dim=-1).to(q.dtype)
        mixed = self.to_out[1](self.to_out[0](torch.matmul(weights, v)))  # (B, HW, C)
        mixed = mixed.transpose(1, 2).reshape(b, c, h, w)
        return (mixed + x) / self.rescale_output_factor


class DownBlock2D(nn.Module):
    def __init__(self, c_in, c_out, layers, temb_width, groups, eps, downsample):
        super().__init__()
        self.resnets = nn.ModuleList(
            [ResnetBlock2D(c_in if j == 0 else c_out, c_out, temb_width, groups, eps) for j in range(layers)])
        self.downsamplers = nn.ModuleList([Downsample2D(c_out)]) if downsample else None

    def forward(self, x, temb, skips):
        """Runs the block, appending every resnet output and the downsampler's output to skips."""
        for resnet in self.resnets:
            x = resnet(x, temb)
            skips.append(x)
        if self.downsamplers is not None:
            x = self.downsamplers[0](x)
            skips.append(x)
        return x


class UpBlock2D(nn.Module):
    def __init__(self, in_out_channels, temb_width, groups, eps, upsample):
        super().__init__()
        self.resnets = nn.ModuleList(
            [ResnetBlock2D(ci, co, temb_width, groups, eps) for ci, co in in_out_channels])
        self.upsamplers = nn.ModuleList([Upsample2D(in_out_channels[-1][1])]) if upsample else None

    def forward(self, x, temb, skips):
        """Runs the block, taking one skip tensor off the end of skips for every resnet."""
        for resnet in self.resnets:
            x = resnet(torch.cat((x, skips.pop()), dim=1), temb)  # current features first
        if self.upsamplers is not None:
            x = self.upsamplers[0](x)
        return x


class UNetMidBlock2D(nn.Module):
    def __init__(self, channels, temb_width, groups, eps, add_attention, scale):
        super().__init__()
        # diffusers keeps [None] here without attention: no parameters either way. (Registered
        # before resnets, as diffusers does, so state_dict() lists them in the same order.)
        self.attentions = nn.ModuleList(
            [SpatialSelfAttention(channels, groups, eps, scale)] if add_attention else [])
        self.resnets = nn.ModuleList(
            [ResnetBlock2D(channels, channels, temb_width, groups, eps, scale) for _ in range(2)])

    def forward(self, x, temb):
        x = self.resnets[0](x, temb)
        for attention in self.attentions:
            x = attention(x)
        return self.resnets[1](x, temb)


# ---------------------------------------------------------------------------------------------


class UNet2D(nn.Module):
    """UNet2DModel for our family; `config` is the unet/config.json dict."""

    def __init__(self, config):
        super().__init__()
        cfg = resolve_config(config)
        self.config = cfg
        channels, layers = cfg["block_out_channels"], cfg["layers_per_block"]
        groups, eps = cfg["norm_num_groups"], cfg["norm_eps"]
        n = len(channels)
        temb_width = 4 * channels[0]

        self.conv_in = nn.Conv2d(cfg["in_channels"], channels[0], 3, padding=1)
        self.time_embedding = TimestepEmbedding(channels[0], temb_width)
        self.class_embedding = (nn.Embedding(cfg["num_class_embeds"], temb_width)
                                if cfg["num_class_embeds"] is not None else None)

        self.down_blocks = nn.ModuleList()
        for i, c in enumerate(channels):
            c_prev = channels[i - 1] if i > 0 else channels[0]
            self.down_blocks.append(DownBlock2D(c_prev, c, layers, temb_width, groups, eps, downsample=i < n - 1))

        # diffusers registers up_blocks before mid_block (state_dict() order: down, up, mid).
        per_block = [[] for _ in range(n)]
        for u, c_in, c_out in up_resnet_channels(channels, layers):
            per_block[u].append((c_in, c_out))
        self.up_blocks = nn.ModuleList(
            [UpBlock2D(per_block[u], temb_width, groups, eps, upsample=u < n - 1) for u in range(n)])

        self.mid_block = UNetMidBlock2D(channels[-1], temb_width, groups, eps, cfg["add_attention"],
                                        float(cfg["mid_block_scale_factor"]))

        self.conv_norm_out = nn.GroupNorm(groups, channels[0], eps=eps)
        self.conv_out = nn.Conv2d(channels[0], cfg["out_channels"], 3, padding=1)

    def time_and_class_embedding(self, timesteps, batch, class_labels=None, device=None):
        """The (B, 4 * block_out_channels[0]) embedding every resnet receives."""
        # diffusers: a Python number becomes a one-element int64 tensor (so 12.7 -> 12), a 0-d
        # tensor gets a batch axis; then t * ones(B) in t's own dtype broadcasts (1,) to (B,).
        if not torch.is_tensor(timesteps):
            timesteps = torch.tensor([timesteps], dtype=torch.long, device=device)
        elif timesteps.dim() == 0:
            timesteps = timesteps[None]
        timesteps = timesteps * torch.ones(batch, dtype=timesteps.dtype, device=timesteps.device)
        emb = self.time_embedding(sinusoidal_timestep_features(timesteps, self.config["block_out_channels"][0])
                                  .to(self.conv_in.weight.dtype))
        if self.class_embedding is not None:
            if class_labels is None:
                raise ValueError("class_labels should be provided when doing class conditioning")
            emb = emb + self.class_embedding(class_labels).to(emb.dtype)
        elif class_labels is not None:
            raise ValueError("class_embedding needs to be initialized in order to use class conditioning")
        return emb

    def forward(self, sample, timesteps, class_labels=None):
        n = len(self.config["block_out_channels"])
        if sample.shape[-1] % 2 ** (n - 1) or sample.shape[-2] % 2 ** (n - 1):
            raise ValueError(f"sample height and width must be multiples of {2 ** (n - 1)}")
        emb = self.time_and_class_embedding(timesteps, sample.shape[0], class_labels, sample.device)

        x = self.conv_in(sample)
        skips = [x]
        for block in self.down_blocks:
            x = block(x, emb, skips)
        x = self.mid_block(x, emb)
        for block in self.up_blocks:
            x = block(x, emb, skips)
        assert not skips
        return self.conv_out(F.silu(self.conv_norm_out(x)))


def rename_deprecated_attention_keys(state_dict):
    """Checkpoints from before diffusers 0.14 name the mid-block attention's linears query / key /
    value / proj_attn; diffusers renames them on load (ModelMixin._fix_state_dict_keys_on_load).
    Returns a new dict with today's names (to_q / to_k / to_v / to_out.0)."""
    renames = {"query": "to_q", "key": "to_k", "value": "to_v", "proj_attn": "to_out.0"}
    out = {}
    for name, tensor in state_dict.items():
        parts = name.split(".")
        if (len(parts) == 5 and parts[:2] == ["mid_block", "attentions"]
                and parts[3] in renames):
            name = ".".join(parts[:3] + [renames[parts[3]], parts[4]])
        out[name] = tensor
    return out


# ---------------------------------------------------------------------------------------------
# The JSON files diffusers writes (json.dumps(..., indent=2, sort_keys=True) + "\n").


def diffusers_unet_config(block_out_channels, layers_per_block, norm_num_groups, add_attention,
                          num_class_embeds, sample_size, *, diffusers_version=DIFFUSERS_VERSION):
    """unet/config.json exactly as UNet2DModel(...).save_config writes it when constructed with
    these arguments plus our family's fixed ones (in/out_channels 1, DownBlock2D / UpBlock2D,
    attention_head_dim = block_out_channels[-1]). Every __init__ argument appears, defaults
    included; tuples become lists."""
    channels = list(block_out_channels)
    n = len(channels)
    config = dict(UNET2D_DEFAULTS)
    config.update(_FIXED)
    config.update({
        "sample_size": sample_size,
        "down_block_types": ["DownBlock2D"] * n,
        "up_block_types": ["UpBlock2D"] * n,
        "block_out_channels": channels,
        "layers_per_block": layers_per_block,
        "attention_head_dim": channels[-1],
        "norm_num_groups": norm_num_groups,
        "add_attention": bool(add_attention),
        "num_class_embeds": num_class_embeds,
        "_class_name": "UNet2DModel",
        "_diffusers_version": diffusers_version,
    })
    resolve_config(config)  # raises if outside the family
    return dict(sorted(config.items()))


# Per scheduler class, its __init__ keyword defaults (= the scheduler_config.json keys).
SCHEDULER_DEFAULTS = {
    "DDPMScheduler": {
        "num_train_timesteps": 1000,
        "beta_start": 0.0001,
        "beta_end": 0.02,
        "beta_schedule": "linear",
        "trained_betas": None,
        "variance_type": "fixed_small",
        "clip_sample": True,
        "prediction_type": "epsilon",
        "thresholding": False,
        "dynamic_thresholding_ratio": 0.995,
        "clip_sample_range": 1.0,
        "sample_max_value": 1.0,
        "timestep_spacing": "leading",
        "steps_offset": 0,
        "rescale_betas_zero_snr": False,
    },
    "DDIMScheduler": {
        "num_train_timesteps": 1000,
        "beta_start": 0.0001,
        "beta_end": 0.02,
        "beta_schedule": "linear",
        "trained_betas": None,
        "clip_sample": True,
        "set_alpha_to_one": True,
        "steps_offset": 0,
        "prediction_type": "epsilon",
        "thresholding": False,
        "dynamic_thresholding_ratio": 0.995,
        "clip_sample_range": 1.0,
        "sample_max_value": 1.0,
        "timestep_spacing": "leading",
        "rescale_betas_zero_snr": False,
    },
}

# The values we support (diffusers has a few more: DDPM's "laplace" schedule and
# "fixed_small_log" / "fixed_large_log" / "learned" / "learned_range" variances).
_SCHEDULER_CHOICES = {
    "beta_schedule": ("linear", "scaled_linear", "squaredcos_cap_v2", "sigmoid"),
    "prediction_type": ("epsilon", "sample", "v_prediction"),
    "variance_type": ("fixed_small", "fixed_large"),
    "timestep_spacing": ("leading", "trailing", "linspace"),
}


def diffusers_scheduler_config(class_name="DDPMScheduler", *, diffusers_version=DIFFUSERS_VERSION, **options):
    """scheduler/scheduler_config.json as DDPMScheduler(**options).save_config (or DDIMScheduler)
    writes it: every __init__ argument, defaults included."""
    if class_name not in SCHEDULER_DEFAULTS:
        raise ValueError(f"scheduler class {class_name!r}: one of {sorted(SCHEDULER_DEFAULTS)}")
    defaults = SCHEDULER_DEFAULTS[class_name]
    unknown = sorted(set(options) - set(defaults))
    if unknown:
        raise ValueError(f"{class_name} does not take {unknown}")
    config = {**defaults, **options}
    for key, allowed in _SCHEDULER_CHOICES.items():
        if key in config and config[key] not in allowed:
            raise ValueError(f"{key} = {config[key]!r}: one of {allowed}")
    if class_name == "DDIMScheduler" and config["beta_schedule"] == "sigmoid":
        raise ValueError("DDIMScheduler has no 'sigmoid' beta_schedule")
    if config["trained_betas"] is not None:
        config["trained_betas"] = [float(b) for b in config["trained_betas"]]
        if len(config["trained_betas"]) != config["num_train_timesteps"]:
            raise ValueError("trained_betas must have num_train_timesteps entries")
    config.update({"_class_name": class_name, "_diffusers_version": diffusers_version})
    return dict(sorted(config.items()))


def model_index(scheduler_class="DDPMScheduler", *, diffusers_version=DIFFUSERS_VERSION):
    """model_index.json of a DDPMPipeline(unet=UNet2DModel, scheduler=...) saved by diffusers."""
    if scheduler_class not in SCHEDULER_DEFAULTS:
        raise ValueError(f"scheduler class {scheduler_class!r}: one of {sorted(SCHEDULER_DEFAULTS)}")
    return {
        "_class_name": "DDPMPipeline",
        "_diffusers_version": diffusers_version,
        "scheduler": ["diffusers", scheduler_class],
        "unet": ["diffusers", "UNet2DModel"],
    }


def config_json_text(config):
    """The file's bytes as diffusers writes them (ConfigMixin.to_json_string)."""
    return json.dumps(config, indent=2, sort_keys=True) + "\n"
