"""The MLP of docs/reference-workload.md as a plain torch.nn.Module (python/diffuse_torch/mlp.py,
written from that text, not from the C++ code), in float64, against the C++ model.

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
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from diffuse_torch.mlp import MlpDenoiser  # noqa: E402

RTOL = 2.0 ** -12


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
