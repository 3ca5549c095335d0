"""Bad files through every command that reads them (issue 14, "Bad input everywhere"): CSV data
sets, checkpoints broken in every part of the safetensors layout, and outputs that cannot be
written. Each bad case must exit 2 with a one-line "diffuse: error: ..." naming the problem,
create no file, leave a pre-existing output byte for byte as it was and leave no temporary file.
CRLF line ends, a UTF-8 byte-order mark and very large (finite) values are not bad: they must
simply work. test_command_errors.py has the bad arguments; this file has the bad files."""
import json
import os
import struct

import numpy as np

from cli_support import TINY, assert_usage_error, tiny, enter_temp_dir, run, snapshot, stray_files, train_tiny

enter_temp_dir()


def write(name, data):
    with open(name, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    return name


# ---- CSV data sets ---------------------------------------------------------------------------------
POINTS = "".join(f"{np.cos(i):.4f},{np.sin(i):.4f}\n" for i in range(40))
BAD_CSV = {  # file: (bytes, words the message must contain)
    "empty.csv": ("", "empty"),
    "header_only.csv": ("x,y\n", "no data rows"),
    "one_point.csv": ("x,y\n1,2\n", "1 point"),
    "nan.csv": ("x,y\n" + POINTS + "1,nan\n", "'nan'"),
    "inf.csv": ("x,y\n" + POINTS + "-inf,1\n", "'-inf'"),
    "float32_overflow.csv": ("x,y\n" + POINTS + "1e39,1\n", "'1e39'"),
    "garbage.csv": ("x,y\n" + POINTS + "1,two\n", "'two'"),
    "ragged.csv": ("x,y\n1,2\n3\n" + POINTS, "line 3"),
    "three_columns.csv": ("a,b,c\n" + "".join(f"{i},{i % 7},{i % 3}\n" for i in range(40)), "3 columns"),
    "semicolons.csv": ("x;y\n" + POINTS.replace(",", ";"), "semicolons.csv"),
    "binary.csv": (bytes(range(256)) * 4, "not a text file"),
    "nul_inside.csv": (("x,y\n" + POINTS).encode() + b"1,2\x003\n", "not a text file"),
    "bom_in_middle.csv": ("x,y\n" + POINTS + "\ufeff1,2\n", "line 42"),
}
for name, (content, _) in BAD_CSV.items():
    write(name, content)
os.mkdir("folder.csv")
BAD_CSV["folder.csv"] = (None, "directory")
BAD_CSV["missing.csv"] = (None, "missing.csv")

# Not bad: CRLF, a byte-order mark (with and without a header), and values near float32's range.
# Each trains and samples finite points (the value 1e30 trains: the normalization's statistics
# are accumulated in double, so its square does not overflow).
GOOD_CSV = {
    "crlf.csv": "x,y\r\n" + POINTS.replace("\n", "\r\n"),
    "bom.csv": "\ufeffx,y\n" + POINTS,
    "bom_no_header.csv": "\ufeff" + POINTS,
    "bom_crlf_no_header.csv": "\ufeff" + POINTS.replace("\n", "\r\n"),
    "large_values.csv": "x,y\n" + POINTS + "1e30,-1e30\n",
}
for name, content in GOOD_CSV.items():
    write(name, content)

# ---- checkpoints -----------------------------------------------------------------------------------
train_tiny("good.safetensors")
run("export", "good.safetensors", "--out", "export.safetensors", check=True)
GOOD = open("good.safetensors", "rb").read()
(HEADER_LENGTH,) = struct.unpack("<Q", GOOD[:8])
HEADER = json.loads(GOOD[8:8 + HEADER_LENGTH])
DATA = GOOD[8 + HEADER_LENGTH:]


def layout(header, data=DATA, length=None):
    """A safetensors file around a header dictionary (padded to 8 bytes as the format asks), with
    its true header length or the one given; "past" is one byte more than the rest of the file."""
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    n = {None: len(text), "past": len(text) + len(data) + 1}.get(length, length)
    return struct.pack("<Q", n) + text + data


def changed(tensor, **fields):
    header = json.loads(json.dumps(HEADER))
    header[tensor].update(fields)
    return layout(header)


first = "layers.0.weight"
begin, end = HEADER[first]["data_offsets"]
unet = json.loads(HEADER["__metadata__"]["config"])
unet["model"] = {"kind": "unet", "channels": [8, 16], "resnets_per_level": 1, "groups": 4,
                 "attention": [False, False]}
other_model = json.loads(json.dumps(HEADER))
other_model["__metadata__"]["config"] = json.dumps(unet)
unknown_section = json.loads(json.dumps(HEADER))
config = json.loads(HEADER["__metadata__"]["config"])
config["model"]["kind"] = "transformer"
unknown_section["__metadata__"]["config"] = json.dumps(config)
no_config = json.loads(json.dumps(HEADER))
del no_config["__metadata__"]["config"]

BAD_CHECKPOINTS = {  # file: (bytes, words the message must contain)
    "zero_length.safetensors": (b"", "0 bytes"),
    "header_past_file.safetensors": (layout(HEADER, length="past"), "runs past the end"),
    "header_near_2_64.safetensors": (layout(HEADER, length=2**64 - 8), "header"),
    "header_not_json.safetensors": (struct.pack("<Q", 16) + b"{not json at all" + DATA, "JSON"),
    "header_json_array.safetensors": (struct.pack("<Q", 8) + b"[1,2,3] " + DATA, "header"),
    "wrong_dtype.safetensors": (changed(first, dtype="I64"), first),
    "unknown_dtype.safetensors": (changed(first, dtype="Q7"), "Q7"),
    "wrong_shape.safetensors": (changed(first, shape=[16, 33]), first),
    "offsets_past_data.safetensors": (changed(first, data_offsets=[len(DATA) - 8, len(DATA) + 2168]), first),
    "offsets_reversed.safetensors": (changed(first, data_offsets=[end, begin]), first),
    "offsets_overlap.safetensors": (changed("layers.0.bias", data_offsets=[begin, begin + 64]), "overlap"),
    "offsets_size_mismatch.safetensors": (changed(first, data_offsets=[begin, end - 4]), first),
    "other_architecture.safetensors": (layout(other_model), "unknown field"),
    "unknown_model_kind.safetensors": (layout(unknown_section), "transformer"),
    "no_config.safetensors": (layout(no_config), "config"),
    "foreign.safetensors": (layout({"__metadata__": {"format": "pt"},
                                    "weight": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}},
                                   data=b"\0" * 8), "not a diffuse checkpoint"),
}
# Truncated at many lengths: inside the length field, inside the header, at its end, and at
# sixteen places through the tensors (each a different tensor's bytes cut short).
for cut in [1, 7, 8, 9, 100, 8 + HEADER_LENGTH - 1, 8 + HEADER_LENGTH] + \
        [8 + HEADER_LENGTH + len(DATA) * k // 16 for k in range(1, 16)] + [len(GOOD) - 1]:
    BAD_CHECKPOINTS[f"truncated_{cut}.safetensors"] = (GOOD[:cut], "")
for name, (content, _) in BAD_CHECKPOINTS.items():
    write(name, content)
os.mkdir("folder.safetensors")
BAD_CHECKPOINTS["folder.safetensors"] = (None, "directory")
BAD_CHECKPOINTS["missing.safetensors"] = (None, "missing.safetensors")

# ---- the cases -------------------------------------------------------------------------------------
EXISTING = "existing.csv"
write(EXISTING, "precious bytes\n")
write("x.csv", "0.1,0.2\n0.3,0.4\n")
write("readonly.safetensors", b"read-only bytes")
os.chmod("readonly.safetensors", 0o444)
os.mkdir("out_folder.csv")

train = ["train", *tiny(train_size=None), "--steps", "3"]
cases = []
NOT_BAD_FOR = {"one_point.csv": ("elbo", "predict"),  # one point is a test set / an input
               "three_columns.csv": ("train",)}       # 3D data trains a 3D model
for name, (_, expected) in BAD_CSV.items():
    for command in [train + ["--dataset", name, "--out", "o.safetensors"],
                    ["elbo", "--model", "good.safetensors", "--dataset", name, "-q"],
                    ["predict", "--model", "good.safetensors", "--t", "3", "--in", name, "--out", EXISTING]]:
        if command[0] not in NOT_BAD_FOR.get(name, ()):
            cases.append((command, expected, "o.safetensors" if command[0] == "train" else None))
for name, (_, expected) in BAD_CHECKPOINTS.items():
    cases += [
        (["info", name], expected, None),
        (["sample", "--model", name, "-q", "--n", "4", "--out", EXISTING], expected, None),
        (["train", "--resume", name, "--out", "o.safetensors"], expected, "o.safetensors"),
        (["export", name, "--out", "e.safetensors"], expected, "e.safetensors"),
        (["predict", "--model", name, "--t", "3", "--in", "x.csv", "--out", "p.csv"], expected, "p.csv"),
        (["elbo", "--model", name, "--dataset", "moons", "-q"], expected, None),
    ]
# Outputs that cannot be written: into a missing folder, onto a folder, onto a read-only file, an
# unknown or missing extension. Each command that writes a file.
sample = ["sample", "--model", "good.safetensors", "-q", "--n", "4"]
for command, extension in [(sample, "csv"), (train + ["--dataset", "moons"], "safetensors"),
                           (["export", "good.safetensors"], "safetensors"),
                           (["data", "--dataset", "moons", "--n", "10"], "csv")]:
    cases += [
        (command + ["--out", f"no_such_folder/o.{extension}"], "no_such_folder", f"no_such_folder/o.{extension}"),
        (command + ["--out", "out_folder.csv" if extension == "csv" else "folder.safetensors"], "directory", None),
        (command + ["--out", "o.unknown"], ".unknown", "o.unknown"),
        (command + ["--out", "o"], "extension", "o"),
    ]
cases.append((train + ["--dataset", "moons", "--out", "readonly.safetensors"], "read-only", None))
cases.append((["export", "good.safetensors", "--out", "readonly.safetensors"], "read-only", None))

watched = ["o.safetensors", "e.safetensors", "p.csv", "o.unknown", "o", EXISTING, "readonly.safetensors",
           "good.safetensors", "export.safetensors", "x.csv"]
before = snapshot(watched)
failures = 0
for args, expected, output in cases:
    r = run(*args, timeout=120)
    try:
        assert r.returncode >= 0, ("killed by signal", -r.returncode, args)
        assert_usage_error(r, expected, args)
        assert snapshot(watched) == before, ("files changed", args)
        assert output is None or not os.path.exists(output), (args, output)
        assert not stray_files(), (args, stray_files())
    except AssertionError as e:
        failures += 1
        print("FAIL:", e)
        continue
    print("ok:", " ".join(args[:3]), "...", r.stderr.splitlines()[0][len("diffuse: error: "):][:100])

# The inputs that are not bad: each trains, and its samples are finite.
for name in GOOD_CSV:
    r = run("train", *tiny(train_size=None), "--steps", "3", "--dataset", name, "--out", "good_csv.safetensors")
    s = run("sample", "--model", "good_csv.safetensors", "-q", "--n", "8", "--steps", "5", "--out", "s.csv")
    try:
        assert r.returncode == 0, (name, r.stderr)
        assert s.returncode == 0, (name, s.stderr)
        points = np.loadtxt("s.csv", delimiter=",", skiprows=1, ndmin=2)
        assert points.shape == (8, 2) and np.isfinite(points).all(), (name, points)
    except AssertionError as e:
        failures += 1
        print("FAIL:", e)
        continue
    print("ok: works:", name)

assert failures == 0, f"{failures} of {len(cases) + len(GOOD_CSV)} cases failed"
print(f"all {len(cases)} bad-file cases: exit 2, one line naming the problem, nothing written; "
      f"{len(GOOD_CSV)} unusual but good files work")
