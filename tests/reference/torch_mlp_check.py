"""The MLP of docs/reference-workload.md written as a plain torch.nn.Module, in float64.

Reads cases dumped by tests/unit/nn/test_mlp_torch.cpp (the model's config JSON, its parameters
by name, a batch, the C++ float32 output, an upstream gradient d_out and the C++ parameter
gradients), loads the parameters with load_state_dict(strict=True) -- so the C++ names and shapes
must be exactly this module's -- and compares the forward output and every parameter gradient.

Usage: torch_mlp_check.py case.json [case.json ...]; exits non-zero on any mismatch.

Tolerance: the C++ side is float32 (about 1e-7 relative per operation, ~1e-6 after a few layers);
each element must agree within 2^-12 of (|reference| + rms(reference tensor)), the bound derived in
tests/support/gradient_check.hpp. A wrong name, shape, layout or formula is off by O(1).
"""
import json
import math
import sys

import torch
from torch import nn
import torch.nn.functional as F

RTOL = 2.0 ** -12


class SinusoidalEmbedding(nn.Module):
    """[sin(v f_i), cos(v f_i)], f_i = exp(-ln(10000) i / (half - 1)) (tiny-diffusion's form)."""

    def __init__(self, size):
        super().__init__()
        self.size = size

    def forward(self, v):
        half = self.size // 2
        freqs = torch.exp(-math.log(10000.0) / (half - 1) * torch.arange(half, dtype=v.dtype))
        angles = v.unsqueeze(-1) * freqs.unsqueeze(0)
        return torch.cat((torch.sin(angles), torch.cos(angles)), dim=-1)


class MlpDenoiser(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        D, E, H, L, W = cfg["data_dim"], cfg["time_embed"], cfg["hidden"], cfg["layers"], cfg["x_embed"]
        self.cfg = cfg
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
        self.act = {"silu": nn.SiLU(), "relu": nn.ReLU(), "gelu": nn.GELU()}[cfg["activation"]]

    def forward(self, x, t, labels=None):
        B, D = x.shape
        e = self.time_emb(t.to(x.dtype))
        if self.cfg["time_projection"]:
            e = F.silu(self.time_proj(e))
        if self.classes:
            if labels is None:
                labels = torch.full((B,), self.classes, dtype=torch.int64)
            e = e + self.class_embedding(labels)
        if self.x_emb is not None:
            # x * 25 in float32, as tiny-diffusion computes it, then the embedding in float64.
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


def compare(label, got, want):
    got = torch.as_tensor(got, dtype=torch.float64).reshape(want.shape)
    scale = want.abs() + want.pow(2).mean().sqrt()
    ratio = ((got - want).abs() / (RTOL * scale + 1e-30)).max().item()
    ok = ratio <= 1.0
    print(f"  {'ok  ' if ok else 'FAIL'} {label}: max error {ratio:.3g} x allowed")
    return ok


def check(path):
    with open(path) as f:
        case = json.load(f)
    cfg = case["config"]
    print(f"{path}: {json.dumps(cfg)}")
    model = MlpDenoiser(cfg).double()
    state = {name: torch.tensor(p["values"], dtype=torch.float64).reshape(p["shape"])
             for name, p in case["params"].items()}
    model.load_state_dict(state, strict=True)  # exactly the same names and shapes
    x = torch.tensor(case["x"], dtype=torch.float64).reshape(-1, cfg["data_dim"])
    t = torch.tensor(case["t"], dtype=torch.int64)
    labels = torch.tensor(case["labels"], dtype=torch.int64) if "labels" in case else None
    out = model(x, t, labels)
    ok = compare("output", case["out"], out.detach())
    d_out = torch.tensor(case["d_out"], dtype=torch.float64).reshape(out.shape)
    out.backward(d_out)
    for name, p in model.named_parameters():
        ok &= compare(f"grad {name}", case["grads"][name], p.grad)
    return ok


if __name__ == "__main__":
    results = [check(path) for path in sys.argv[1:]]
    sys.exit(0 if results and all(results) else 1)
