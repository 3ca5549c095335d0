"""README.md's command-line walkthrough runs as written: every ```sh block of its sections (all but
"Quick start", whose setup, start and test commands are CI's own job) is run in order in one
temporary directory with D set to this build's binary, must exit 0, and must print what the ```
block after it shows, line for line, up to the numbers: every number (counts, times, losses,
versions) becomes '#', runs of spaces one space, and 'threads' is 'thread' (the thread count the
first steps choose). Lines of a live progress display ("train: step ...", shown in the README as a
terminal shows them) and "..." are illustration, not output, and are skipped. So the README
cannot drift from the tool: a renamed flag, a new or lost line, or a reworded message fails here.

Smaller runs: with DIFFUSE_README_QUICK=1 (how CTest runs it), `train` runs 300 steps unless the
block sets --steps, examples/train_ddp.py runs 40 updates, and --n shrinks to a tenth (the shapes
are the same); without it, the README's commands run as printed (about two minutes). --print shows
the outputs, to refresh the README. `examples/` is the repository's folder.
"""
import os
import re
import subprocess
import sys

from cli_support import BINARY, enter_temp_dir

README = os.path.join(os.environ["DIFFUSE_SOURCE_DIR"], "README.md")
QUICK = os.environ.get("DIFFUSE_README_QUICK") == "1"
PRINT = "--print" in sys.argv
PROGRESS = re.compile(r"^(train|sample|elbo|eval|export): ")
# A number: thousands separators only between groups of three digits, so that the comma after a
# number ("600 steps/s," and "81.6 steps/s,") stays outside it either way.
NUMBER = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3}(?!\d))+|\d+)(?:\.\d+)*(?:[eE][-+]?\d+)?")


def blocks(text):
    """(commands, expected output lines) for each sh block outside Quick start."""
    out, section = [], ""
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("## "):
            section = line[3:]
        if line.strip() == "```sh" and section != "Quick start":
            j = lines.index("```", i + 1)
            commands = lines[i + 1:j]
            k = j + 1
            while k < len(lines) and lines[k].strip() == "":
                k += 1
            expected = []
            if k < len(lines) and lines[k].strip() == "```":
                end = lines.index("```", k + 1)
                expected = lines[k + 1:end]
                j = end
            out.append((commands, expected))
            i = j
        i += 1
    return out


def quick(command):
    if not QUICK:
        return command
    if re.match(r"\$D train\b", command) and "--steps" not in command and "--resume" not in command:
        command += " --steps 300"
    if re.match(r"\$D train --resume", command):
        command = re.sub(r"--steps \d+", "--steps 600", command)
    if "train_ddp.py" in command:  # 40 updates of torchrun: the same lines (five loss lines)
        command = re.sub(r"--steps \d+", "--steps 40", command)
    return re.sub(r"--n (\d+)", lambda m: f"--n {max(5, int(m.group(1)) // 10)}", command)


def in_repository(command):
    """examples/... is the repository's (the blocks run in a temporary directory)."""
    return re.sub(r"(?<![\w/])examples/", os.path.join(os.environ["DIFFUSE_SOURCE_DIR"], "examples") + "/", command)


def shape(line):
    line = NUMBER.sub("#", line)
    line = re.sub(r"\bthreads\b", "thread", line)
    return re.sub(r"\s+", " ", line).strip()


def expected_shapes(lines):
    return [shape(l) for l in lines if l.strip() and l.strip() != "..." and not PROGRESS.match(l)]


enter_temp_dir()
env = dict(os.environ, D=BINARY)
checked = 0
for commands, expected in blocks(open(README).read()):
    # D=build/bin/diffuse in the README is this build's binary here (the environment's D).
    script = "\n".join(in_repository(quick(c)) for c in commands if c.strip() and not c.startswith("D="))
    r = subprocess.run(["bash", "-ec", script], capture_output=True, text=True, env=env, timeout=1800)
    assert r.returncode == 0, f"README block failed ({r.returncode}):\n{script}\n{r.stderr}"
    checked += 1
    if PRINT:  # refreshing the README: show, do not judge
        print(f"$ {script}\n{r.stdout}")
        continue
    got = [shape(l) for l in r.stdout.split("\n") if l.strip()]
    want = expected_shapes(expected)
    assert got == want, "README block prints another shape:\n" + script + "\n" + "\n".join(
        f"  {'ok ' if a == b else 'BAD'} want: {a!r}\n      got:  {b!r}"
        for a, b in zip(want + [''] * max(0, len(got) - len(want)), got + [''] * max(0, len(want) - len(got))))
    print(f"ok: {commands[0][:70]}{' ...' if len(commands) > 1 else ''}")
assert checked >= 5, f"only {checked} README blocks found"
print(f"ok: {checked} README blocks run and print what the README shows{' (quick sizes)' if QUICK else ''}")
