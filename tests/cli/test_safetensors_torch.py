"""safetensors compatibility with PyTorch, without the `safetensors` package: a small independent
reader and writer (struct + json + numpy, tensors through torch.from_numpy) that follow the
reference implementation's rules, against our C++ writer and reader (tests/tools/safetensors_tool).

1. The file our writer produces is read here, validated against the format rules, and equals the
   expected torch tensors; it is also byte-identical to what the reference rules write.
2. A file written here from torch tensors of dtypes float32, float64, float16 and bfloat16 (sorted
   the reference's way) is read by our reader with the same values converted to float32.
3. A file written here with overlapping tensors is rejected with a message naming them.
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np
import torch

TOOL = os.path.join(os.environ["DIFFUSE_TOOLS_DIR"], "safetensors_tool")

# The reference implementation's dtype order (ascending alignment); files sort descending, then by name.
DTYPE_ORDER = ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16", "I32", "U32",
               "F32", "F64", "I64", "U64"]
TORCH_DTYPES = {torch.float32: ("F32", 4), torch.float64: ("F64", 8), torch.float16: ("F16", 2),
                torch.bfloat16: ("BF16", 2)}


def tensor_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:  # numpy has no bfloat16: reinterpret the bits
        return t.view(torch.int16).numpy().astype("<i2").tobytes()
    return t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()


def write_reference(tensors, metadata=None):
    """The reference rules: sort by dtype (descending) then name, compact JSON with __metadata__
    first, header padded with spaces to a multiple of 8, data contiguous from 0."""
    items = sorted(tensors.items(), key=lambda kv: (-DTYPE_ORDER.index(TORCH_DTYPES[kv[1].dtype][0]), kv[0]))
    header, data, offset = {}, b"", 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in items:
        raw = tensor_bytes(t)
        header[name] = {"dtype": TORCH_DTYPES[t.dtype][0], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        data += raw
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + data


def read_reference(blob):
    """An independent reader for F32 files that checks the layout rules as it goes."""
    (n,) = struct.unpack("<Q", blob[:8])
    assert n % 8 == 0, n
    text = blob[8:8 + n].decode("utf-8")
    assert text.rstrip(" ") == text.rstrip(), "padding must be spaces"
    header = json.loads(text)
    assert list(header)[0] == "__metadata__", "metadata comes first"
    data = blob[8 + n:]
    tensors, position = {}, 0
    entries = sorted(((k, v) for k, v in header.items() if k != "__metadata__"),
                     key=lambda kv: kv[1]["data_offsets"])
    for name, info in entries:
        begin, end = info["data_offsets"]
        assert begin == position and info["dtype"] == "F32", (name, info)
        count = int(np.prod(info["shape"], dtype=np.int64))
        assert end - begin == 4 * count, (name, info)
        array = np.frombuffer(data[begin:end], dtype="<f4").reshape(info["shape"])
        tensors[name] = torch.from_numpy(array.copy())
        position = end
    assert position == len(data), "no trailing bytes"
    return header["__metadata__"], tensors


def run_tool(*args):
    return subprocess.run([TOOL, *args], capture_output=True, text=True)


def bits_of(t):
    return t.to(torch.float32).contiguous().view(torch.int32).numpy().astype(np.uint32).reshape(-1).tolist()


with tempfile.TemporaryDirectory() as tmp:
    # 1. Ours -> here.
    ours = os.path.join(tmp, "ours.safetensors")
    r = run_tool("write", ours)
    assert r.returncode == 0, r.stderr
    blob = open(ours, "rb").read()
    metadata, tensors = read_reference(blob)
    expected = {
        "layers.0.bias": torch.tensor([0.1, -0.2, 1e-30], dtype=torch.float32),
        "layers.0.weight": (torch.arange(12, dtype=torch.float32) * 0.25 - 1).reshape(3, 4),
        "scalar": torch.tensor(3.14159, dtype=torch.float32),
    }
    assert metadata == {"format": "pt", "note": "written by diffuse"}, metadata
    assert set(tensors) == set(expected), tensors.keys()
    for name, t in expected.items():
        assert tensors[name].shape == t.shape and torch.equal(tensors[name], t), (name, tensors[name], t)
    assert blob == write_reference(expected, metadata), "not byte-identical to the reference layout"
    print("ok: our file reads back in torch and matches the reference layout byte for byte")

    # 2. Here -> ours, with conversions to float32.
    g = torch.Generator().manual_seed(0)
    theirs = {
        "w32": torch.randn(2, 3, generator=g),
        "w64": torch.tensor([0.1, -1e300, 1e-50, 3.0], dtype=torch.float64),
        "h16": torch.tensor([1.0, -2.0 ** -24, 65504.0, 0.1], dtype=torch.float16),
        "b16": torch.tensor([-2.5, 1e38, 3.0e-39], dtype=torch.bfloat16),
        "empty": torch.zeros(0, 4),
    }
    path = os.path.join(tmp, "theirs.safetensors")
    open(path, "wb").write(write_reference(theirs, {"format": "pt"}))
    r = run_tool("dump", path)
    assert r.returncode == 0, r.stderr
    dumped = json.loads(r.stdout)
    assert dumped["metadata"] == {"format": "pt"}, dumped["metadata"]
    order = [t["name"] for t in dumped["tensors"]]
    assert order == ["w64", "empty", "w32", "b16", "h16"], order  # file order: F64, F32, BF16, F16
    for item in dumped["tensors"]:
        t = theirs[item["name"]]
        assert item["dtype"] == TORCH_DTYPES[t.dtype][0], item
        assert item["shape"] == list(t.shape), item
        assert item["bits"] == bits_of(t), (item["name"], item["bits"], bits_of(t))
    print("ok: torch float32/float64/float16/bfloat16 files read with the same float32 values")

    # 3. An invalid file written here is rejected by name.
    bad = bytearray(write_reference({"a": torch.ones(2), "b": torch.ones(2)}))
    (n,) = struct.unpack("<Q", bad[:8])
    header = json.loads(bad[8:8 + n])
    header["b"]["data_offsets"] = [4, 12]
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    path = os.path.join(tmp, "bad.safetensors")
    open(path, "wb").write(struct.pack("<Q", len(text)) + text + bytes(bad[8 + n:]))
    r = run_tool("dump", path)
    assert r.returncode == 1 and "overlap" in r.stderr and "'a'" in r.stderr, (r.returncode, r.stderr)
    print("ok: overlapping tensors rejected:", r.stderr.strip())
