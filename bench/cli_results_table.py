#!/usr/bin/python3
"""Prints the Markdown tables of docs/benchmarks.md ("diffuse against the PyTorch reference") from
bench/results/torch_*.json (bench/run_torch_reference.py) and bench/results/cli_*.json
(bench/run_cli_reference.py): both implementations side by side, scored by the same evaluator
on the same evaluation points, so the document quotes the stored numbers and nothing else.
`checks` prints the facts the verdicts rest on (medians against the other side's seed range,
the sign of every gap, whether every seed's bound decreases over training). `summary` prints one
compact table for many seeds: each side's mean ± standard error over seeds, the difference, and a
one-sided permutation test of "diffuse is worse" (no distributional assumption, no SciPy).
`draws` prints the same for the final gaussians8 gaps with K draws per evaluation
(nll_draws{K}.json from bench/nll_draws_compare.py).

  /usr/bin/python3 bench/cli_results_table.py [--results DIR] [moons] [nll] [checks] [summary] [draws]
"""
import itertools
import json
import pathlib
import random
import statistics
import sys

RESULTS = pathlib.Path(__file__).resolve().parent / "results"
if len(sys.argv) > 2 and sys.argv[1] == "--results":
    RESULTS = pathlib.Path(sys.argv[2])
    del sys.argv[1:3]
SIDES = (("PyTorch", "torch"), ("diffuse", "cli"))


def load(name):
    return json.loads((RESULTS / name).read_text())


def fmt_spread(values, digits, scale=1.0):
    v = [x * scale for x in values]
    return f"{statistics.median(v):.{digits}f} ({min(v):.{digits}f} – {max(v):.{digits}f})"


# --- moons ---------------------------------------------------------------------------------------

MOONS_ROWS = (("DDPM-1000, V", "ddpm", "energy", "v"), ("DDPM-1000, U", "ddpm", "energy", "u"),
              ("DDIM-50 trailing, V", "ddim", "energy", "v"),
              ("DDIM-50 trailing, U", "ddim", "energy", "u"))


def moons_values(r, sampler, key, stat):
    """Per-seed values ×1e-3, in the order of r['seeds']."""
    return [r["per_seed"][str(s)][sampler]["eval"][key][stat] * 1e3 for s in r["seeds"]]


def moons_table():
    runs = {side: load(f"{prefix}_moons.json") for side, prefix in SIDES}
    seeds = runs["PyTorch"]["seeds"]
    assert runs["diffuse"]["seeds"] == seeds
    print(f"Energy distance D² of {runs['diffuse']['n_samples']:,} samples to the same "
          f"{runs['diffuse']['n_samples']:,} fresh points, ×10⁻³ (moons, "
          f"{runs['diffuse']['steps']:,} steps; both sides scored by `torch_reference.py eval`; "
          f"per seed, then median (min – max) over seeds {seeds}):\n")
    print("| sampler, statistic | implementation | " + " | ".join(f"seed {s}" for s in seeds)
          + " | median (min – max) |")
    print("| --- | --- |" + " ---: |" * (len(seeds) + 1))
    cross = all("torch_sampler" in runs["diffuse"]["per_seed"][str(s)] for s in seeds)
    for label, sampler, key, stat in MOONS_ROWS:
        for side, _ in SIDES:
            vals = moons_values(runs[side], sampler, key, stat)
            print(f"| {label} | {side} | " + " | ".join(f"{v:.3f}" for v in vals)
                  + f" | {fmt_spread(vals, 3)} |")
        if cross:
            vals = [runs["diffuse"]["per_seed"][str(s)]["torch_sampler"][sampler]["eval"][key][stat]
                    * 1e3 for s in seeds]
            print(f"| {label} | diffuse's weights, PyTorch's sampler | "
                  + " | ".join(f"{v:.3f}" for v in vals) + f" | {fmt_spread(vals, 3)} |")
    for stat in ("v", "u"):
        vals = {side: moons_values(runs[side], "ddpm", "baseline_energy", stat)
                for side, _ in SIDES}
        assert vals["PyTorch"] == vals["diffuse"], "the baseline sets should be the same"
        print(f"| data vs data baseline, {stat.upper()} | both (same sets) | "
              + " | ".join(f"{v:.3f}" for v in vals["diffuse"])
              + f" | {fmt_spread(vals['diffuse'], 3)} |")
    s = runs["diffuse"]["summary"]
    print(f"\ndiffuse: wall time of `diffuse train` (10,000 steps, 2 threads) "
          f"{fmt_spread(s['train_seconds']['values'], 1)} s; `diffuse sample` of 10,000 points: "
          f"DDPM-1000 {fmt_spread(s['ddpm_sample_seconds']['values'], 1)} s, DDIM-50 "
          f"{fmt_spread(s['ddim_sample_seconds']['values'], 2)} s, each including process start "
          "and CSV writing (runs of the suite on a shared machine, not a benchmark). The loss "
          "`diffuse train` prints at the end (a moving average over about the last 50 steps): "
          f"{fmt_spread(s['smoothed_loss']['values'], 4)}.\n")


# --- gaussians8 ----------------------------------------------------------------------------------

def nll_rows(side, r):
    """{(step, weights): [(bound, true, gap) per seed]} for one side's results."""
    out = {}
    for s in r["seeds"]:
        for row in r["per_seed"][str(s)]["nll"]:
            if side == "PyTorch":
                d = row["data"]
                v = (d["bound_nats"]["mean"], d["true_nll_nats"]["mean"], d["gap_nats"]["mean"])
            else:
                v = (row["bound_nats"], row["true_nll_nats"]["mean"], row["gap_nats"])
            out.setdefault((row["step"], row["weights"]), []).append(v)
    return out


def nll_table():
    t, c = load("torch_gaussians8_nll.json"), load("cli_gaussians8_nll.json")
    assert t["seeds"] == c["seeds"] and t["n_test"] == c["n_test"]
    rows = {"PyTorch": nll_rows("PyTorch", t), "diffuse": nll_rows("diffuse", c)}
    print(f"gaussians8, the same {c['n_test']:,} test points per seed, nats per example in data "
          f"units, median (min – max) over seeds {c['seeds']}. Bounds: each side's own evaluator "
          "(`torch_reference.py nll`, `diffuse elbo`), all 1,000 terms; the last column evaluates "
          "diffuse's weights with `torch_reference.py nll` (same code and noise draws as the "
          "PyTorch column).\n")
    print("| weights after | NLL bound, PyTorch | NLL bound, diffuse | true NLL | gap, PyTorch "
          "| gap, diffuse | gap, diffuse's weights in PyTorch's evaluator |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for step in c["checkpoints"]:
        for w in ("ema", "raw"):
            p, d = rows["PyTorch"][(step, w)], rows["diffuse"][(step, w)]
            cross = c["summary"][f"step{step}_{w}"].get("torch_evaluator")
            cross_txt = fmt_spread(cross["gap_nats"]["values"], 3) if cross else "not run"
            print(f"| {step:,} steps, {'EMA' if w == 'ema' else 'raw'} "
                  f"| {fmt_spread([x[0] for x in p], 3)} | {fmt_spread([x[0] for x in d], 3)} "
                  f"| {fmt_spread([x[1] for x in d], 3)} "
                  f"| {fmt_spread([x[2] for x in p], 3)} | {fmt_spread([x[2] for x in d], 3)} "
                  f"| {cross_txt} |")
    o = t["summary"]["oracle"]
    print(f"| exact denoiser E[ε \\| x_t] (oracle) | {fmt_spread(o['bound_nats']['values'], 3)} | "
          f"| {fmt_spread(o['true_nll_nats']['values'], 3)} "
          f"| {fmt_spread(o['gap_nats']['values'], 3)} | | |\n")
    nll_seed_table(rows, c)
    agreement_sentence()


def agreement_sentence():
    """How far the two NLL evaluators differ on identical weights and points, beyond the Monte
    Carlo noise of their x_t draws (bench/run_cli_reference.py --parts agreement)."""
    try:
        a = load("cli_nll_evaluator_agreement.json")
    except FileNotFoundError:
        return
    m = a["summary"]["diffuse_minus_torch"]
    print(f"Evaluators on identical weights (seed {a['seed']}, 10,000 steps, EMA) and test points, "
          f"{len(a['rows'])} noise seeds each: `diffuse elbo` − `torch_reference.py nll` = "
          f"{m['mean']:+.3f} ± {m['se']:.3f} nats; one evaluation's spread over noise seeds is "
          f"{a['summary']['diffuse_sd_over_draws']:.3f} (diffuse) and "
          f"{a['summary']['torch_sd_over_draws']:.3f} (PyTorch) nats.\n")


def nll_seed_table(rows, c):
    """The gap per seed: the verdicts compare per seed and per checkpoint."""
    seeds = c["seeds"]
    se = statistics.median(v for x in c["summary"].values() for v in x["bound_se"]["values"])
    print(f"Gap (bound − true NLL) per seed, nats; `diffuse elbo`'s standard error of the bound "
          f"over test points is about {se:.2f}:\n")
    print("| weights after | " + " | ".join(f"PyTorch, seed {s}" for s in seeds) + " | "
          + " | ".join(f"diffuse, seed {s}" for s in seeds) + " |")
    print("| --- |" + " ---: |" * (2 * len(seeds)))
    for step in c["checkpoints"]:
        for w in ("ema", "raw"):
            vals = [x[2] for side in ("PyTorch", "diffuse") for x in rows[side][(step, w)]]
            print(f"| {step:,} steps, {'EMA' if w == 'ema' else 'raw'} | "
                  + " | ".join(f"{v:.3f}" for v in vals) + " |")
    print()


# --- checks --------------------------------------------------------------------------------------

def mean_difference(d, p):
    """(mean(d) - mean(p), its standard error from the two samples' variances): how large a
    difference of three seeds against three seeds is relative to the seed-to-seed spread."""
    se = (statistics.variance(d) / len(d) + statistics.variance(p) / len(p)) ** 0.5
    return statistics.mean(d) - statistics.mean(p), se


def checks():
    """The facts each verdict rests on, computed rather than read off the tables."""
    runs = {side: load(f"{prefix}_moons.json") for side, prefix in SIDES}
    for label, sampler, key, stat in MOONS_ROWS:
        p = moons_values(runs["PyTorch"], sampler, key, stat)
        d = moons_values(runs["diffuse"], sampler, key, stat)
        print(f"moons {label}: diffuse median {statistics.median(d):.3f} vs PyTorch median "
              f"{statistics.median(p):.3f} (range {min(p):.3f} – {max(p):.3f}); "
              f"median <= PyTorch median: {statistics.median(d) <= statistics.median(p)}; "
              f"median <= PyTorch max: {statistics.median(d) <= max(p)}; "
              "mean difference %+.3f ± %.3f" % mean_difference(d, p))
    t, c = load("torch_gaussians8_nll.json"), load("cli_gaussians8_nll.json")
    rows = {"PyTorch": nll_rows("PyTorch", t), "diffuse": nll_rows("diffuse", c)}
    for side in ("PyTorch", "diffuse"):
        gaps = [g for v in rows[side].values() for (_, _, g) in v]
        print(f"gaussians8 {side}: smallest gap over all seeds and checkpoints {min(gaps):.3f}")
        for w in ("ema", "raw"):
            per_seed = list(zip(*[[x[0] for x in rows[side][(k, w)]] for k in c["checkpoints"]]))
            mono = [all(a > b for a, b in zip(b_, b_[1:])) for b_ in per_seed]
            print(f"  {w}: bound per seed over {c['checkpoints']}: "
                  + "; ".join(" > ".join(f"{x:.3f}" for x in b_) for b_ in per_seed)
                  + f"  strictly decreasing: {mono}")
    for step in c["checkpoints"]:
        for w in ("ema", "raw"):
            p = [x[2] for x in rows["PyTorch"][(step, w)]]
            d = [x[2] for x in rows["diffuse"][(step, w)]]
            print(f"gaussians8 gap {step} {w}: diffuse median {statistics.median(d):.3f} vs "
                  f"PyTorch median {statistics.median(p):.3f} (range {min(p):.3f} – {max(p):.3f}); "
                  f"<= median: {statistics.median(d) <= statistics.median(p)}; "
                  f"<= max: {statistics.median(d) <= max(p)}; "
                  "mean difference %+.3f ± %.3f" % mean_difference(d, p))


# --- summary for many seeds --------------------------------------------------------------------

def permutation_p(d, p, draws=200_000):
    """One-sided p-value of mean(d) - mean(p) >= observed under "the labels do not matter": the
    share of relabellings of the pooled values whose difference is at least the observed one
    (exact enumeration when there are at most 200,000 relabellings, else random ones, seed 0)."""
    pooled, n = d + p, len(d)
    observed = statistics.mean(d) - statistics.mean(p)
    total = sum(pooled)

    def diff(idx):
        sd = sum(pooled[i] for i in idx)
        return sd / n - (total - sd) / len(p)

    combos = list(itertools.combinations(range(len(pooled)), n)) if len(pooled) <= 20 else None
    if combos is not None and len(combos) <= draws:
        hits = sum(diff(c) >= observed - 1e-12 for c in combos)
        return hits / len(combos)
    rng = random.Random(0)
    hits = sum(diff(rng.sample(range(len(pooled)), n)) >= observed - 1e-12 for _ in range(draws))
    return (hits + 1) / (draws + 1)


def summary_row(label, d, p, digits=3):
    diff, se = mean_difference(d, p)
    print(f"| {label} | {statistics.mean(p):.{digits}f} ± {statistics.stdev(p) / len(p) ** 0.5:.{digits}f} "
          f"| {statistics.mean(d):.{digits}f} ± {statistics.stdev(d) / len(d) ** 0.5:.{digits}f} "
          f"| {diff:+.{digits}f} ± {se:.{digits}f} | {permutation_p(d, p):.2f} |")


def summary():
    runs = {side: load(f"{prefix}_moons.json") for side, prefix in SIDES}
    t, c = load("torch_gaussians8_nll.json"), load("cli_gaussians8_nll.json")
    seeds = runs["diffuse"]["seeds"]
    assert runs["PyTorch"]["seeds"] == seeds == t["seeds"] == c["seeds"]
    print(f"Seeds {seeds[0]}–{seeds[-1]} ({len(seeds)} per side): mean ± standard error over seeds; "
          "difference = diffuse − PyTorch (lower is better for every row) ± its standard error; "
          "p = one-sided permutation test of \"diffuse is worse\" (small p: worse beyond chance).\n")
    print("| quantity | PyTorch | diffuse | difference | p |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for label, sampler, key, stat in MOONS_ROWS:
        summary_row(f"moons D² ×10⁻³, {label}", moons_values(runs["diffuse"], sampler, key, stat),
                    moons_values(runs["PyTorch"], sampler, key, stat))
    rows = {"PyTorch": nll_rows("PyTorch", t), "diffuse": nll_rows("diffuse", c)}
    for step in c["checkpoints"]:
        for w in ("ema", "raw"):
            summary_row(f"gaussians8 gap (nats), {step:,} steps, {'EMA' if w == 'ema' else 'raw'}",
                        [x[2] for x in rows["diffuse"][(step, w)]],
                        [x[2] for x in rows["PyTorch"][(step, w)]])
    print()


# --- the final gaussians8 gaps with K draws per evaluation ------------------------------------

def paired_permutation_p(diffs):
    """One-sided p-value of mean(diffs) >= observed under "the sign of each paired difference does
    not matter": the share of the 2^n sign flips (exact) whose mean is at least the observed."""
    observed = statistics.mean(diffs)
    flips = list(itertools.product((1, -1), repeat=len(diffs)))
    hits = sum(statistics.mean(f * x for f, x in zip(signs, diffs)) >= observed - 1e-12
               for signs in flips)
    return hits / len(flips)


def paired_line(label, diffs):
    se = statistics.stdev(diffs) / len(diffs) ** 0.5
    print(f"- {label}: {statistics.mean(diffs):+.3f} ± {se:.3f} nats (paired over seeds; "
          f"sign-flip p = {paired_permutation_p(diffs):.2f})")


def draws_table():
    for path in sorted(RESULTS.glob("nll_draws*.json")):
        r = load(path.name)
        K, seeds = r["draws"], r["seeds"]
        per = [r["per_seed"][str(s)] for s in seeds]
        torch_own = {k: [p["torch"][f"nll_draws{k}"]["gap_nats"]["mean"] for p in per] for k in (1, K)}
        ours = {k: [p["diffuse"][f"elbo_draws{k}"]["gap_nats"] for p in per] for k in (1, K)}
        cross = [p["diffuse"][f"torch_nll_draws{K}"]["gap_nats"]["mean"] for p in per]
        print(f"gaussians8, final (10,000-step) EMA weights, seeds {seeds[0]}–{seeds[-1]}, "
              f"{r['n_test']:,} test points, noise seed = the run's seed; gap = bound − true NLL "
              "in nats; mean ± standard error over seeds, difference = diffuse − PyTorch, p = "
              "one-sided permutation test of \"diffuse is worse\":\n")
        print("| evaluation | PyTorch | diffuse | difference | p |")
        print("| --- | ---: | ---: | ---: | ---: |")
        summary_row("each side's own evaluator, 1 draw", ours[1], torch_own[1])
        summary_row(f"each side's own evaluator, {K} draws", ours[K], torch_own[K])
        summary_row(f"both in `torch_reference.py nll`, {K} draws", cross, torch_own[K])
        print()
        paired_line(f"same evaluator (`torch_reference.py nll`, {K} draws), diffuse's weights − "
                    "PyTorch's", [c - t for c, t in zip(cross, torch_own[K])])
        paired_line(f"evaluators on diffuse's weights, {K} draws: `diffuse elbo` − "
                    "`torch_reference.py nll`", [o - c for o, c in zip(ours[K], cross)])
        mc = {"diffuse elbo": [p["diffuse"][f"elbo_draws{K}"]["monte_carlo_se"] for p in per],
              "torch_reference.py nll": [p["torch"][f"nll_draws{K}"]["monte_carlo_se"] for p in per]}
        print(f"- Monte Carlo standard error of one {K}-draw evaluation, median over seeds: "
              + ", ".join(f"{name} {statistics.median(v):.4f}" for name, v in mc.items())
              + f" (one draw: about {statistics.median(mc['diffuse elbo']) * K ** 0.5:.3f})")
        same = sum(p["stored_one_draw_gaps"].get("PyTorch") == t and
                   p["stored_one_draw_gaps"].get("diffuse") == o
                   for p, t, o in zip(per, torch_own[1], ours[1]))
        print(f"- the one-draw gaps equal the stored suite's for {same} of {len(seeds)} seeds "
              "(both sides: the retrained weights are the same)\n")


if __name__ == "__main__":
    parts = {"moons": moons_table, "nll": nll_table, "checks": checks, "summary": summary,
             "draws": draws_table}
    for key in sys.argv[1:] or ("moons", "nll"):
        try:
            parts[key]()
        except FileNotFoundError as e:
            print(f"(missing {e.filename})\n")
