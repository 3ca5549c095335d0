"""safetensors files with the standard library and NumPy (no `safetensors` package: Debian has
none). The format: an 8-byte little-endian header length n, n bytes of JSON {"__metadata__":
{str: str}, name: {"dtype", "shape", "data_offsets": [begin, end]}}, then the tensors' bytes.

Reading converts F32, F64, F16 and BF16 to float32 (as diffuse's own reader does); writing stores
float32 with the header padded by spaces to a multiple of 8, as the reference implementation
writes it, through a temporary file renamed into place (a crash leaves the old file or none)."""
import json
import os
import struct
import tempfile

import numpy as np

_DTYPES = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8"), "F16": np.dtype("<f2")}


def _bf16_to_f32(raw):
    """bfloat16 is the top half of a float32: shift the 16 bits up."""
    return (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)


def read_safetensors(path):
    """(metadata dict, {name: float32 ndarray}) of a safetensors file. ValueError naming the file
    and the tensor for anything malformed or of another dtype."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ValueError(f"{path}: {len(blob)} bytes, too short for a safetensors file")
    (n,) = struct.unpack("<Q", blob[:8])
    if n > len(blob) - 8:
        raise ValueError(f"{path}: header length {n} runs past the end of the file")
    try:
        header = json.loads(blob[8:8 + n])
    except ValueError as e:
        raise ValueError(f"{path}: the header is not JSON ({e})") from None
    if not isinstance(header, dict):
        raise ValueError(f"{path}: the header is not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    data = memoryview(blob)[8 + n:]
    tensors = {}
    for name, info in header.items():
        dtype, shape = info.get("dtype"), info.get("shape")
        begin, end = info.get("data_offsets", (0, -1))
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        width = 2 if dtype == "BF16" else (_DTYPES[dtype].itemsize if dtype in _DTYPES else None)
        if width is None:
            raise ValueError(f"{path}: tensor '{name}' has dtype {dtype}: allowed are F32, F64, F16, BF16")
        if not (0 <= begin <= end <= len(data)) or end - begin != width * count:
            raise ValueError(f"{path}: tensor '{name}' has data_offsets {[begin, end]} that do not "
                             f"fit its shape {shape} and dtype {dtype}")
        raw = data[begin:end]
        values = _bf16_to_f32(raw) if dtype == "BF16" else np.frombuffer(raw, dtype=_DTYPES[dtype])
        tensors[name] = values.astype(np.float32).reshape(shape)
    return metadata, tensors


def safetensors_bytes(tensors, metadata=None):
    """The file's bytes: {name: array-like} stored as float32, in the given order."""
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name, array in tensors.items():
        raw = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(np.shape(array)),
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def write_atomic(path, data):
    """Writes bytes (or str) to path through a temporary sibling file and a rename."""
    if isinstance(data, str):
        data = data.encode()
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".tmp-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_safetensors(path, tensors, metadata=None):
    write_atomic(path, safetensors_bytes(tensors, metadata))
