"""Self-test of python/diffuse_torch/unet2d.py, the stand-in for diffusers' UNet2DModel.

Run: OMP_NUM_THREADS=1 /usr/bin/python3 tests/reference/test_unet2d_reference.py  (a few seconds;
exits non-zero on the first failure). Checks:

  (a) state_dict names, shapes and order against a list built the way diffusers' constructors
      build it (UNet2DModel / DownBlock2D / UpBlock2D / UNetMidBlock2D / ResnetBlock2D /
      Attention, v0.40.0), for three configs, and against a literal table and the table of
      docs/diffusers-unet.md for the example config;
  (b) forward shapes, finiteness, the timestep forms diffusers accepts, class conditioning and
      its errors, and a gradient reaching every parameter;
  (c) the module against a second, functional formulation written separately here (plain
      tensors from the state_dict, float64, hand-written GroupNorm, einsum attention,
      F.interpolate upsampling);
  (d) golden numbers: outputs of diffusers' own UNet2DModel (v0.40.0 source under torch 1.13.1,
      its third-party imports stubbed in a throwaway directory; that setup is not part of the
      repository) on deterministic weights and inputs; and config.json / scheduler_config.json
      texts that diffusers' to_json_string produced byte for byte;
  (e) config validation: our family is accepted, values outside it raise.
"""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from diffuse_torch import unet2d  # noqa: E402

torch.set_num_threads(1)

EXAMPLE = dict(block_out_channels=(32, 64), layers_per_block=2, norm_num_groups=8, add_attention=True,
               num_class_embeds=11, sample_size=8)
PLAIN = dict(block_out_channels=(32, 64, 64), layers_per_block=1, norm_num_groups=8, add_attention=False,
             num_class_embeds=None, sample_size=16)
DEEP = dict(block_out_channels=(16, 32, 32), layers_per_block=3, norm_num_groups=4, add_attention=True,
            num_class_embeds=5, sample_size=8)

FAILURES = []


def check(ok, what):
    print(f"  {'ok  ' if ok else 'FAIL'} {what}")
    if not ok:
        FAILURES.append(what)


def config(kw):
    return unet2d.diffusers_unet_config(**kw)


# ---------------------------------------------------------------------------------------------
# (a) names and shapes, following diffusers' constructors step by step


def diffusers_state_dict_shapes(block_out_channels, layers_per_block, add_attention, num_class_embeds,
                                in_channels=1, out_channels=1):
    """[(name, shape)] in registration order, transcribing UNet2DModel.__init__'s channel
    arithmetic: down block i maps block_out_channels[i-1] (block_out_channels[0] for i = 0) to
    block_out_channels[i]; up block i has layers_per_block + 1 resnets, output_channel =
    reversed[i], prev_output_channel = reversed[i-1] (reversed[0] for i = 0), input_channel =
    reversed[min(i+1, n-1)]; resnet j takes (prev_output_channel if j == 0 else output_channel)
    + (input_channel if j is the last else output_channel) channels."""
    out = []

    def conv(name, co, ci, k):
        out.extend([(f"{name}.weight", (co, ci, k, k)), (f"{name}.bias", (co,))])

    def linear(name, co, ci):
        out.extend([(f"{name}.weight", (co, ci)), (f"{name}.bias", (co,))])

    def norm(name, c):
        out.extend([(f"{name}.weight", (c,)), (f"{name}.bias", (c,))])

    def resnet(name, ci, co, temb):
        norm(f"{name}.norm1", ci)
        conv(f"{name}.conv1", co, ci, 3)
        linear(f"{name}.time_emb_proj", co, temb)
        norm(f"{name}.norm2", co)
        conv(f"{name}.conv2", co, co, 3)
        if ci != co:
            conv(f"{name}.conv_shortcut", co, ci, 1)

    boc = list(block_out_channels)
    n = len(boc)
    temb = 4 * boc[0]
    conv("conv_in", boc[0], in_channels, 3)
    linear("time_embedding.linear_1", temb, boc[0])
    linear("time_embedding.linear_2", temb, temb)
    if num_class_embeds is not None:
        out.append(("class_embedding.weight", (num_class_embeds, temb)))
    output_channel = boc[0]
    for i in range(n):
        input_channel, output_channel = output_channel, boc[i]
        for j in range(layers_per_block):
            resnet(f"down_blocks.{i}.resnets.{j}", input_channel if j == 0 else output_channel, output_channel, temb)
        if i != n - 1:
            conv(f"down_blocks.{i}.downsamplers.0.conv", output_channel, output_channel, 3)
    rev = list(reversed(boc))
    output_channel = rev[0]
    for i in range(n):
        prev_output_channel, output_channel = output_channel, rev[i]
        input_channel = rev[min(i + 1, n - 1)]
        layers = layers_per_block + 1
        for j in range(layers):
            res_skip = input_channel if j == layers - 1 else output_channel
            resnet_in = prev_output_channel if j == 0 else output_channel
            resnet(f"up_blocks.{i}.resnets.{j}", resnet_in + res_skip, output_channel, temb)
        if i != n - 1:
            conv(f"up_blocks.{i}.upsamplers.0.conv", output_channel, output_channel, 3)
    c = boc[-1]
    if add_attention:
        a = "mid_block.attentions.0"
        norm(f"{a}.group_norm", c)
        for proj in ("to_q", "to_k", "to_v", "to_out.0"):
            linear(f"{a}.{proj}", c, c)
    resnet("mid_block.resnets.0", c, c, temb)
    resnet("mid_block.resnets.1", c, c, temb)
    norm("conv_norm_out", boc[0])
    conv("conv_out", out_channels, boc[0], 3)
    return out


# docs/diffusers-unet.md's table for EXAMPLE, compressed: a "{r}" line stands for a resnet's
# norm1 / conv1 / time_emb_proj / norm2 / conv2 (/ conv_shortcut) with the given channels.
EXAMPLE_TABLE = """
conv_in 32,1,3,3
time_embedding.linear_1 128,32
time_embedding.linear_2 128,128
class_embedding.weight 11,128
down_blocks.0.resnets.0 {r} 32>32
down_blocks.0.resnets.1 {r} 32>32
down_blocks.0.downsamplers.0.conv 32,32,3,3
down_blocks.1.resnets.0 {r} 32>64
down_blocks.1.resnets.1 {r} 64>64
up_blocks.0.resnets.0 {r} 128>64
up_blocks.0.resnets.1 {r} 128>64
up_blocks.0.resnets.2 {r} 96>64
up_blocks.0.upsamplers.0.conv 64,64,3,3
up_blocks.1.resnets.0 {r} 96>32
up_blocks.1.resnets.1 {r} 64>32
up_blocks.1.resnets.2 {r} 64>32
mid_block.attentions.0.group_norm 64
mid_block.attentions.0.to_q 64,64
mid_block.attentions.0.to_k 64,64
mid_block.attentions.0.to_v 64,64
mid_block.attentions.0.to_out.0 64,64
mid_block.resnets.0 {r} 64>64
mid_block.resnets.1 {r} 64>64
conv_norm_out 32
conv_out 1,32,3,3
"""


def expand_table(text, temb=128):
    out = []
    for line in text.strip().splitlines():
        name, *rest = line.split()
        if rest[0] == "{r}":
            ci, co = (int(v) for v in rest[1].split(">"))
            out += [(f"{name}.norm1.weight", (ci,)), (f"{name}.norm1.bias", (ci,)),
                    (f"{name}.conv1.weight", (co, ci, 3, 3)), (f"{name}.conv1.bias", (co,)),
                    (f"{name}.time_emb_proj.weight", (co, temb)), (f"{name}.time_emb_proj.bias", (co,)),
                    (f"{name}.norm2.weight", (co,)), (f"{name}.norm2.bias", (co,)),
                    (f"{name}.conv2.weight", (co, co, 3, 3)), (f"{name}.conv2.bias", (co,))]
            if ci != co:
                out += [(f"{name}.conv_shortcut.weight", (co, ci, 1, 1)), (f"{name}.conv_shortcut.bias", (co,))]
        elif name.endswith(".weight"):
            out.append((name, tuple(int(v) for v in rest[0].split(","))))
        else:
            shape = tuple(int(v) for v in rest[0].split(","))
            out += [(f"{name}.weight", shape), (f"{name}.bias", shape[:1])]
    return out


def test_state_dict_names():
    print("(a) state_dict names, shapes and order")
    for kw in (EXAMPLE, PLAIN, DEEP):
        model = unet2d.UNet2D(config(kw))
        got = [(k, tuple(v.shape)) for k, v in model.state_dict().items()]
        want = diffusers_state_dict_shapes(kw["block_out_channels"], kw["layers_per_block"],
                                           kw["add_attention"], kw["num_class_embeds"])
        check(got == want, f"{kw['block_out_channels']} x{kw['layers_per_block']}: {len(got)} tensors, "
                           f"{sum(math.prod(s) for _, s in got)} numbers, as diffusers registers them")
    model = unet2d.UNet2D(config(EXAMPLE))
    got = [(k, tuple(v.shape)) for k, v in model.state_dict().items()]
    check(got == expand_table(EXAMPLE_TABLE), "the example config's table above")
    doc = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "diffusers-unet.md")
    rows, counts_ok = [], True
    with open(doc, encoding="utf-8") as f:
        for line in f:  # rows "| `name` | [d0, d1, ...] | count |"
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) == 3 and cells[0].startswith("`") and cells[1].startswith("["):
                shape = tuple(int(v) for v in cells[1].strip("[]").split(","))
                rows.append((cells[0].strip("`"), shape))
                counts_ok &= int(cells[2].replace(",", "")) == math.prod(shape)
    check(rows == got and counts_ok, "docs/diffusers-unet.md's state_dict table (names, shapes, counts)")
    check(sum(p.numel() for p in model.parameters()) == 919297, "example config: 919,297 parameters")
    legacy = {k.replace("to_q", "query").replace("to_out.0", "proj_attn"): v for k, v in model.state_dict().items()}
    check(list(unet2d.rename_deprecated_attention_keys(legacy)) == list(model.state_dict()),
          "pre-0.14 attention names (query / key / value / proj_attn) are renamed as diffusers does")


# ---------------------------------------------------------------------------------------------
# (b) forward behaviour and gradients


def randomize(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=g)
            p.copy_(1.0 + 0.2 * noise if ("norm" in name and name.endswith("weight")) else 0.3 * noise)


def test_forward_and_gradients():
    print("(b) forward, timestep forms, class labels, gradients")
    for kw in (EXAMPLE, PLAIN, DEEP):
        model = unet2d.UNet2D(config(kw))
        randomize(model, 1)
        B, H = 3, kw["sample_size"]
        x = torch.randn(B, 1, H, H, generator=torch.Generator().manual_seed(2))
        labels = torch.tensor([0, kw["num_class_embeds"] - 1, 2]) if kw["num_class_embeds"] else None
        t = torch.tensor([0, 371, 999])
        out = model(x, t, labels)
        tag = f"{kw['block_out_channels']} attention={kw['add_attention']} classes={kw['num_class_embeds']}"
        check(out.shape == x.shape and out.dtype == torch.float32 and bool(torch.isfinite(out).all()),
              f"{tag}: output (3, 1, {H}, {H}) float32, finite")
        # diffusers' timestep forms: int, 0-d tensor and (1,) tensor broadcast; a Python float is
        # truncated to int64 (12.7 -> 12), a float tensor is used as is.
        same = lambda a, b: torch.equal(model(x, a, labels), model(x, b, labels))  # noqa: E731
        t500 = torch.tensor([500, 500, 500])
        check(same(500, t500) and same(torch.tensor(500), t500) and same(torch.tensor([500]), t500),
              f"{tag}: t as int / 0-d / (1,) tensor broadcasts to the batch")
        check(same(12.7, torch.tensor([12, 12, 12])), f"{tag}: a Python float timestep is truncated to int64")
        frac = model(x, torch.tensor([12.7, 12.7, 12.7]), labels)
        check(not torch.equal(frac, model(x, 12, labels)), f"{tag}: a float tensor timestep is not rounded")
        if labels is not None:
            other = model(x, t, torch.tensor([1, 1, 1]))
            check(not torch.allclose(other, out), f"{tag}: class labels change the output")
            check(raises(lambda: model(x, t)), f"{tag}: no class_labels raises (as diffusers)")
        else:
            check(raises(lambda: model(x, t, torch.tensor([0, 0, 0]))), f"{tag}: class_labels without "
                  "class_embedding raises (as diffusers)")
        # One sample's output must not depend on the other samples (GroupNorm is per sample).
        check(torch.allclose(model(x[1:2], t[1:2], None if labels is None else labels[1:2]), out[1:2],
                             atol=1e-5, rtol=1e-5), f"{tag}: samples are independent of the batch")

        model.zero_grad()
        out = model(x, t, labels)
        (out * torch.randn(out.shape, generator=torch.Generator().manual_seed(3))).sum().backward()
        dead = []
        for name, p in model.named_parameters():
            if p.grad is None or not bool(torch.isfinite(p.grad).all()):
                dead.append(name)
            elif name.endswith("to_k.bias"):
                # A key bias adds q . b to a whole row of scores: softmax ignores it, so its
                # gradient is zero up to rounding (diffusers' too).
                if p.grad.abs().max() > 1e-4 * model.mid_block.attentions[0].to_k.weight.grad.abs().max():
                    dead.append(name + " (should be ~0)")
            elif name == "class_embedding.weight":
                used = set(labels.tolist())
                rows = p.grad.abs().sum(dim=1) > 0
                if [i for i in range(p.shape[0]) if bool(rows[i]) != (i in used)]:
                    dead.append(name + " (rows)")
            elif not bool((p.grad != 0).any()):
                dead.append(name)
        check(not dead, f"{tag}: a gradient reaches every parameter{'' if not dead else ' -- not: ' + str(dead)}")


def raises(fn):
    try:
        fn()
    except ValueError:
        return True
    return False


# ---------------------------------------------------------------------------------------------
# (c) a second formulation: plain functions of the state_dict, float64


def functional_unet(sd, cfg, x, t, labels):
    """Everything from the state_dict by name; no nn.Module. x, weights float64."""
    C = cfg["block_out_channels"]
    n, N, G, eps = len(C), cfg["layers_per_block"], cfg["norm_num_groups"], cfg["norm_eps"]

    def group_norm(h, name):
        b, c = h.shape[:2]
        g = h.reshape(b, G, -1)
        mean = g.mean(dim=2, keepdim=True)
        var = ((g - mean) ** 2).mean(dim=2, keepdim=True)
        g = (g - mean) / torch.sqrt(var + eps)
        shape = (1, c) + (1,) * (h.dim() - 2)
        return g.reshape(h.shape) * sd[name + ".weight"].reshape(shape) + sd[name + ".bias"].reshape(shape)

    def silu(h):
        return h / (1 + torch.exp(-h))

    def conv(h, name, stride=1):
        w = sd[name + ".weight"]
        return F.conv2d(h, w, sd[name + ".bias"], stride=stride, padding=w.shape[-1] // 2)

    def linear(h, name):
        return torch.einsum("...i,oi->...o", h, sd[name + ".weight"]) + sd[name + ".bias"]

    def resnet(h, temb, name):
        r = conv(silu(group_norm(h, name + ".norm1")), name + ".conv1")
        r = r + linear(silu(temb), name + ".time_emb_proj")[:, :, None, None]
        r = conv(silu(group_norm(r, name + ".norm2")), name + ".conv2")
        return (conv(h, name + ".conv_shortcut") if name + ".conv_shortcut.weight" in sd else h) + r

    # Timestep features: the float32 recipe is part of the specification (see the docs).
    if not torch.is_tensor(t):
        t = torch.tensor([int(t)])
    t = t.reshape(-1).expand(x.shape[0])
    half = C[0] // 2
    freqs = torch.exp(torch.arange(half, dtype=torch.float32) * -math.log(10000.0) / half)
    angles = t.float()[:, None] * freqs[None, :]
    feats = torch.cat([torch.cos(angles), torch.sin(angles), torch.zeros(x.shape[0], C[0] % 2)], 1).double()
    temb = linear(silu(linear(feats, "time_embedding.linear_1")), "time_embedding.linear_2")
    if labels is not None:
        temb = temb + sd["class_embedding.weight"][labels]

    h = conv(x, "conv_in")
    skips = [h]
    for i in range(n):
        for j in range(N):
            h = resnet(h, temb, f"down_blocks.{i}.resnets.{j}")
            skips.append(h)
        if i < n - 1:
            h = conv(h, f"down_blocks.{i}.downsamplers.0.conv", stride=2)
            skips.append(h)
    h = resnet(h, temb, "mid_block.resnets.0")
    a = "mid_block.attentions.0"
    if a + ".to_q.weight" in sd:
        b, c, hh, ww = h.shape
        z = group_norm(h, a + ".group_norm").reshape(b, c, hh * ww)
        proj = lambda name: torch.einsum("oc,bcl->bol", sd[name + ".weight"], z) + sd[name + ".bias"][None, :, None]  # noqa: E731
        q, k, v = proj(a + ".to_q"), proj(a + ".to_k"), proj(a + ".to_v")
        p = torch.softmax(torch.einsum("bci,bcj->bij", q, k) / math.sqrt(c), dim=2)
        o = torch.einsum("bij,bcj->bci", p, v)
        o = torch.einsum("oc,bcl->bol", sd[a + ".to_out.0.weight"], o) + sd[a + ".to_out.0.bias"][None, :, None]
        h = h + o.reshape(b, c, hh, ww)
    h = resnet(h, temb, "mid_block.resnets.1")
    for u in range(n):
        for j in range(N + 1):
            h = resnet(torch.cat([h, skips.pop()], dim=1), temb, f"up_blocks.{u}.resnets.{j}")
        if u < n - 1:
            h = conv(F.interpolate(h, scale_factor=2.0, mode="nearest"), f"up_blocks.{u}.upsamplers.0.conv")
    assert not skips
    return conv(silu(group_norm(h, "conv_norm_out")), "conv_out")


def test_second_formulation():
    print("(c) the module against a functional float64 formulation on the same state_dict")
    for kw in (EXAMPLE, PLAIN, DEEP, dict(EXAMPLE, block_out_channels=(9, 18), norm_num_groups=3,
                                          num_class_embeds=4, sample_size=4)):
        cfg = config(kw)
        model = unet2d.UNet2D(cfg)
        randomize(model, 4)
        sd64 = {k: v.double() for k, v in model.state_dict().items()}
        H = kw["sample_size"]
        x = torch.randn(2, 1, H, H, generator=torch.Generator().manual_seed(5))
        labels = torch.tensor([1, 3]) if kw["num_class_embeds"] else None
        for t in (torch.tensor([7, 999]), 250):
            want = functional_unet(sd64, unet2d.resolve_config(cfg), x.double(), t, labels)
            got32 = model(x, t, labels).double()
            got64 = model.double()(x.double(), t, labels)
            model.float()
            scale = want.abs().max().item()
            e32 = (got32 - want).abs().max().item() / scale
            e64 = (got64 - want).abs().max().item() / scale
            check(e32 < 1e-5 and e64 < 1e-12, f"{kw['block_out_channels']} t={t if isinstance(t, int) else t.tolist()}: "
                  f"max|diff|/max|out| float32 {e32:.2g}, float64 {e64:.2g}")


# ---------------------------------------------------------------------------------------------
# (d) golden numbers from diffusers' own UNet2DModel


def deterministic_state_dict(model):
    """Weights from a formula (no RNG): the k-th tensor in state_dict order is
    s * sin(0.37 i + 1.3 k + 0.1) over its flat index i, with s = 1.5 / sqrt(fan_in) for matrices
    and kernels, GroupNorm weights 1 + 0.2 sin(..), other vectors 0.2 sin(..)."""
    out = {}
    for k, (name, p) in enumerate(model.state_dict().items()):
        wave = torch.sin(0.37 * torch.arange(p.numel(), dtype=torch.float64) + 1.3 * k + 0.1).reshape(p.shape)
        if p.dim() > 1:
            value = wave * (1.5 / math.sqrt(p[0].numel()))
        elif "norm" in name and name.endswith("weight"):
            value = 1.0 + 0.2 * wave
        else:
            value = 0.2 * wave
        out[name] = value.float()
    return out


def deterministic_inputs(batch, size):
    i = torch.arange(batch * size * size, dtype=torch.float64)
    return (torch.sin(0.9 * i) + 0.5 * torch.cos(0.23 * i)).float().reshape(batch, 1, size, size)


GOLDEN_INDICES = [0, 5, 17, 40, 63, 64, 100, 127, 150, 191]
# Measured with diffusers' UNet2DModel (v0.40.0, AttnProcessor on torch 1.13.1; float32) on
# deterministic_state_dict / deterministic_inputs(3, H): t = [0, 371, 999], labels [0, 5, 10] for
# EXAMPLE (none for PLAIN). Values: out.sum(), out.abs().sum(), then out.flatten()[GOLDEN_INDICES].
GOLDEN = {
    "EXAMPLE": [11.5547771, 126.044945, -0.337427855, -0.603625536, -0.661241949, -0.541689694, -0.622093081,
                0.165317759, 0.933540463, -0.20901379, 0.177103519, -0.179691195],
    "PLAIN": [437.526062, 437.526062, 0.324291974, 0.540579677, 0.543536365, 0.699847162, 0.427434534,
              0.391280115, 0.679829597, 0.301151097, 0.777487397, 0.348371029],
}


def test_golden():
    print("(d) diffusers' own outputs and JSON files")
    for key, kw, labels in (("EXAMPLE", EXAMPLE, torch.tensor([0, 5, 10])), ("PLAIN", PLAIN, None)):
        model = unet2d.UNet2D(config(kw))
        model.load_state_dict(deterministic_state_dict(model), strict=True)
        out = model(deterministic_inputs(3, kw["sample_size"]), torch.tensor([0, 371, 999]), labels).detach()
        flat = out.flatten()
        got = [out.sum().item(), out.abs().sum().item()] + [flat[i].item() for i in GOLDEN_INDICES]
        want = GOLDEN[key]
        scale = out.abs().max().item()
        err = max(abs(a - b) for a, b in zip(got[2:], want[2:])) / scale
        err_sum = max(abs(got[0] - want[0]), abs(got[1] - want[1])) / (out.numel() * scale)
        check(err < 1e-5 and err_sum < 1e-5, f"{key}: diffusers' values, max rel diff {err:.2g} (sums {err_sum:.2g})")

    check(unet2d.config_json_text(config(EXAMPLE)) == EXAMPLE_CONFIG_JSON,
          "example unet/config.json text equals diffusers' save_config output")
    check(unet2d.config_json_text(unet2d.diffusers_scheduler_config()) == DDPM_DEFAULT_JSON,
          "default DDPMScheduler scheduler_config.json equals diffusers'")
    check(unet2d.model_index() == {"_class_name": "DDPMPipeline", "_diffusers_version": unet2d.DIFFUSERS_VERSION,
                                   "scheduler": ["diffusers", "DDPMScheduler"], "unet": ["diffusers", "UNet2DModel"]},
          "model_index.json of a DDPMPipeline")
    reloaded = json.loads(unet2d.config_json_text(config(EXAMPLE)))
    check([k for k, _ in unet2d.UNet2D(reloaded).state_dict().items()] == list(unet2d.UNet2D(config(EXAMPLE)).state_dict()),
          "UNet2D accepts the config.json text read back")


# UNet2DModel(**EXAMPLE's arguments).to_json_string() and DDPMScheduler().to_json_string(), diffusers
# v0.40.0, verbatim (json.dumps(indent=2, sort_keys=True) + newline; tuples written as lists).
EXAMPLE_CONFIG_JSON = """{
  "_class_name": "UNet2DModel",
  "_diffusers_version": "0.40.0",
  "act_fn": "silu",
  "add_attention": true,
  "attention_head_dim": 64,
  "attn_norm_num_groups": null,
  "block_out_channels": [
    32,
    64
  ],
  "center_input_sample": false,
  "class_embed_type": null,
  "down_block_types": [
    "DownBlock2D",
    "DownBlock2D"
  ],
  "downsample_padding": 1,
  "downsample_type": "conv",
  "dropout": 0.0,
  "flip_sin_to_cos": true,
  "freq_shift": 0,
  "in_channels": 1,
  "layers_per_block": 2,
  "mid_block_scale_factor": 1,
  "mid_block_type": "UNetMidBlock2D",
  "norm_eps": 1e-05,
  "norm_num_groups": 8,
  "num_class_embeds": 11,
  "num_train_timesteps": null,
  "out_channels": 1,
  "resnet_time_scale_shift": "default",
  "sample_size": 8,
  "time_embedding_dim": null,
  "time_embedding_type": "positional",
  "up_block_types": [
    "UpBlock2D",
    "UpBlock2D"
  ],
  "upsample_type": "conv"
}
"""
DDPM_DEFAULT_JSON = """{
  "_class_name": "DDPMScheduler",
  "_diffusers_version": "0.40.0",
  "beta_end": 0.02,
  "beta_schedule": "linear",
  "beta_start": 0.0001,
  "clip_sample": true,
  "clip_sample_range": 1.0,
  "dynamic_thresholding_ratio": 0.995,
  "num_train_timesteps": 1000,
  "prediction_type": "epsilon",
  "rescale_betas_zero_snr": false,
  "sample_max_value": 1.0,
  "steps_offset": 0,
  "thresholding": false,
  "timestep_spacing": "leading",
  "trained_betas": null,
  "variance_type": "fixed_small"
}
"""


# ---------------------------------------------------------------------------------------------
# (e) validation


def test_validation():
    print("(e) config validation")
    base = config(EXAMPLE)
    bad = {
        "in_channels": 3, "out_channels": 3, "norm_eps": 1e-6, "act_fn": "gelu", "dropout": 0.1,
        "time_embedding_type": "fourier", "flip_sin_to_cos": False, "freq_shift": 1,
        "center_input_sample": True, "downsample_padding": 0, "mid_block_scale_factor": 2,
        "resnet_time_scale_shift": "scale_shift", "class_embed_type": "timestep",
        "attention_head_dim": 8, "down_block_types": ["DownBlock2D", "AttnDownBlock2D"],
        "up_block_types": ["AttnUpBlock2D", "UpBlock2D"], "norm_num_groups": 12, "sample_size": 7,
        "time_embedding_dim": 256, "attn_norm_num_groups": 4, "mid_block_type": None,
        "downsample_type": "resnet", "num_class_embeds": 0, "add_attention": 1, "_class_name": "UNet2DConditionModel",
        "no_such_key": 1,
    }
    for key, value in bad.items():
        check(raises(lambda: unet2d.UNet2D({**base, key: value})), f"{key} = {value!r} raises")
    check(not raises(lambda: unet2d.UNet2D({**base, "attention_head_dim": None})), "attention_head_dim null is accepted")
    check(not raises(lambda: unet2d.UNet2D({**base, "out_channels": 2})),
          "out_channels = 2 in_channels is accepted (a learned variance)")
    check(not raises(lambda: unet2d.UNet2D({**base, "norm_eps": 1e-05, "dropout": 0, "mid_block_scale_factor": 1.0})),
          "numerically equal JSON numbers are accepted")
    minimal = {k: base[k] for k in ("block_out_channels", "layers_per_block", "norm_num_groups", "sample_size")}
    check(raises(lambda: unet2d.UNet2D(minimal)), "missing keys take diffusers' defaults (in_channels 3 -> raises)")
    check(raises(lambda: unet2d.diffusers_scheduler_config(beta_schedule="cosine")), "unknown beta_schedule raises")
    check(raises(lambda: unet2d.diffusers_scheduler_config("DDIMScheduler", variance_type="fixed_small")),
          "DDIMScheduler has no variance_type")


def main():
    test_state_dict_names()
    test_forward_and_gradients()
    test_second_formulation()
    test_golden()
    test_validation()
    print(f"{'FAILED: ' + str(len(FAILURES)) if FAILURES else 'all passed'}")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
