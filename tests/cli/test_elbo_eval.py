"""`diffuse elbo` and `diffuse eval` report what they claim, checked from their own numbers and
from independent references:

- elbo JSON: the bound is L_T + L_diffusion + L_0; the data-unit bound adds sum_d log std_d of the
  checkpoint's normalization (read here from the file); bits/dim = data nats / (D ln 2); per_t
  holds L_0 and the denoising terms (T values summing to L_0 + L_diffusion); with K = T - 1 strata
  the stratified estimate equals the exact sum (one step per stratum, the same draws).
- gaussians8: the reported true NLL of the fresh test points agrees with the mixture's entropy,
  computed here by numerical integration, within its standard error; the gap is bound - NLL.
- --draws: 1 is the default, number for number; R draws estimate the same bound (within the
  reported Monte Carlo errors), the JSON and the text say how many.
- elbo text names the three terms of seed 004; CSV test data uses the file's first N points.
- eval JSON: the baseline is two independent data draws, so it hovers around 0 (within a few
  standard deviations of the U-statistic at this N, estimated here with numpy on fresh moons),
  while an untrained model's samples are far away.
"""
import json
import math

import numpy as np

from cli_support import enter_temp_dir, moons, read_safetensors, run, tiny

enter_temp_dir()
T = 50
run("train", "--dataset", "gaussians8", "--steps", "300", *tiny(batch=64), "--out", "g8.safetensors", check=True)
config = json.loads(read_safetensors("g8.safetensors")[0]["config"])
log_std_sum = float(np.sum(np.log(config["data"]["normalization"]["std"])))


def elbo(*args):
    return json.loads(run("elbo", "--model", "g8.safetensors", "-q", "--format", "json", *args, check=True).stdout)


exact = elbo("--dataset", "gaussians8", "--n", "2000")
for key in ["L0", "LT", "Ldiffusion", "nll_bound_nats", "nll_bound_data_nats", "bits_per_dim", "n",
            "standard_error", "monte_carlo_standard_error", "estimate", "per_t", "true_nll_data_nats", "gap_nats"]:
    assert key in exact, key
assert exact["n"] == 2000 and exact["estimate"] == "exact" and exact["T"] == T
assert math.isclose(exact["nll_bound_nats"], exact["LT"] + exact["Ldiffusion"] + exact["L0"], rel_tol=1e-12)
assert math.isclose(exact["nll_bound_data_nats"], exact["nll_bound_nats"] + log_std_sum, rel_tol=1e-12)
assert math.isclose(exact["bits_per_dim"], exact["nll_bound_data_nats"] / (2 * math.log(2)), rel_tol=1e-12)
per_t = np.array(exact["per_t"])
assert per_t.shape == (T,) and math.isclose(per_t[0], exact["L0"], rel_tol=1e-12)
assert math.isclose(per_t[1:].sum(), exact["Ldiffusion"], rel_tol=1e-9)
assert exact["standard_error"] > 0 and exact["LT"] >= 0
print(f"ok: elbo JSON is consistent: {exact['nll_bound_data_nats']:.4f} nats = "
      f"{exact['bits_per_dim']:.4f} bits/dim, s.e. {exact['standard_error']:.4f}")

# The true NLL of gaussians8 (eight components of std 0.1 on a circle of radius 2, far apart): its
# expectation is the mixture's entropy, integrated here on a grid.
centres = 2 * np.stack([np.cos(2 * np.pi * np.arange(8) / 8), np.sin(2 * np.pi * np.arange(8) / 8)], 1)
grid = np.linspace(-3, 3, 1201)
gx, gy = np.meshgrid(grid, grid)
density = np.zeros_like(gx)
for cx, cy in centres:
    density += np.exp(-((gx - cx) ** 2 + (gy - cy) ** 2) / (2 * 0.01)) / (2 * np.pi * 0.01) / 8
cell = (grid[1] - grid[0]) ** 2
entropy = float(-(density * np.log(np.maximum(density, 1e-300))).sum() * cell)
z = abs(exact["true_nll_data_nats"] - entropy) / exact["true_nll_standard_error"]
assert z < 4, (exact["true_nll_data_nats"], entropy, exact["true_nll_standard_error"])
assert math.isclose(exact["gap_nats"], exact["nll_bound_data_nats"] - exact["true_nll_data_nats"], rel_tol=1e-12)
print(f"ok: true NLL {exact['true_nll_data_nats']:.4f} vs entropy {entropy:.4f} ({z:.1f} s.e.); "
      f"gap {exact['gap_nats']:.3f} nats")

# Stratified with one stratum per step is the exact sum, draw for draw.
strata = elbo("--dataset", "gaussians8", "--n", "2000", "--strata", str(T - 1))
assert strata["estimate"] == "stratified" and strata["per_t"] is None
assert math.isclose(strata["Ldiffusion"], exact["Ldiffusion"], rel_tol=1e-7)  # sums in another order, (strata["Ldiffusion"], exact["Ldiffusion"])
coarse = elbo("--dataset", "gaussians8", "--n", "2000", "--strata", "5")
assert abs(coarse["Ldiffusion"] - exact["Ldiffusion"]) < 5 * coarse["monte_carlo_standard_error"] + 1e-6
print("ok: --strata T-1 equals the exact sum; --strata 5 within its Monte Carlo error")

# --draws: 1 is the default exactly; 4 draws estimate the same sum within the reported Monte Carlo
# errors (the default's is conservative, so their combination is too).
assert exact["draws"] == 1 and elbo("--dataset", "gaussians8", "--n", "2000", "--draws", "1") == exact
four = elbo("--dataset", "gaussians8", "--n", "2000", "--draws", "4")
assert four["draws"] == 4 and four["LT"] == exact["LT"]
error = math.hypot(four["monte_carlo_standard_error"], exact["monte_carlo_standard_error"])
assert abs(four["nll_bound_nats"] - exact["nll_bound_nats"]) < 5 * error, (four, exact)
strata4 = elbo("--dataset", "gaussians8", "--n", "2000", "--strata", "5", "--draws", "4")
error = math.hypot(strata4["monte_carlo_standard_error"], four["monte_carlo_standard_error"])
assert abs(strata4["Ldiffusion"] - four["Ldiffusion"]) < 5 * error, (strata4, four)
text = run("elbo", "--model", "g8.safetensors", "--dataset", "gaussians8", "--n", "200", "-q", "--draws", "3",
           check=True).stdout
assert "the mean of 3 draws of x_t" in text, text
print(f"ok: --draws 1 is the default; --draws 4: {four['nll_bound_nats']:.4f} +- "
      f"{four['monte_carlo_standard_error']:.4f} (MC) vs one draw {exact['nll_bound_nats']:.4f} +- "
      f"{exact['monte_carlo_standard_error']:.4f}")

# Text: the three terms by name, the bound, the true NLL and the gap.
text = run("elbo", "--model", "g8.safetensors", "--dataset", "gaussians8", "--n", "200", "-q", check=True).stdout
for words in ["prior matching", "denoising matching", "reconstruction", "negative ELBO, data units",
              "bits/dim", "true NLL", "gap"]:
    assert words in text, (words, text)
print("ok: elbo text:\n" + "\n".join("    " + line for line in text.splitlines()[3:10]))

# CSV test data: its first N points, normalized with the checkpoint's statistics.
np.savetxt("test.csv", np.random.default_rng(0).normal(size=(50, 2)), delimiter=",", header="x,y", comments="")
assert elbo("--dataset", "test.csv", "--n", "20")["n"] == 20
assert elbo("--dataset", "test.csv")["n"] == 50
assert "true_nll_data_nats" not in elbo("--dataset", "test.csv")
print("ok: CSV test data (first N points; no true NLL)")

# eval: a baseline near 0 at this N, an untrained model far from it.
N = 1000
run("train", "--dataset", "moons", "--steps", "5", *tiny(), "--out", "bad.safetensors", check=True)
ev = json.loads(run("eval", "--model", "bad.safetensors", "--dataset", "moons", "--n", N, "-q", "--format", "json",
                    check=True).stdout)
for key in ["energy_distance", "energy_distance_v", "mmd2"]:
    assert key in ev["samples"] and key in ev["baseline"], key
assert ev["n"] == N and ev["mmd_bandwidth"] > 0


def u_energy(x, y):
    def mean_dist(a, b, same):
        d = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1))
        return d.sum() / (len(a) * (len(a) - 1)) if same else d.mean()
    return 2 * mean_dist(x, y, False) - mean_dist(x, x, True) - mean_dist(y, y, True)


rng = np.random.default_rng(5)
null = [u_energy(moons(N, rng), moons(N, rng)) for _ in range(8)]
spread = float(np.std(null)) + 1e-12
assert abs(ev["baseline"]["energy_distance"]) < 5 * spread, (ev["baseline"], spread)
assert ev["samples"]["energy_distance"] > 20 * spread, (ev["samples"], spread)
print(f"ok: eval baseline {ev['baseline']['energy_distance']:.2e} within 5 x the null spread {spread:.1e}; "
      f"an untrained model scores {ev['samples']['energy_distance']:.2e}")

# eval on a CSV file: its halves are the data and the baseline.
np.savetxt("m.csv", moons(400, rng), delimiter=",", header="x,y", comments="")
ev_csv = json.loads(run("eval", "--model", "bad.safetensors", "--dataset", "m.csv", "-q", "--format", "json",
                        check=True).stdout)
assert ev_csv["n"] == 200, ev_csv["n"]
print("ok: eval on a CSV file uses its two halves (n = 200 of 400 points)")
