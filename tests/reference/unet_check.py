"""The C++ U-Net against the independent PyTorch UNet2D (python/diffuse_torch/unet2d.py, which stands in
for diffusers' UNet2DModel), case by case. Reads cases dumped by tests/unit/nn/test_unet_torch.cpp
(diffuse's model config, the parameters by name, a batch x, t, labels, the C++ float32 output, an
upstream gradient d_out and the C++ parameter gradients), builds UNet2D from the diffusers
config.json the export writes for that config, loads the parameters with
load_state_dict(strict=True) -- so the names and shapes must be exactly diffusers' -- runs it in
float64, and compares.

Usage: unet_check.py case.json [case.json ...]; exits non-zero on any mismatch.

Tolerances: the output must agree to 1e-4 absolute (the issue's bar; float32 rounding after ~30
layers of sums of up to 9 C terms stays near 1e-5 here). Each parameter gradient element must agree
within 2^-10 of (|reference| + rms(reference tensor)): a float32 backward through ~60 rounded
operations of sums of up to B P C terms (tests/support/gradient_check.hpp's budget, with the depth
here); a wrong formula is off by O(1). to_k.bias's gradient is zero in exact arithmetic (softmax
ignores a constant added along a row) and rounding only: it is compared on an absolute scale.
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from diffuse_torch.unet2d import UNet2D, diffusers_unet_config  # noqa: E402

torch.set_num_threads(1)


def compare(label, got, want, atol=None, rtol=None):
    got = torch.as_tensor(got, dtype=torch.float64).reshape(want.shape)
    err = (got - want).abs()
    if atol is not None:
        ratio = (err.max().item() / atol) if err.numel() else 0.0
    else:
        scale = want.abs() + want.pow(2).mean().sqrt() + 1e-30
        ratio = (err / (rtol * scale)).max().item()
    ok = ratio <= 1.0
    print(f"  {'ok  ' if ok else 'FAIL'} {label}: max error {err.max().item():.3g} ({ratio:.3g} x allowed)")
    return ok


def check(path):
    with open(path) as f:
        case = json.load(f)
    cfg = case["config"]
    print(f"{path}: {json.dumps(cfg)}")
    config = diffusers_unet_config(cfg["block_out_channels"], cfg["layers_per_block"], cfg["norm_num_groups"],
                                   cfg["add_attention"], cfg["classes"] + 1 if cfg["classes"] else None,
                                   cfg["sample_size"])
    if "out_channels" in cfg:  # a learned variance's doubled output
        config["out_channels"] = cfg["out_channels"]
    model = UNet2D(config).double()
    names = [n for n, _ in model.state_dict().items()]
    assert names == case["order"], "state_dict order differs from diffuse's layout"
    state = {name: torch.tensor(p["values"], dtype=torch.float64).reshape(p["shape"])
             for name, p in case["params"].items()}
    model.load_state_dict(state, strict=True)  # exactly the same names and shapes
    S, C = cfg["sample_size"], cfg["in_channels"]
    x = torch.tensor(case["x"], dtype=torch.float64).reshape(-1, C, S, S)
    t = torch.tensor(case["t"], dtype=torch.int64)
    labels = torch.tensor(case["labels"], dtype=torch.int64) if "labels" in case else None
    out = model(x, t, labels)
    ok = compare("output (1e-4 absolute)", case["out"], out.detach(), atol=1e-4)
    d_out = torch.tensor(case["d_out"], dtype=torch.float64).reshape(out.shape)
    out.backward(d_out)
    for name, p in model.named_parameters():
        if name.endswith("to_k.bias"):
            ok &= compare(f"grad {name} (zero up to rounding)", case["grads"][name], p.grad,
                          atol=1e-4 * (1 + case["grad_scale"]))
        else:
            ok &= compare(f"grad {name}", case["grads"][name], p.grad, rtol=2.0 ** -10)
    return ok


if __name__ == "__main__":
    results = [check(path) for path in sys.argv[1:]]
    sys.exit(0 if results and all(results) else 1)
