"""Memory over long native runs (issue 14, "Long runs"): a benchmark, never a test. Trains the
reference workload (`diffuse train --dataset moons`, default model) for 1,000,000 steps and samples
1,000,000 points (DDIM 50, in chunks), reading the process's resident set (VmRSS) and its peak
(VmHWM) from /proc at intervals, with the step the progress line shows. Memory is flat when the
resident set at the end is within a small slack of what it was after the first tenth of the run:
whatever a step or a chunk allocates is given back.

    /usr/bin/python3 bench/long_run_memory.py [--binary build/bin/diffuse] [--steps 1000000]
        [--n 1000000] [--every 10] [--json out.json]

Prints a markdown table per run for docs/benchmarks.md ("Memory over long runs")."""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STEP = re.compile(r"step (\d+)/")


def status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return None


def watch(command, every, label):
    """Runs `command`, reading VmRSS/VmHWM every `every` seconds and the last progress step; returns
    the readings [(seconds, step, rss KiB, hwm KiB)] and the exit code."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    last = {"step": 0, "tail": b""}

    def read_progress():  # progress lines end in "\n" when stderr is not a terminal
        for line in process.stderr:
            last["tail"] = line
            match = STEP.search(line.decode(errors="replace"))
            if match:
                last["step"] = int(match.group(1))

    reader = threading.Thread(target=read_progress, daemon=True)
    reader.start()
    start, readings = time.time(), []
    while process.poll() is None:
        try:
            rss, hwm = status_kib(process.pid, "VmRSS"), status_kib(process.pid, "VmHWM")
        except OSError:
            break
        if rss is not None:
            readings.append((time.time() - start, last["step"], rss, hwm))
            print(f"{label}: {readings[-1][0]:7.0f} s  step {last['step']:>9}  RSS {rss / 1024:7.1f} MiB  "
                  f"peak {hwm / 1024:7.1f} MiB", file=sys.stderr, flush=True)
        time.sleep(every)
    reader.join(timeout=10)
    if process.returncode != 0:
        sys.exit(f"{label} failed ({process.returncode}): {last['tail'].decode(errors='replace')}")
    return readings


def verdict(readings):
    """RSS after the first tenth of the run, at the end, and the largest growth after that tenth."""
    tenth = [r for r in readings if r[0] >= readings[-1][0] / 10] or readings
    early, end = tenth[0][2], readings[-1][2]
    grown = max(r[2] for r in tenth) - early
    return early, end, grown


def table(label, readings, points=8):
    rows = [readings[round(i * (len(readings) - 1) / (points - 1))] for i in range(points)]
    early, end, grown = verdict(readings)
    lines = [f"**{label}**", "", "| time | step | RSS | peak RSS (VmHWM) |", "|---|---|---|---|"]
    for seconds, step, rss, hwm in rows:
        lines.append(f"| {seconds:.0f} s | {step:,} | {rss / 1024:.1f} MiB | {hwm / 1024:.1f} MiB |")
    lines += ["", f"RSS after the first tenth {early / 1024:.1f} MiB, at the end {end / 1024:.1f} MiB; largest "
              f"growth after the first tenth {grown / 1024:.1f} MiB.", ""]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=os.path.join(ROOT, "build", "bin", "diffuse"))
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--every", type=float, default=10)
    parser.add_argument("--json")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="diffuse-long-run-") as work:
        model = os.path.join(work, "long.safetensors")
        train = [args.binary, "train", "--dataset", "moons", "--steps", str(args.steps), "--save-every", "100000",
                 "--out", model]
        results["train"] = watch(train, args.every, "train")
        sample = [args.binary, "sample", "--model", model, "--n", str(args.n), "--sampler", "ddim", "--steps", "50",
                  "--out", os.path.join(work, "samples.npy")]
        results["sample"] = watch(sample, args.every / 5, "sample")
    print(table(f"`diffuse train --dataset moons --steps {args.steps:,} --save-every 100000`", results["train"]))
    print(table(f"`diffuse sample --n {args.n:,} --sampler ddim --steps 50` (chunks of 16,384 rows)",
                results["sample"]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": os.uname().nodename, "args": vars(args), "readings": results}, f)


if __name__ == "__main__":
    main()
