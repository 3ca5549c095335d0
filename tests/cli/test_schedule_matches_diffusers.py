"""`diffuse schedule` matches diffusers' definitions (python/diffuse_torch/diffusers_schedule.py) to
1e-5 relative in every column, for every kind, with and without zero terminal SNR, in CSV and
JSON; the CSV header is exactly the documented one."""
import csv
import io
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.environ["DIFFUSE_SOURCE_DIR"], "tests", "reference"))
import numpy as np  # noqa: E402
sys.path.insert(0, os.path.join(os.environ["DIFFUSE_SOURCE_DIR"], "python"))
from diffuse_torch.diffusers_schedule import schedule  # noqa: E402

BINARY = sys.argv[1]
HEADER = ("t,beta,alpha,alpha_bar,sqrt_alpha_bar,sqrt_one_minus_alpha_bar,posterior_variance,"
          "posterior_log_variance_clipped,posterior_mean_coef1,posterior_mean_coef2,snr")
RTOL = 1e-5


def run(*args):
    result = subprocess.run([BINARY, "schedule", *args], capture_output=True, text=True)
    assert result.returncode == 0, (args, result.stderr)
    return result.stdout


def compare(name, got, want, label):
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape, (label, name, got.shape, want.shape)
    bad = np.abs(got - want) > RTOL * np.abs(want)
    assert not bad.any(), f"{label} {name}: first mismatch at t={np.argmax(bad)}: " \
                          f"{got[bad][0]!r} vs diffusers {want[bad][0]!r}"


failures = 0
cases = [("linear", []), ("scaled_linear", ["--beta-start", "0.00085", "--beta-end", "0.012"]),
         ("cosine", []), ("sigmoid", [])]
for kind, extra in cases:
    for zero_snr in (False, True):
        args = ["--schedule", kind, "--timesteps", "1000", *extra] + (["--zero-snr"] if zero_snr else [])
        label = " ".join(args)
        b0 = float(extra[1]) if extra else 1e-4
        b1 = float(extra[3]) if extra else 0.02
        want = schedule(kind, 1000, b0, b1, zero_snr)
        text = run(*args)
        lines = text.splitlines()
        assert lines[0] == HEADER, lines[0]
        rows = list(csv.DictReader(io.StringIO(text)))
        assert [int(r["t"]) for r in rows] == list(range(1000))
        for field in HEADER.split(",")[1:]:
            values = [r[field] for r in rows]
            # at least 9 significant digits: shortest round-trip output never drops precision
            compare(field, [float(v) for v in values], want[field], label)
        js = json.loads(run(*args, "--format", "json"))
        assert js["schedule"] == kind and js["timesteps"] == 1000 and js["zero_terminal_snr"] == zero_snr
        for field in HEADER.split(",")[1:]:
            compare(field, js[field], want[field], label + " (json)")
        print("ok:", label)
print("all schedules match diffusers to", RTOL)
