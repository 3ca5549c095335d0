"""Writes the fuzz targets' seed corpora (tests/fuzz/corpus/<target>/): small valid inputs, from
which libFuzzer's mutations start. Checkpoints come from the CLI; everything else is synthetic,
written here (no third-party data: the digits and Fashion-MNIST seeds are made-up images).

Usage: python3 tests/fuzz/make_corpus.py build/bin/diffuse

Rerun it when a format changes (it replaces the files it writes and leaves others, such as
regression inputs added by hand, alone). Every file stays a few KB: libFuzzer's inputs are at
most as long as the longest seed, and short inputs fuzz fastest.
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def write(target, name, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)


# ---- safetensors, read and written here (io/safetensors.hpp) ------------------------------------

def st_read(data):
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    return header, data[8 + n:]


def st_write(header, body):
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + body


def st_replace_values(data, value_of):
    """The same file with every F32 tensor's values replaced by value_of(name, index)."""
    header, body = st_read(data)
    body = bytearray(body)
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        values = [value_of(name, i) for i in range((end - begin) // 4)]
        body[begin:end] = struct.pack(f"<{len(values)}f", *values)
    return st_write(header, bytes(body))


def pattern(name, i):
    """Fixed small weights, the same for any run (no trained values)."""
    return ((hash_name(name) + 7 * i) % 17 - 8) / 64.0


def hash_name(name):
    return sum((k + 1) * ord(c) for k, c in enumerate(name))


def config_of(data):
    return st_read(data)[0]["__metadata__"]["config"]


def version_1(data):
    """A format version 1 checkpoint (diffuse 0.1.0) of an MLP export: the prediction type in the
    model's config, no kind, classes, diffusion section or data shape (io/checkpoint.hpp)."""
    header, body = st_read(data)
    config = json.loads(header["__metadata__"]["config"])
    model = config["model"]
    model["prediction"] = config.pop("diffusion")["prediction"]
    for key in ("kind", "classes"):
        model.pop(key)
    config["train"].pop("label_dropout")
    for key in ("shape", "classes", "class_names", "stored", "fingerprint"):
        config["data"].pop(key)
    config["diffuse_version"] = "0.1.0"
    header["__metadata__"] = {"config": json.dumps(config, separators=(",", ":")),
                              "format": "diffuse-checkpoint", "format_version": "1"}
    return st_write(header, body)


def checkpoints(diffuse):
    tiny = ["--steps", "5", "--warmup", "1", "--train-size", "16", "--batch", "8", "--quiet"]
    runs = {
        "moons": ["--dataset", "moons", "--hidden", "8", "--layers", "1", "--time-embed", "4", "-T", "10"],
        "gaussians8_conditional": ["--dataset", "gaussians8", "--conditional", "--hidden", "8", "--layers", "2",
                                   "--residual", "--time-embed", "4", "-T", "20", "--schedule", "cosine",
                                   "--prediction", "v"],
        "swissroll_xembed": ["--dataset", "swissroll", "--hidden", "4", "--layers", "1", "--time-embed", "4",
                             "--x-embed", "4", "--time-projection", "--activation", "gelu", "-T", "8",
                             "--prediction", "x0", "--zero-snr"],
    }
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        def run(*args):
            subprocess.run([diffuse, *args], check=True, stdout=subprocess.DEVNULL)

        for name, args in runs.items():
            path = os.path.join(tmp, name + ".safetensors")
            run("train", *args, *tiny, "--out", path)
            out[name] = open(path, "rb").read()
        export = os.path.join(tmp, "export.safetensors")
        run("export", os.path.join(tmp, "moons.safetensors"), "--out", export)
        out["moons_export"] = open(export, "rb").read()
        out["moons_export_v1"] = version_1(out["moons_export"])
        # The smallest U-Net (one level of 2 channels) on 8 x 8 images, exported; its weights are
        # replaced by a fixed pattern, so nothing in it comes from the digits.
        unet = os.path.join(tmp, "unet.safetensors")
        run("train", "--dataset", "digits", "--steps", "1", "--warmup", "0", "--channels", "2",
            "--layers-per-block", "1", "--groups", "1", "--batch", "2", "-T", "10", "--quiet", "--out", unet)
        run("export", unet, "--out", export)
        out["unet_export"] = st_replace_values(open(export, "rb").read(), pattern)
        folder = os.path.join(tmp, "pipeline")
        with open(unet, "wb") as f:
            f.write(out["unet_export"])
        run("export", unet, "--format", "diffusers", "--out", folder)
        diffusers = {name: open(os.path.join(folder, *path)).read()
                     for name, path in [("diffusers_model_index", ["model_index.json"]),
                                        ("diffusers_scheduler_config", ["scheduler", "scheduler_config.json"]),
                                        ("diffusers_unet_config", ["unet", "config.json"])]}
    return out, diffusers


# ---- IDX (data/idx.hpp) ------------------------------------------------------------------------

def idx(kind, sizes, values):
    return bytes([0, 0, 8, kind]) + b"".join(struct.pack(">I", s) for s in sizes) + bytes(values)


def images(count, side, levels):
    """Made-up images: a bright square whose place and size depend on the image."""
    pixels = []
    for n in range(count):
        for y in range(side):
            for x in range(side):
                inside = n % side <= x < n % side + side // 2 and (2 * n) % side <= y
                pixels.append(levels - 1 if inside else (x + y + n) % 3)
    return pixels


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_corpus.py PATH/TO/diffuse")
    files, diffusers = checkpoints(os.path.abspath(sys.argv[1]))

    for name, data in files.items():
        write("checkpoint", name + ".safetensors", data)
        write("checkpoint_config", name + ".json", config_of(data))
    for name, text in diffusers.items():
        write("checkpoint_config", name + ".json", text)

    # safetensors: an export, F64/F16/BF16 tensors beside F32 ones, an empty file and no metadata.
    write("safetensors", "moons_export.safetensors", files["moons_export"])
    header = {"__metadata__": {"format": "pt"},
              "a": {"dtype": "F64", "shape": [2], "data_offsets": [0, 16]},
              "b": {"dtype": "F16", "shape": [2, 1], "data_offsets": [16, 20]},
              "c": {"dtype": "BF16", "shape": [1], "data_offsets": [20, 22]},
              "d": {"dtype": "F32", "shape": [0, 3], "data_offsets": [22, 22]},
              "e": {"dtype": "F32", "shape": [], "data_offsets": [22, 26]}}
    body = struct.pack("<2d", 1.5, -2.25) + struct.pack("<2e", 0.5, -1.0) + bytes([0x80, 0x3f]) + \
        struct.pack("<f", 3.0)
    write("safetensors", "dtypes.safetensors", st_write(header, body))
    write("safetensors", "empty.safetensors", st_write({}, b""))

    # CSV points (data/csv.hpp): a header, labels, CRLF, a byte-order mark, blank lines, spaces.
    write("csv", "header.csv", "x,y\n0.5,-1\n1e-3,2.5\n-0.25,0.125\n")
    write("csv", "labels.csv", "x,y,label\n0.1,0.2,0\n0.3,0.4,1\n-0.5,0.6,2\n0.7,-0.8,1\n")
    write("csv", "crlf_bom.csv", "\ufeff1.5,2\r\n\r\n  3 , -4\r\n5,6.25e1\r\n")
    write("csv", "three_d.csv", "a,b,c\n1,2,3\n4,5,6\n\n7,8,9")

    # sklearn-style digits CSV (data/digits.hpp): 65 whole numbers a line, the pixels 0..16, the label.
    rows = [images(3, 8, 17)[64 * n:64 * (n + 1)] + [n] for n in range(3)]
    write("digits_csv", "three.csv", "".join(",".join(map(str, r)) + "\n" for r in rows))
    write("digits_csv", "crlf.csv", "\r\n".join(",".join(map(str, r)) for r in rows[:2]))

    # IDX files: labels, and images of both sizes the loaders take.
    labels = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3]
    write("idx", "labels.idx", idx(1, [10], labels))
    write("idx", "digits_images.idx", idx(3, [2, 8, 8], images(2, 8, 17)))
    write("idx", "fashion_image.idx", idx(3, [1, 28, 28], images(1, 28, 256)))

    # Image sets from IDX pairs (fuzz_image_idx.cpp): the image file's length (2 bytes, big-endian),
    # the image file, the label file.
    def pair(image_file, label_file):
        return struct.pack(">H", len(image_file)) + image_file + label_file
    write("image_idx", "digits.bin", pair(idx(3, [3, 8, 8], images(3, 8, 17)), idx(1, [3], [0, 7, 9])))
    write("image_idx", "fashion.bin", pair(idx(3, [1, 28, 28], images(1, 28, 256)), idx(1, [1], [8])))

    # The page's URL hash (web/src/state.js): one link per line of a seed file.
    write("state_hash", "points.txt", "#dataset=circles&hidden=64&layers=4&lr=0.003&schedule=cosine\n"
          "#timesteps=250&betaStart=0.0005&zeroSnr=true&prediction=v&sampler=ddpm&samplerSteps=50\n"
          "#dataset=gaussians8&conditional=true&classLabel=3&guidance=2.5&metric=mmd\n")
    write("state_hash", "images.txt", "#dataset=digits\n#dataset=digits&channels=32%2C64&guidance=3\n"
          "#dataset=digits&attention=1&groups=4&imageN=20&layersPerBlock=2&weights=raw\n")
    write("state_hash", "odd.txt", "#dataset=custom\n#hidden=abc&unknown=1&&=&seed=%zz\n"
          "dataset=moons&dataset=spirals\n#eta=1e999&steps=-1&batch=0x10&trainSize= 2000 \n")


if __name__ == "__main__":
    main()
