"""Bad arguments: a message naming the problem and the usage on stderr, exit code 2, nothing on
stdout. Help and version: exit 0."""
import subprocess
import sys

BINARY = sys.argv[1]


def run(*args):
    return subprocess.run([BINARY, *args], capture_output=True, text=True)


for args, expected in [
    (["schedule", "--schedule", "quadratic"], "quadratic"),
    (["schedule", "--timesteps", "1"], "timesteps = 1"),
    (["schedule", "--timesteps", "abc"], "abc"),
    (["schedule", "--beta-start", "0"], "beta_start = 0"),
    (["schedule", "--beta-end", "1.5"], "beta_end = 1.5"),
    (["schedule", "--beta-start", "0.05", "--beta-end", "0.01"], "beta_start = 0.05"),
    (["schedule", "--beta-end", "nan"], "nan"),
    (["schedule", "--schedule", "cosine", "--beta-start", "0.001"], "--beta-start"),
    (["schedule", "--format", "xml"], "xml"),
    (["schedule", "--unknown-flag"], "--unknown-flag"),
    (["frobnicate"], "frobnicate"),
    (["--frobnicate"], "unknown option '--frobnicate' before a command"),
    (["--threads", "2", "train"], "unknown option '--threads' before a command"),
    ([], "subcommand"),
]:
    r = run(*args)
    assert r.returncode == 2, (args, r.returncode, r.stderr)
    assert r.stdout == "", (args, r.stdout[:200])
    assert "diffuse: error:" in r.stderr and expected in r.stderr, (args, r.stderr)
    assert "Usage:" in r.stderr, (args, r.stderr)
    print("ok:", args)

for args in (["--help"], ["--version"], ["schedule", "--help"]):
    r = run(*args)
    assert r.returncode == 0 and r.stdout, (args, r.returncode, r.stderr)
assert "diffuse 0." in run("--version").stdout and "SIMD" in run("--version").stdout
print("ok: help and version")
