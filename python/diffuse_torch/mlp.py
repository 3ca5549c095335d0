"""The MLP denoiser of docs/reference-workload.md ("Model") as a torch.nn.Module, written from that
text alone (not from the C++ code, which the tests compare against it). Its state_dict names and
shapes are diffuse's checkpoint names: layers.{l}.weight (PyTorch's nn.Linear, [out, in]),
norms.{l}.*, time_proj.*, class_embedding.weight, output.*.

forward(x (B, D), t (B,) integer steps 0..T-1, labels (B,) or None) returns the network's raw
output (eps, x0 or v, as the checkpoint's diffusion.prediction says), in x's dtype."""
import math

import torch
import torch.nn.functional as F
from torch import nn

# config.model of an MLP checkpoint: exactly these keys (core/nn/mlp_config.hpp).
MLP_KEYS = ("data_dim", "time_embed", "time_projection", "x_embed", "hidden", "layers", "activation",
            "residual", "classes")
ACTIVATIONS = {"silu": nn.SiLU, "relu": nn.ReLU, "gelu": nn.GELU}


class SinusoidalEmbedding(nn.Module):
    """[sin(v f_i), cos(v f_i)], f_i = exp(-ln(10000) i / (half - 1)) (tiny-diffusion's form).
    The angles are computed in float64 whatever v's dtype: at t = 999 a float32 angle would carry
    an error of ~6e-5, which the 1e-5 agreement with diffuse (which works in double here) forbids."""

    def __init__(self, size):
        super().__init__()
        self.size = size

    def forward(self, v):
        half = self.size // 2
        freqs = torch.exp(-math.log(10000.0) / (half - 1) * torch.arange(half, dtype=torch.float64,
                                                                        device=v.device))
        angles = v.to(torch.float64).unsqueeze(-1) * freqs.unsqueeze(0)
        return torch.cat((torch.sin(angles), torch.cos(angles)), dim=-1).to(v.dtype)


class MlpDenoiser(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        D, E, H, L, W = cfg["data_dim"], cfg["time_embed"], cfg["hidden"], cfg["layers"], cfg["x_embed"]
        self.cfg = dict(cfg)
        self.time_emb = SinusoidalEmbedding(E)
        self.x_emb = SinusoidalEmbedding(W) if W else None
        if cfg["time_projection"]:
            self.time_proj = nn.Linear(E, E)
        d_in = (D * W if W else D) + E
        self.layers = nn.ModuleList([nn.Linear(d_in if l == 0 else H, H) for l in range(L)])
        if cfg["residual"]:
            # No norm before layers.0: an Identity keeps the indices (norms.1 ..) of the spec.
            self.norms = nn.ModuleList([nn.Identity()] + [nn.LayerNorm(H) for _ in range(1, L)])
        self.output = nn.Linear(H, cfg.get("out_dim", D))  # 2 D with a learned variance
        # Class-conditional: K + 1 rows, the last the null class (diffusers' num_class_embeds).
        self.classes = cfg.get("classes", 0)
        if self.classes:
            self.class_embedding = nn.Embedding(self.classes + 1, E)
        self.act = ACTIVATIONS[cfg["activation"]]()

    def forward(self, x, t, labels=None):
        B, D = x.shape
        e = self.time_emb(t.to(x.dtype))
        if self.cfg["time_projection"]:
            e = F.silu(self.time_proj(e))
        if self.classes:
            if labels is None:
                labels = torch.full((B,), self.classes, dtype=torch.int64, device=x.device)
            e = e + self.class_embedding(labels)
        if self.x_emb is not None:
            # x * 25 in float32, as tiny-diffusion computes it, then the embedding.
            scaled = (x.float() * 25.0).to(x.dtype)
            xe = self.x_emb(scaled.reshape(-1)).reshape(B, D * self.cfg["x_embed"])
        else:
            xe = x
        h = self.act(self.layers[0](torch.cat([xe, e], dim=-1)))
        for l in range(1, len(self.layers)):
            if self.cfg["residual"]:
                h = h + self.act(self.layers[l](self.norms[l](h)))
            else:
                h = self.act(self.layers[l](h))
        return self.output(h)
