"""A mutation fuzz of valid checkpoints through every command that reads one (issue 14, "What must
show": hundreds of random byte changes never crash or hang any command that reads it).

Small valid checkpoints (an MLP on moons, which stores its training set, its export, and a
conditional U-Net on digits when data/digits.csv.gz is present) are changed by seeded random mutations: one
byte set, one bit flipped, a run of bytes overwritten, bytes inserted or deleted, the file
truncated, and changes aimed at the JSON header (a digit of a number, a whole number replaced by an
extreme one, a character of a key) and at its 8-byte length. Header edits are also made with the
length field kept consistent, so that they reach the JSON and configuration checks rather than
stopping at the length. Each mutant goes through info, sample, train --resume, export, predict,
elbo, nll, eval and sweep, and the export's also through import --from torch (which reads an
export's tensors beside a configuration), each call kept small.

For every call:
- the process is not killed by a signal and exits 0, 1 or 2 (never 130 or a sanitizer's code);
  under the asan preset a sanitizer report aborts the process, so it shows as a signal here;
- it does not hang: the subprocess timeout (60 s) is hang detection, not a speed bound;
- stderr is UTF-8; a failure says so in exactly one "diffuse: error: ..." line, never "internal
  error" (an escaped std::bad_alloc or the like), and exit 2 adds the usage lines as
  test_bad_files.py expects; a success prints no error line;
- the mutant is byte-identical afterwards and no temporary file is left;
- exit 0 may happen (a mutation inside float data is a valid model, one in a padding space is
  harmless): then its outputs are checked to be well-formed (CSV/.npy shapes, a parseable
  safetensors file that info accepts, JSON output that parses); a non-zero exit writes nothing,
  except that train --resume of wild but finite weights may diverge, which (as documented) exits
  1 and writes the last good state: that output must then be a checkpoint info accepts.

DIFFUSE_MUTATION_SEED replays a seed (default 14); DIFFUSE_MUTANTS sets the MLP mutant count
(default 200, so 332 mutants in all with digits present; the export and the U-Net get a
third as many each), which the sanitizer stage lowers (scripts/test.sh).
The outcome counts per command and per mutation kind are printed."""
import json
import os
import random
import struct
import subprocess
import sys
from collections import Counter, defaultdict

import numpy as np

from cli_support import BINARY, enter_temp_dir, read_safetensors, snapshot, stray_files, tiny

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.environ.get("DIFFUSE_SOURCE_DIR", os.path.join(HERE, "..", ".."))
SEED = int(os.environ.get("DIFFUSE_MUTATION_SEED", "14"))
MLP_MUTANTS = int(os.environ.get("DIFFUSE_MUTANTS", "200"))
UNET_MUTANTS = EXPORT_MUTANTS = max(1, MLP_MUTANTS // 3)
HANG_TIMEOUT = 60  # seconds: hang detection only; every call here takes well under a second or two

enter_temp_dir()


def call(*args):
    return subprocess.run([BINARY, *map(str, args)], capture_output=True, timeout=HANG_TIMEOUT)


def make(*args):
    r = call(*args)
    assert r.returncode == 0, (args, r.stderr.decode(errors="replace"))


# ---- the valid checkpoints -------------------------------------------------------------------------
make("train", "--dataset", "moons", "--steps", "20", *tiny(), "--out", "mlp.safetensors")
make("export", "mlp.safetensors", "--out", "export.safetensors")  # what import --from torch reads
np.savetxt("x.csv", np.array([[0.1, 0.2], [-0.3, 0.4], [1.0, -1.0]]), delimiter=",", header="x,y",
           comments="")
digits = os.path.exists(os.path.join(os.environ.get("DIFFUSE_DATA_DIR") or os.path.join(SOURCE, "data"),
                                     "digits.csv.gz"))
if digits:
    make("train", "--dataset", "digits", "--conditional", "--steps", "4", "--channels", "8,16", "--groups", "4",
         "--layers-per-block", "1", "--batch", "8", "--warmup", "2", "-q", "--out", "unet.safetensors")
    np.save("x.npy", np.random.default_rng(0).normal(size=(2, 1, 8, 8)).astype(np.float32))
else:
    print("warning: data/digits.csv.gz is missing (run scripts/setup.sh): the U-Net checkpoint is not fuzzed")


def config_of(path):
    return json.loads(read_safetensors(path)[0]["config"])


for path in ["export.safetensors"]:
    with open(path[:-len(".safetensors")] + ".config.json", "w") as f:
        json.dump(config_of(path), f)


# ---- the commands ----------------------------------------------------------------------------------
def commands(kind, m):
    """(name, arguments, output file or None, check of the output on exit 0) for mutant m."""
    if kind in ("mlp", "export"):
        data, points, inputs, ext = "moons", ["--n", "4"], "x.csv", "csv"
        nll = ["--n", "2", "--tolerance", "0.01"]
        elbo = ["--n", "4"]
    else:
        data, points, inputs, ext = "digits", ["--n", "2"], "x.npy", "npy"
        nll = ["--n", "1", "--divergence", "hutchinson", "--probes", "1", "--tolerance", "0.1"]
        elbo = ["--n", "2", "--strata", "2"]
    calls = [
        ("info", ["info", m], None, None),
        ("info json", ["info", m, "--format", "json"], None, "json"),
        ("sample", ["sample", "--model", m, "-q", *points, "--steps", "2", "--out", f"s.{ext}"], f"s.{ext}", ext),
        ("train --resume", ["train", "--resume", m, "--steps", str(STEPS[kind] + 2), "-q", "--out", "r.safetensors"],
         "r.safetensors", "checkpoint"),
        ("export", ["export", m, "--out", "e.safetensors"], "e.safetensors", "checkpoint"),
        ("predict", ["predict", "--model", m, "--t", "3", "--in", inputs, "--out", f"p.{ext}"], f"p.{ext}", ext),
        ("elbo", ["elbo", "--model", m, "--dataset", data, *elbo, "--format", "json", "-q"], None, "json"),
        ("nll", ["nll", "--model", m, "--dataset", data, *nll, "--format", "json", "-q"], None, "json"),
        ("eval", ["eval", "--model", m, "--dataset", data, *points, "--steps", "2", "--format", "json", "-q"],
         None, "json"),
        ("sweep", ["sweep", "--model", m, "--dataset", data, *points, "--samplers", "ddim", "--budgets", "2",
                   "--format", "json", "-q"], None, "json"),
    ]
    if kind == "export":
        # import reads a safetensors file of tensors under diffuse's names beside a configuration,
        # as an export holds them: the mutant as the tensors, the valid export's configuration.
        calls.append(("import --from torch", ["import", "--from", "torch", m, "--config", "export.config.json",
                                              "--out", "i.safetensors"], "i.safetensors", "checkpoint"))
    return calls


STEPS = {"mlp": 20, "export": 20, "unet": 4}
OUTPUTS = ["s.csv", "s.npy", "r.safetensors", "e.safetensors", "p.csv", "p.npy", "i.safetensors"]


def check_output(check, path, stdout):
    """The outputs of a call that exited 0 are well-formed."""
    if check == "json":
        json.loads(stdout)
    elif check == "csv":
        values = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
        assert values.ndim == 2 and values.shape[0] in (3, 4), values.shape
    elif check == "npy":
        values = np.load(path)
        assert values.shape[0] == 2 and values.shape[1:] == (1, 8, 8), values.shape
    elif check == "checkpoint":
        read_safetensors(path)
        r = call("info", path)
        assert r.returncode == 0, ("info of the output", r.stderr.decode(errors="replace"))


def check_call(r, output, check, m, before):
    """Every rule of the docstring for one finished call; raises AssertionError."""
    assert r.returncode >= 0, ("killed by signal", -r.returncode, r.stderr.decode(errors="replace")[-3000:])
    assert r.returncode in (0, 1, 2), ("exit code", r.returncode)
    err = r.stderr.decode("utf-8")  # raises on invalid UTF-8
    said = [line for line in err.splitlines() if line.startswith(("diffuse: error", "diffuse: internal"))]
    assert not any("internal error" in line for line in said), err
    if r.returncode == 0:
        assert not said, err
        check_output(check, output, r.stdout.decode("utf-8"))
    else:
        assert len(said) == 1 and said[0].startswith("diffuse: error: "), err
        assert r.stdout.decode("utf-8") == "" or r.returncode == 1, r.stdout[:300]
        if r.returncode == 1 and "training diverged" in said[0]:
            # A mutant whose weights are finite but wild can diverge when resumed: as documented,
            # exit 1 with the last good state written to --out, which must then be a checkpoint.
            check_output(check, output, "")
        else:
            assert output is None or not os.path.exists(output), ("written on failure", output)
        if r.returncode == 2:
            assert "Usage:" in err, err
    assert snapshot([m]) == before, "the mutant changed"
    assert not stray_files(), stray_files()


# ---- the mutations ---------------------------------------------------------------------------------
EXTREMES = ["0", "-1", "1", "2", "-2147483649", "4294967297", "4294968296", "9223372036854775807",
            "18446744073709551616", "1e308", "1e999", "-1e308", "1.5", "0.000001", "65536", "16384",
            "2000000000", "null", "true", "\"x\"", "[]", "{}", "NaN"]


def header_span(blob):
    (n,) = struct.unpack("<Q", blob[:8])
    return 8, 8 + n


def with_header(blob, text):
    """blob with its JSON header replaced by text and the length field set to match."""
    begin, end = header_span(blob)
    return struct.pack("<Q", len(text)) + text + blob[end:]


def mutate(blob, rng):
    """One seeded mutation: (kind, mutant bytes)."""
    begin, end = header_span(blob)
    header = blob[begin:end]
    kind = rng.choice(["byte", "bit", "run", "insert", "delete", "truncate", "header byte", "header digit",
                       "header number", "header key", "header length", "header edit, length kept"])
    b = bytearray(blob)
    if kind in ("byte", "header byte"):
        i = rng.randrange(begin, end) if kind == "header byte" else rng.randrange(len(b))
        b[i] = (b[i] + rng.randrange(1, 256)) % 256
    elif kind == "bit":
        i = rng.randrange(len(b))
        b[i] ^= 1 << rng.randrange(8)
    elif kind == "run":
        i = rng.randrange(len(b))
        n = rng.randrange(2, 65)
        fill = rng.choice([bytes([0]) * n, bytes([255]) * n, bytes(rng.randrange(256) for _ in range(n))])
        b[i:i + n] = fill[:len(b) - i]
    elif kind == "insert":
        i = rng.randrange(len(b) + 1)
        b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 17)))
    elif kind == "delete":
        i = rng.randrange(len(b))
        del b[i:i + rng.randrange(1, 17)]
    elif kind == "truncate":
        del b[rng.randrange(len(b)):]
    elif kind == "header digit":
        digits_at = [i for i in range(begin, end) if chr(b[i]).isdigit()]
        i = rng.choice(digits_at)
        b[i] = ord(rng.choice("0123456789".replace(chr(b[i]), "")))
    elif kind == "header length":
        (n,) = struct.unpack("<Q", blob[:8])
        choice = rng.randrange(4)
        if choice == 0:
            n = max(0, n + rng.choice([-9, -8, -1, 1, 7, 8, 1000]))
        elif choice == 1:
            n = rng.randrange(2**64)
        elif choice == 2:
            n = rng.choice([0, 1, 2**31, 2**32, 2**63, 2**64 - 1, 2**64 - 8, len(blob) - 8, len(blob)])
        else:
            b[rng.randrange(8)] = rng.randrange(256)
            return kind, bytes(b)
        b[:8] = struct.pack("<Q", n)
    elif kind in ("header number", "header key", "header edit, length kept"):
        text = bytearray(header)
        if kind == "header number":
            numbers = [i for i in range(len(text)) if chr(text[i]).isdigit() and not chr(text[i - 1]).isdigit()]
            i = rng.choice(numbers)
            j = i
            while j < len(text) and (chr(text[j]).isdigit() or text[j] in b".eE+-"):
                j += 1
            text[i:j] = rng.choice(EXTREMES).encode()
        elif kind == "header key":
            quotes = [i for i in range(len(text)) if text[i] == ord('"')]
            i = rng.choice(quotes)
            k = min(len(text) - 1, i + rng.randrange(1, 6))
            text[k] = ord(rng.choice("abcdefghijklmnopqrstuvwxyz_.\"\\{}[],:0"))
        else:
            i = rng.randrange(len(text))
            op = rng.randrange(3)
            if op == 0:
                del text[i:i + rng.randrange(1, 9)]
            elif op == 1:
                text[i:i] = rng.choice([b"0", b"9", b"-", b"\"", b"\\", b",", b"{", b"]", b"e9", b"\\u0000", b"\xff"])
            else:
                text[i] = rng.randrange(32, 127)
        return kind, with_header(blob, bytes(text))
    return kind, bytes(b)


# ---- the run ---------------------------------------------------------------------------------------
rng = random.Random(SEED)
outcomes = defaultdict(Counter)   # command -> exit code counts
by_kind = defaultdict(Counter)    # mutation kind -> exit codes of its calls
failures = []
total_calls = 0
print(f"seed {SEED} (DIFFUSE_MUTATION_SEED replays it); {MLP_MUTANTS} MLP checkpoint mutants, "
      f"{EXPORT_MUTANTS} MLP export mutants" + (f", {UNET_MUTANTS} U-Net checkpoint mutants" if digits else ""))
for kind, count in [("mlp", MLP_MUTANTS), ("export", EXPORT_MUTANTS)] + ([("unet", UNET_MUTANTS)] if digits else []):
    valid = open(f"{kind}.safetensors", "rb").read()
    for index in range(count):
        mutation, blob = mutate(valid, rng)
        if blob == valid:
            continue
        m = f"mutant_{kind}.safetensors"
        with open(m, "wb") as f:
            f.write(blob)
        before = snapshot([m])
        for name, args, output, check in commands(kind, m):
            for path in OUTPUTS:
                if os.path.exists(path):
                    os.remove(path)
            total_calls += 1
            try:
                r = call(*args)
            except subprocess.TimeoutExpired:
                r = None
            outcomes[f"{kind} {name}"][r.returncode if r else "hang"] += 1
            by_kind[mutation][r.returncode if r else "hang"] += 1
            try:
                assert r is not None, ("hang: no exit within", HANG_TIMEOUT, "s")
                check_call(r, output, check, m, before)
            except (AssertionError, UnicodeDecodeError, ValueError, OSError) as e:
                failures.append((kind, index, mutation, name, e))
                print(f"FAIL: {kind} mutant {index} ({mutation}), {name}: {str(e)[:2000]}")
                for path in stray_files():
                    os.remove(path)


def table(title, rows):
    print(title)
    codes = ["0", "1", "2", "other"]
    print(f"  {'':36} " + " ".join(f"{'exit ' + c:>9}" for c in codes))
    for label, counter in sorted(rows.items()):
        other = sum(v for k, v in counter.items() if k not in (0, 1, 2))
        print(f"  {label:36} " + " ".join(f"{n:>9}" for n in [counter[0], counter[1], counter[2], other]))


table("outcomes per command:", outcomes)
table("outcomes per mutation kind (calls):", by_kind)
print(f"{total_calls} calls")
if failures:
    print(f"{len(failures)} failures (seed {SEED}: the mutant index and kind above replay them)")
    sys.exit(1)
print("no crash, no hang, no internal error, inputs untouched, nothing stray; exit 0 outputs well-formed")
