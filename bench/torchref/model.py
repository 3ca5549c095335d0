"""The MLP denoiser of the reference workload (docs/reference-workload.md, 'Model'), the PyTorch
twin of core/nn/mlp_denoiser.hpp, with the same parameter names:

  time_proj.{weight,bias}   [E, E], [E]       only with --time-proj
  layers.{l}.{weight,bias}  [H, D + E], [H] for l = 0; [H, H], [H] after
  norms.{l}.{weight,bias}   [H], [H]           only with --residual, l = 1..layers-1
  output.{weight,bias}      [D, H], [D]

Shapes: B batch, D data dimension (2), E time-embedding width (32), H hidden width (128),
T diffusion steps. The default init is PyTorch's nn.Linear init, which is the spec's: weight and
bias uniform on (-1/sqrt(in), 1/sqrt(in)) (kaiming_uniform with a = sqrt(5) gives that bound).
The optional input embedding (`x_embed`) of the spec is not implemented here (off by default).
"""
import dataclasses
import math

import numpy as np
import torch
from torch import nn

ACTIVATIONS = {"silu": nn.SiLU, "relu": nn.ReLU, "gelu": nn.GELU}


@dataclasses.dataclass
class ModelConfig:
    data_dim: int = 2        # D
    emb_dim: int = 32        # E
    hidden: int = 128        # H
    layers: int = 3          # hidden Linear layers
    activation: str = "silu"
    time_proj: bool = False  # learned Linear(E, E) + SiLU after the sinusoidal embedding
    residual: bool = False   # h + act(Linear(LayerNorm(h))) after the first layer
    timesteps: int = 1000    # T: the embedding table covers t = 0..T-1

    def validate(self):
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"--activation {self.activation!r}: allowed {', '.join(ACTIVATIONS)}")
        if self.emb_dim < 4 or self.emb_dim % 2:
            raise ValueError(f"--emb-dim {self.emb_dim}: must be even and >= 4")
        if self.layers < 1 or self.hidden < 1:
            raise ValueError(f"--layers {self.layers} / --hidden {self.hidden}: must be >= 1")


def sinusoidal_embedding(t, emb_dim):
    """(len(t), E) float64: half = E / 2, f_i = exp(-ln(10000) i / (half - 1)), i = 0..half-1
    (from 1 down to 1e-4), emb(t) = [sin(t f_0..f_{half-1}), cos(t f_0..f_{half-1})], with t the
    integer index as a float (spec 'Model' item 1; diffusers' get_timestep_embedding with
    downscale_freq_shift = 1, flip_sin_to_cos = False)."""
    half = emb_dim // 2
    freqs = np.exp(-math.log(10000.0) * np.arange(half, dtype=np.float64) / (half - 1))
    args = np.asarray(t, dtype=np.float64)[:, None] * freqs[None, :]
    return np.concatenate([np.sin(args), np.cos(args)], axis=1)


class MlpDenoiser(nn.Module):
    """eps_theta(x_t, t): h_0 = [x_t, emb(t)] (B, D + E); h_{l+1} = act(Linear(h_l)) (B, H);
    output Linear(H, D), no activation."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        config.validate()
        self.config = config
        D, E, H = config.data_dim, config.emb_dim, config.hidden
        # The embedding of every step, computed once in float64 and rounded to float32: the same
        # numbers as evaluating the formula per row. Not a parameter, not saved.
        table = sinusoidal_embedding(np.arange(config.timesteps), E).astype(np.float32)
        self.register_buffer("emb_table", torch.from_numpy(table), persistent=False)  # (T, E)
        if config.time_proj:
            self.time_proj = nn.Linear(E, E)
        widths = [D + E] + [H] * config.layers
        self.layers = nn.ModuleList(nn.Linear(widths[l], widths[l + 1])
                                    for l in range(config.layers))
        if config.residual:
            self.norms = nn.ModuleDict({str(l): nn.LayerNorm(H) for l in range(1, config.layers)})
        self.act = ACTIVATIONS[config.activation]()
        self.output = nn.Linear(H, D)

    def _trunk(self, x, emb):
        if self.config.time_proj:
            emb = nn.functional.silu(self.time_proj(emb))
        h = torch.cat([x, emb], dim=1)  # (B, D + E)
        for l, layer in enumerate(self.layers):
            if self.config.residual and l > 0:
                h = h + self.act(layer(self.norms[str(l)](h)))
            else:
                h = self.act(layer(h))  # (B, H)
        return self.output(h)  # (B, D)

    def forward(self, x, t):
        """x (B, D) float32, t (B,) int64 diffusers indices -> eps_hat (B, D)."""
        return self._trunk(x, self.emb_table[t])

    def forward_at(self, x, t: int):
        """Every row at one step t (as the samplers call it)."""
        return self._trunk(x, self.emb_table[t].expand(x.shape[0], -1))


def parameter_count(model):
    return sum(p.numel() for p in model.parameters())
