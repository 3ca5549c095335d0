#!/usr/bin/python3
"""PyTorch reference for diffuse's reference workload (docs/reference-workload.md).

Run with Debian's /usr/bin/python3 (torch 1.13, numpy 1.24). Subcommands:

  data    write a built-in data set to CSV (NumPy generator of the spec's definitions)
  train   train the MLP denoiser; save EMA + raw weights as safetensors (and checkpoints on the way)
  sample  DDPM (all T steps) or DDIM (50 steps, eta 0, trailing) with the EMA weights -> CSV in data units
  eval    energy distance (V- and U-statistics) between samples and fresh data, with the
          data-versus-data baseline at the same sample size
  nll     the NLL upper bound (negative ELBO, improved-diffusion's calc_bpd_loop semantics),
          and for a Gaussian-mixture data set the exact NLL and the gap; --draws K averages K
          draws of x_t per (test point, t) (K = 1: calc_bpd_loop's single draw, unchanged)
  bench   training steps/s and sampling times, each BLAS configuration in its own subprocess

Data: `--dataset NAME` uses the built-in generator (seed S, one random stream per purpose: see
torchref/toy2d.py); `--data-csv PATH` reads points exported by the C++ CLI
(`build/bin/diffuse data --dataset NAME --n N --seed S --out F.csv`) or any CSV.
Each subcommand takes --json PATH to write its results.
"""
import argparse
import dataclasses
import json
import math
import os
import pathlib
import statistics
import subprocess
import sys
import time

import numpy as np
import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from torchref import checkpoint, elbo, energy, envinfo, samplers, schedule, toy2d  # noqa: E402
from torchref.model import MlpDenoiser, ModelConfig, parameter_count  # noqa: E402
from torchref.training import TrainConfig, Trainer, train  # noqa: E402


def write_json(path, obj):
    if path is None:
        return
    text = json.dumps(obj, indent=2, default=float) + "\n"
    if path == "-":
        sys.stdout.write(text)
    else:
        pathlib.Path(path).parent.mkdir(parents=True, exist_ok=True)
        pathlib.Path(path).write_text(text)


def load_points(args, n, stream, csv_attr="data_csv"):
    """Data from --data-csv (all rows, or the first n when n is given) or from the built-in
    generator (--dataset, --seed, the given stream). Returns (points (N, D) float64, source)."""
    csv = getattr(args, csv_attr, None)
    if csv:
        x = toy2d.read_csv(csv)
        if n is not None:
            if len(x) < n:
                raise ValueError(f"{csv}: {len(x)} rows, {n} needed")
            x = x[:n]
        return x, {"csv": csv}
    if not args.dataset:
        raise ValueError("give --dataset NAME or --data-csv PATH")
    return (toy2d.make_dataset(args.dataset, n, args.seed, stream),
            {"dataset": args.dataset, "seed": args.seed, "stream": stream})


# --- data ----------------------------------------------------------------------------------------

def cmd_data(args):
    x = toy2d.make_dataset(args.dataset, args.n, args.seed, args.stream)
    toy2d.write_csv(args.out, x)


# --- train ---------------------------------------------------------------------------------------

def cmd_train(args):
    if args.threads:
        torch.set_num_threads(args.threads)
    sched_cfg = {"kind": args.schedule, "timesteps": args.timesteps,
                 "beta_start": args.beta_start, "beta_end": args.beta_end}
    sched = schedule.make_schedule(args.schedule, args.timesteps, args.beta_start, args.beta_end)
    train_x, source = load_points(args, None if args.data_csv else args.n_train, toy2d.STREAM_TRAIN)
    mean, std = toy2d.normalization(train_x)
    train_norm = (train_x - mean) / std

    model_cfg = ModelConfig(data_dim=train_x.shape[1], emb_dim=args.emb_dim, hidden=args.hidden,
                            layers=args.layers, activation=args.activation,
                            time_proj=args.time_proj, residual=args.residual,
                            timesteps=args.timesteps)
    train_cfg = TrainConfig(steps=args.steps, batch=args.batch, lr=args.lr, warmup=args.warmup,
                            weight_decay=args.weight_decay, clip=args.clip, ema=args.ema,
                            seed=args.seed)
    torch.manual_seed(args.seed)  # the weights' init
    model = MlpDenoiser(model_cfg)
    trainer = Trainer(model, sched, train_norm, train_cfg)
    name = args.dataset or pathlib.Path(args.data_csv).stem
    out = pathlib.Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    save_at = {int(s) for s in args.save_at.split(",") if s} if args.save_at else set()
    saved = []

    def on_step(k, tr):
        if k % args.log_every == 0:
            print(f"step {k}/{train_cfg.steps}", file=sys.stderr)
        if k in save_at and k != train_cfg.steps:
            path = out.with_name(f"{out.stem}.step{k}{out.suffix}")
            checkpoint.save_checkpoint(path, model, tr.ema_params, train_cfg, sched_cfg, mean, std,
                                       k, name)
            saved.append({"step": k, "path": str(path)})

    wall0 = time.perf_counter()
    history, step_time = train(trainer, on_step, log_every=args.log_every)
    wall = time.perf_counter() - wall0
    checkpoint.save_checkpoint(out, model, trainer.ema_params, train_cfg, sched_cfg, mean, std,
                               trainer.k, name)
    saved.append({"step": trainer.k, "path": str(out)})
    result = {
        "command": "train", "source": source, "n_train": len(train_x),
        "normalization_mean": mean.tolist(), "normalization_std": std.tolist(),
        "model_config": dataclasses.asdict(model_cfg), "train_config": dataclasses.asdict(train_cfg),
        "schedule": sched_cfg, "parameters": parameter_count(model),
        "final_loss_mean_last_log": history[-1]["loss"], "loss_history": history,
        "seconds_steps": step_time, "seconds_wall": wall, "steps_per_second": train_cfg.steps / step_time,
        "checkpoints": saved, "environment": envinfo.environment(),
    }
    print(f"trained {train_cfg.steps} steps in {wall:.1f} s ({result['steps_per_second']:.0f} steps/s), "
          f"last loss {history[-1]['loss']:.4f} -> {out}", file=sys.stderr)
    write_json(args.json, result)


# --- sample --------------------------------------------------------------------------------------

def cmd_sample(args):
    if args.threads:
        torch.set_num_threads(args.threads)
    model, info = checkpoint.load_checkpoint(args.checkpoint, args.weights)
    sc = info["schedule"]
    sched = schedule.make_schedule(sc["kind"], sc["timesteps"], sc["beta_start"], sc["beta_end"])
    gen = torch.Generator().manual_seed(args.seed)
    D = model.config.data_dim
    t0 = time.perf_counter()
    if args.sampler == "ddpm":
        x = samplers.sample_ddpm(model.forward_at, args.n, D, sched, gen, args.variance)
        steps = sc["timesteps"]
    else:
        x = samplers.sample_ddim(model.forward_at, args.n, D, sched, gen, args.steps, args.spacing,
                                 args.eta)
        steps = args.steps
    seconds = time.perf_counter() - t0
    x = x.numpy().astype(np.float64) * info["std"] + info["mean"]  # back to data units
    if not np.all(np.isfinite(x)):
        raise RuntimeError("samples contain NaN or inf")
    toy2d.write_csv(args.out, x)
    print(f"{args.sampler} {steps} steps, {args.n} points in {seconds:.2f} s -> {args.out}",
          file=sys.stderr)
    write_json(args.json, {
        "command": "sample", "checkpoint": args.checkpoint, "weights": args.weights,
        "sampler": args.sampler, "steps": steps, "spacing": args.spacing if args.sampler == "ddim" else None,
        "eta": args.eta if args.sampler == "ddim" else None,
        "variance": args.variance if args.sampler == "ddpm" else None,
        "n": args.n, "seed": args.seed, "seconds": seconds, "out": args.out,
        "environment": envinfo.environment()})


# --- eval ----------------------------------------------------------------------------------------

def cmd_eval(args):
    samples = toy2d.read_csv(args.samples)
    n = args.n or len(samples)
    ref, ref_source = load_points(args, n, toy2d.STREAM_EVAL)
    result = {"command": "eval", "samples": args.samples, "n_samples": len(samples),
              "reference": ref_source, "n_reference": len(ref)}
    t0 = time.perf_counter()
    result["energy"] = energy.energy_distance(samples, ref)
    if args.baseline_csv or not args.data_csv:
        base, base_source = load_points(args, n, toy2d.STREAM_BASELINE, "baseline_csv")
        result["baseline_source"] = base_source
        result["baseline_energy"] = energy.energy_distance(base, ref)
    else:
        result["baseline_energy"] = None  # needs a second independent fresh set: --baseline-csv
    result["seconds"] = time.perf_counter() - t0
    e, b = result["energy"], result["baseline_energy"]
    line = f"energy distance V {e['v']:.6f}  U {e['u']:.6f}"
    if b:
        line += f"   baseline (data vs data) V {b['v']:.6f}  U {b['u']:.6f}"
    print(line)
    write_json(args.json, result)


# --- nll -----------------------------------------------------------------------------------------

def _mean_se(a):
    a = np.asarray(a, dtype=np.float64)
    return {"mean": float(a.mean()), "se": float(a.std(ddof=1) / math.sqrt(len(a)))}


def cmd_nll(args):
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.oracle and not args.oracle_mixture:
        raise ValueError("--oracle needs a mixture: --dataset gaussians8|gaussians25 or --mixture")
    if args.checkpoint:
        model, info = checkpoint.load_checkpoint(args.checkpoint, args.weights)
        mean, std = info["mean"], info["std"]
        sc = info["schedule"]
        sched = schedule.make_schedule(sc["kind"], sc["timesteps"], sc["beta_start"], sc["beta_end"])
        denoiser = lambda x, t: model.forward_at(x.to(torch.float32), t)  # noqa: E731
        source = {"checkpoint": args.checkpoint, "weights": args.weights, "step": int(info["step"])}
    else:
        if not args.oracle:
            raise ValueError("give --checkpoint PATH (or --oracle for the exact mixture denoiser)")
        # the normalization a training run with this seed would use
        train_x = toy2d.make_dataset(args.dataset or args.oracle_mixture, args.n_train, args.seed,
                                     toy2d.STREAM_TRAIN)
        mean, std = toy2d.normalization(train_x)
        sched = schedule.make_schedule(args.schedule, args.timesteps, args.beta_start, args.beta_end)
        source = {}
    if args.oracle:
        centres, comp_std = toy2d.mixture(args.oracle_mixture)
        denoiser = elbo.MixtureOracle((centres - mean) / std, comp_std / std, sched)
        source["oracle"] = args.oracle_mixture

    test_x, test_source = load_points(args, args.n, toy2d.STREAM_TEST)
    test_norm = (test_x - mean) / std
    gen = torch.Generator().manual_seed(args.seed)
    t0 = time.perf_counter()
    terms = elbo.nll_bound_terms(denoiser, test_norm, sched, gen, args.variance, draws=args.draws)
    seconds = time.perf_counter() - t0
    D = test_x.shape[1]
    log_det = float(np.log(std).sum())  # x_norm = (x - mean) / std: log|J| = -sum_d log std_d
    bound_data = terms["total"] + log_det
    result = {
        "command": "nll", "model": source, "test": test_source, "n": len(test_x),
        "variance": args.variance, "draws": args.draws, "seconds": seconds,
        "normalization_std": std.tolist(), "sum_log_std": log_det,
        "normalized": {"bound_nats": _mean_se(terms["total"]), "L_T": _mean_se(terms["prior"]),
                       "L_diffusion": _mean_se(terms["kl"].sum(1)), "L_0": _mean_se(terms["decoder"])},
        "data": {"bound_nats": _mean_se(bound_data),
                 "bound_bits_per_dim": float(bound_data.mean() / (D * math.log(2)))},
    }
    if terms["mc_var"] is not None:  # of the mean bound over the x_t draws, given the points
        result["monte_carlo_se"] = float(math.sqrt(terms["mc_var"].sum()) / len(test_x))
    density = args.true_density or (args.dataset if args.dataset in toy2d.MIXTURES else None)
    if density:
        true_nll = -toy2d.mixture_log_density(density, test_x)
        result["data"]["true_density"] = density
        result["data"]["true_nll_nats"] = _mean_se(true_nll)
        result["data"]["true_bits_per_dim"] = float(true_nll.mean() / (D * math.log(2)))
        result["data"]["gap_nats"] = _mean_se(bound_data - true_nll)  # paired per test point
    d = result["data"]
    line = f"NLL bound {d['bound_nats']['mean']:.4f} ± {d['bound_nats']['se']:.4f} nats (data units)"
    if density:
        line += (f", true {d['true_nll_nats']['mean']:.4f}, gap {d['gap_nats']['mean']:.4f}"
                 f" ± {d['gap_nats']['se']:.4f}")
    if args.draws > 1:
        line += f" [{args.draws} draws; Monte Carlo s.e. {result['monte_carlo_se']:.4f}]"
    print(line + f"  [{seconds:.1f} s]")
    write_json(args.json, result)


# --- bench ---------------------------------------------------------------------------------------

# Each configuration runs in its own process: OpenBLAS reads OPENBLAS_CORETYPE when it is loaded,
# i.e. when torch is imported, and LD_LIBRARY_PATH is read by the dynamic loader at start.
BENCH_CONFIGS = {
    "openblas": {},
    "openblas-skylakex": {"OPENBLAS_CORETYPE": "SkylakeX"},
    # one OpenBLAS thread (its default is one per logical CPU, 2 here; torch's own pool has 1)
    "openblas-skylakex-1t": {"OPENBLAS_CORETYPE": "SkylakeX", "OPENBLAS_NUM_THREADS": "1"},
    # Debian's netlib reference BLAS (the libblas.so.3 torch gets when OpenBLAS is not installed)
    "reference-blas": {"LD_LIBRARY_PATH": "/usr/lib/x86_64-linux-gnu/blas"},
}


def _time_training(batch, steps, warmup_steps, budget):
    """steps/s over `steps` timed steps, or fewer (at least 10) if they take longer than
    `budget` seconds (the reference BLAS at batch 4096 runs ~1 step/s)."""
    sched = schedule.make_schedule()
    data = toy2d.make_dataset("moons", 10_000, 0, toy2d.STREAM_TRAIN)
    mean, std = toy2d.normalization(data)
    torch.manual_seed(0)
    trainer = Trainer(MlpDenoiser(ModelConfig()), sched, (data - mean) / std,
                      TrainConfig(batch=batch, seed=0))  # the default 10,000-step schedule
    for _ in range(warmup_steps):
        trainer.step()
    t0 = time.perf_counter()
    done = 0
    while done < steps and (done < 10 or time.perf_counter() - t0 < budget):
        loss = trainer.step()
        done += 1
    float(loss)
    return done / (time.perf_counter() - t0)


def _time_sampling(sampler, n):
    sched = schedule.make_schedule()
    torch.manual_seed(0)
    model = MlpDenoiser(ModelConfig()).eval()  # timing does not depend on the weights
    gen = torch.Generator().manual_seed(0)
    t0 = time.perf_counter()
    if sampler == "ddpm":
        samplers.sample_ddpm(model.forward_at, n, 2, sched, gen)
    else:
        samplers.sample_ddim(model.forward_at, n, 2, sched, gen, 50, "trailing", 0.0)
    return time.perf_counter() - t0


def cmd_bench_worker(args):
    """One repetition of every measurement in this process's BLAS configuration."""
    if args.threads:
        torch.set_num_threads(args.threads)
    out = {"environment": envinfo.environment(), "train_steps_per_second": {}, "sample_seconds": {}}
    for batch, steps in ((256, args.steps_256), (4096, args.steps_4096)):
        if steps:
            out["train_steps_per_second"][str(batch)] = _time_training(
                batch, steps, max(5, steps // 20), args.train_budget)
    if not args.skip_ddim:
        out["sample_seconds"]["ddim50"] = _time_sampling("ddim", args.sample_n)
    if not args.skip_ddpm:
        out["sample_seconds"]["ddpm1000"] = _time_sampling("ddpm", args.sample_n)
    out["loadavg_1min_end"] = os.getloadavg()[0]
    write_json("-", out)


def _summary(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "values": values}


def _wait_until_quiet(threshold, timeout):
    """On a shared machine: wait (at most timeout s) until the 1-minute load average is below
    threshold; 0 disables."""
    t0 = time.time()
    while threshold > 0 and os.getloadavg()[0] >= threshold and time.time() - t0 < timeout:
        time.sleep(10)


def cmd_bench(args):
    configs = args.configs.split(",")
    for c in configs:
        if c not in BENCH_CONFIGS:
            raise ValueError(f"--configs {c!r}: allowed {', '.join(BENCH_CONFIGS)}")
    runs = {c: [] for c in configs}
    for rep in range(args.repeats):
        for c in configs:  # interleaved, so slow phases of a noisy machine hit every configuration
            _wait_until_quiet(args.quiet_load, args.quiet_timeout)
            env = dict(os.environ)
            for k in ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "LD_LIBRARY_PATH"):
                env.pop(k, None)
            env.update(BENCH_CONFIGS[c])
            cmd = [sys.executable, __file__, "bench-worker", "--steps-256", str(args.steps_256),
                   "--train-budget", str(args.train_budget),
                   "--steps-4096", str(args.steps_4096), "--sample-n", str(args.sample_n)]
            if args.threads:
                cmd += ["--threads", str(args.threads)]
            if args.skip_ddpm or c in args.no_ddpm.split(","):
                cmd.append("--skip-ddpm")
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if proc.returncode != 0:
                raise RuntimeError(f"bench-worker ({c}) failed:\n{proc.stderr}")
            runs[c].append(json.loads(proc.stdout))
            r = runs[c][-1]
            print(f"[{rep + 1}/{args.repeats}] {c:20s} load {r['environment']['loadavg_1min']:.1f}"
                  f" blas={r['environment']['blas']}"
                  f"/{r['environment'].get('openblas_core', '-')}  steps/s "
                  + "  ".join(f"B={b}: {v:.0f}" for b, v in r["train_steps_per_second"].items())
                  + "  sample s " + "  ".join(f"{k}: {v:.2f}" for k, v in r["sample_seconds"].items()),
                  file=sys.stderr)
    result = {"command": "bench", "repeats": args.repeats, "steps_256": args.steps_256,
              "steps_4096": args.steps_4096, "sample_n": args.sample_n, "configs": {}}
    for c, rs in runs.items():
        summary = {"env": BENCH_CONFIGS[c], "environment": rs[0]["environment"],
                   "loadavg_1min": [r["environment"]["loadavg_1min"] for r in rs],
                   "train_steps_per_second": {}, "sample_seconds": {}}
        for key in ("train_steps_per_second", "sample_seconds"):
            names = sorted({k for r in rs for k in r[key]})
            for k in names:
                summary[key][k] = _summary([r[key][k] for r in rs if k in r[key]])
        result["configs"][c] = summary
    write_json(args.json, result)
    for c, s in result["configs"].items():
        print(f"{c:18s} " + "  ".join(f"B={b}: {v['median']:.0f} steps/s"
                                      for b, v in s["train_steps_per_second"].items())
              + "  " + "  ".join(f"{k}: {v['median']:.2f} s" for k, v in s["sample_seconds"].items()))


# --- the U-Net training step (diffuse bench --dataset NAME) -----------------------------------

# The configurations worth trying for the convolutions, each in its own process. 'mkldnn' is
# torch.backends.mkldnn.enabled (oneDNN's convolutions; off: im2col + OpenBLAS sgemm).
UNET_CONFIGS = {
    "mkldnn": {"channels_last": False, "mkldnn": True},
    "mkldnn-channels-last": {"channels_last": True, "mkldnn": True},
    "no-mkldnn": {"channels_last": False, "mkldnn": False},
    "no-mkldnn-channels-last": {"channels_last": True, "mkldnn": False},
}
# The fastest of them on this machine, per data set (docs/benchmarks.md, "U-Net training step").
UNET_BEST_CONFIG = {"digits": "mkldnn", "fashion": "mkldnn"}
# BLAS environment of every U-Net run: OpenBLAS's AVX-512 kernels, one thread (like torch's pool).
UNET_ENV = {"OPENBLAS_CORETYPE": "SkylakeX", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


def cmd_unet_bench_worker(args):
    """One timing of the U-Net step in this process, JSON on stdout."""
    from torchref import unet_training
    torch.set_num_threads(args.threads)
    args.config = args.config or UNET_BEST_CONFIG[args.dataset]
    config = UNET_CONFIGS[args.config]
    torch.backends.mkldnn.enabled = config["mkldnn"]
    result = unet_training.time_training(args.dataset, config["channels_last"], args.warmup,
                                         args.min_steps, args.budget)
    result.update({"dataset": args.dataset, "config": args.config, "threads": args.threads,
                   "batch": unet_training.WORKLOADS[args.dataset].batch,
                   "conv_flops_per_step": unet_training.conv_flops_per_step(args.dataset),
                   "environment": envinfo.environment(), "loadavg_1min_end": os.getloadavg()[0]})
    write_json("-", result)


def unet_worker_command(dataset, config, threads=1, budget=None, min_steps=None, warmup=None):
    cmd = [sys.executable, __file__, "unet-bench-worker", "--dataset", dataset, "--config", config,
           "--threads", str(threads)]
    for flag, value in (("--budget", budget), ("--min-steps", min_steps), ("--warmup", warmup)):
        if value is not None:
            cmd += [flag, str(value)]
    return cmd


def unet_worker_env():
    env = dict(os.environ)
    for k in ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "LD_LIBRARY_PATH"):
        env.pop(k, None)
    env.update(UNET_ENV)
    return env


def cmd_unet_bench(args):
    configs = args.configs.split(",")
    for c in configs:
        if c not in UNET_CONFIGS:
            raise ValueError(f"--configs {c!r}: allowed {', '.join(UNET_CONFIGS)}")
    runs = {c: [] for c in configs}
    for rep in range(args.repeats):
        for c in configs:  # interleaved, so slow phases of a shared machine hit every configuration
            proc = subprocess.run(unet_worker_command(args.dataset, c, args.threads, args.budget),
                                  env=unet_worker_env(), capture_output=True, text=True)
            if proc.returncode != 0:
                raise RuntimeError(f"unet-bench-worker ({c}) failed:\n{proc.stderr}")
            r = json.loads(proc.stdout)
            runs[c].append(r)
            print(f"[{rep + 1}/{args.repeats}] {args.dataset} {c:24s} load "
                  f"{r['environment']['loadavg_1min']:.1f}  {r['steps_per_second']:.3f} steps/s, "
                  f"{r['steps_per_cpu_second']:.3f} per CPU s ({r['steps']} steps)  max RSS "
                  f"{r['peak_rss_mib']:.0f} MiB", file=sys.stderr)
    result = {"command": "unet-bench", "dataset": args.dataset, "repeats": args.repeats,
              "threads": args.threads, "env": UNET_ENV, "configs": {}}
    for c, rs in runs.items():
        result["configs"][c] = {"steps_per_second": _summary([r["steps_per_second"] for r in rs]),
                                "steps_per_cpu_second": _summary([r["steps_per_cpu_second"] for r in rs]),
                                "loadavg_1min": [r["environment"]["loadavg_1min"] for r in rs],
                                "peak_rss_mib": max(r["peak_rss_mib"] for r in rs)}
    write_json(args.json, result)
    for c, s in result["configs"].items():
        v, u = s["steps_per_second"], s["steps_per_cpu_second"]
        print(f"{args.dataset} {c:24s} {v['median']:.3f} steps/s ({v['min']:.3f} - {v['max']:.3f}); "
              f"{u['median']:.3f} per CPU second ({u['min']:.3f} - {u['max']:.3f})")


# --- command line --------------------------------------------------------------------------------

def _add_data_args(p, n_default=None, n_help="points"):
    p.add_argument("--dataset", choices=sorted(toy2d.GENERATORS), help="built-in generator")
    p.add_argument("--data-csv", help="points from a CSV file instead (e.g. `diffuse data` output)")
    p.add_argument("--seed", type=int, default=0)
    if n_default is not None or n_help:
        p.add_argument("--n", type=int, default=n_default, help=n_help)


def _add_schedule_args(p):
    p.add_argument("--schedule", default="linear", choices=schedule.SCHEDULE_KINDS)
    p.add_argument("--timesteps", type=int, default=1000)
    p.add_argument("--beta-start", type=float, default=1e-4)
    p.add_argument("--beta-end", type=float, default=0.02)


def build_parser():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n", 2)[2])
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser("data", help="write a built-in data set to CSV")
    p.add_argument("--dataset", required=True, choices=sorted(toy2d.GENERATORS))
    p.add_argument("--n", type=int, default=10_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--stream", type=int, default=toy2d.STREAM_TRAIN,
                   help="0 train, 1 eval, 2 baseline, 3 test (the streams the other commands use)")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_data)

    p = sub.add_parser("train", help="train; save EMA + raw weights (safetensors)")
    p.add_argument("--dataset", choices=sorted(toy2d.GENERATORS))
    p.add_argument("--data-csv", help="the fixed training set from a CSV (all its rows)")
    p.add_argument("--n-train", type=int, default=10_000, help="training-set size (built-in data)")
    p.add_argument("--seed", type=int, default=0, help="data, init, batches")
    p.add_argument("--steps", type=int, default=10_000)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--weight-decay", type=float, default=0.0, help="> 0: AdamW")
    p.add_argument("--clip", type=float, default=1.0, help="global grad-norm clip; 0 disables")
    p.add_argument("--ema", type=float, default=0.999)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--layers", type=int, default=3)
    p.add_argument("--emb-dim", type=int, default=32)
    p.add_argument("--activation", default="silu", choices=["silu", "relu", "gelu"])
    p.add_argument("--time-proj", action="store_true")
    p.add_argument("--residual", action="store_true")
    _add_schedule_args(p)
    p.add_argument("--out", required=True, help="checkpoint .safetensors")
    p.add_argument("--save-at", default="", help="comma-separated steps: also save OUT-stem.stepK")
    p.add_argument("--log-every", type=int, default=1000)
    p.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: default)")
    p.add_argument("--json")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("sample", help="sample with the EMA weights -> CSV in data units")
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--weights", default="ema", choices=["ema", "raw"])
    p.add_argument("--sampler", default="ddpm", choices=["ddpm", "ddim"])
    p.add_argument("--steps", type=int, default=50, help="DDIM steps (DDPM uses all T)")
    p.add_argument("--spacing", default="trailing", choices=schedule.SPACINGS)
    p.add_argument("--eta", type=float, default=0.0)
    p.add_argument("--variance", default="fixed_small", choices=samplers.VARIANCES)
    p.add_argument("--n", type=int, default=10_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--json")
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser("eval", help="energy distance of samples to fresh data, with the baseline")
    p.add_argument("--samples", required=True, help="CSV")
    _add_data_args(p, None, "fresh points (default: as many as samples)")
    p.add_argument("--baseline-csv", help="a second independent fresh set (with --data-csv)")
    p.add_argument("--json")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("nll", help="negative ELBO (NLL bound) and, for mixtures, the true NLL")
    p.add_argument("--checkpoint")
    p.add_argument("--weights", default="ema", choices=["ema", "raw"])
    _add_data_args(p, 2000, "test points")
    p.add_argument("--variance", default="fixed_small", choices=samplers.VARIANCES)
    p.add_argument("--draws", type=int, default=1,
                   help="draws of x_t per (test point, t), averaged (1: calc_bpd_loop's one draw)")
    p.add_argument("--true-density", choices=sorted(toy2d.MIXTURES),
                   help="exact density of the test data (default: --dataset if it is a mixture)")
    p.add_argument("--oracle", action="store_true",
                   help="use the exact mixture denoiser E[eps | x_t] instead of the model")
    p.add_argument("--n-train", type=int, default=10_000,
                   help="with --oracle and no checkpoint: normalize like a run with this training set")
    _add_schedule_args(p)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--json")
    p.set_defaults(func=cmd_nll)

    p = sub.add_parser("bench", help="training steps/s and sampling time per BLAS configuration")
    p.add_argument("--configs", default=",".join(BENCH_CONFIGS))
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--steps-256", type=int, default=1000)
    p.add_argument("--steps-4096", type=int, default=100)
    p.add_argument("--sample-n", type=int, default=10_000)
    p.add_argument("--skip-ddpm", action="store_true")
    p.add_argument("--no-ddpm", default="reference-blas",
                   help="configurations without the DDPM-1000 timing (it is 20 DDIM-50 runs' work)")
    p.add_argument("--train-budget", type=float, default=30.0,
                   help="at most this many seconds per training measurement (>= 10 steps)")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--quiet-load", type=float, default=0.0,
                   help="before each run wait until the 1-min load average is below this (0: no wait)")
    p.add_argument("--quiet-timeout", type=float, default=600.0, help="longest wait, s")
    p.add_argument("--json")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("unet-bench", help="U-Net training steps/s per PyTorch configuration")
    p.add_argument("--dataset", required=True, choices=("digits", "fashion"))
    p.add_argument("--configs", default=",".join(UNET_CONFIGS))
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--budget", type=float, default=10.0, help="seconds per timing (at least 3 steps)")
    p.add_argument("--json")
    p.set_defaults(func=cmd_unet_bench)

    p = sub.add_parser("unet-bench-worker")  # internal: one timing, JSON on stdout
    p.add_argument("--dataset", required=True, choices=("digits", "fashion"))
    p.add_argument("--config", choices=sorted(UNET_CONFIGS),
                   help="default: the data set's fastest, UNET_BEST_CONFIG")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--budget", type=float, default=10.0)
    p.add_argument("--min-steps", type=int, default=3)
    p.add_argument("--warmup", type=int, default=2)
    p.set_defaults(func=cmd_unet_bench_worker)

    p = sub.add_parser("bench-worker")  # internal: one repetition, JSON on stdout
    p.add_argument("--steps-256", type=int, default=1000)
    p.add_argument("--train-budget", type=float, default=30.0)
    p.add_argument("--steps-4096", type=int, default=100)
    p.add_argument("--sample-n", type=int, default=10_000)
    p.add_argument("--skip-ddpm", action="store_true")
    p.add_argument("--skip-ddim", action="store_true")
    p.add_argument("--threads", type=int, default=0)
    p.set_defaults(func=cmd_bench_worker)
    return ap


def main(argv=None):
    args = build_parser().parse_args(argv)
    if getattr(args, "oracle", False) or args.command == "nll":
        args.oracle_mixture = args.true_density or (
            args.dataset if getattr(args, "dataset", None) in toy2d.MIXTURES else None)
    try:
        args.func(args)
    except ValueError as e:
        print(f"torch_reference.py {args.command}: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
