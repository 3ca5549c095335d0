"""End to end: `train` on moons for 3000 steps, `sample` with DDPM and DDIM, `eval`: the samples'
energy distance to the data is near the data-versus-data baseline.

The model: the reference model learns moons well in about 10,000 steps; to keep this test to a
couple of minutes it trains a smaller MLP (hidden 64) with tiny-diffusion's sinusoidal input
embedding (--x-embed 16) and a higher learning rate (3e-3), which reach the same quality in 3000
steps. Everything else is the reference workload (T = 1000 linear, batch 256, EMA).

The bound. The statistic is the unbiased U-statistic of the squared energy distance D^2 between N
samples and N data points (N = 2000). For a perfect model its expectation is 0 and its spread is
that of two independent data sets, sigma_N, estimated here with numpy's own moons draws (it is
also what `eval` reports as the baseline). A model a few thousand steps old is not perfect, so the
question is how large a true D^2 still counts as "near": we take the D^2 between moons and moons
with its noise blurred from 0.05 to 0.2 (four times as wide; computed here the same way), i.e. the
samples may be as fuzzy as that, plus 3 sigma_N for the estimate's noise:
    bound = D^2(moons, moons with noise 0.2) + 3 sigma_N     (about 0.003 + 0.0015 to 0.0024)
The energy distance is insensitive to blur (noise 0.1 instead of 0.05 gives D^2 below sigma_N),
so this is not lax in practice: the reference model after 3000 steps (no input embedding) scores
0.017 and fails it, and so does this one without the input embedding (0.0045); the model here
scores about 0.001 (DDPM) and 0.002 (DDIM), an untrained one about 10. The reference model after
its full 10,000 steps scores 0.0017. The CLI's own baseline must sit within 4 sigma_N of 0.

The same bound is applied to the numbers `eval` prints and, independently, to the `sample` files
against numpy's moons with a numpy energy distance.
"""
import json

import numpy as np

from cli_support import enter_temp_dir, moons, read_csv, run

N = 2000
enter_temp_dir()


def energy_u(x, y):
    """The U-statistic of D^2 (Szekely and Rizzo), as core/metrics/energy_distance.hpp defines it."""
    def mean_distance(a, b, same):
        d = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1))
        return d.sum() / (len(a) * (len(a) - 1)) if same else d.mean()
    return 2 * mean_distance(x, y, False) - mean_distance(x, x, True) - mean_distance(y, y, True)


rng = np.random.default_rng(2024)
sigma = float(np.std([energy_u(moons(N, rng), moons(N, rng)) for _ in range(6)], ddof=1))
blur = float(np.mean([energy_u(moons(N, rng), moons(N, rng, noise=0.2)) for _ in range(2)]))
bound = blur + 3 * sigma
print(f"sigma_N = {sigma:.2e}, D^2(moons, noise 0.2) = {blur:.2e}: bound {bound:.2e}")

r = run("train", "--dataset", "moons", "--steps", "3000", "--hidden", "64", "--x-embed", "16", "--lr", "3e-3",
        "--out", "moons.safetensors", check=True)
print(r.stdout.strip())
assert "step 3000 of 3000" in r.stdout

results = {}
for sampler, out in (("ddpm", "ddpm.csv"), ("ddim", "ddim.npy")):
    run("sample", "--model", "moons.safetensors", "--sampler", sampler, "--n", N, "--seed", "1", "-q",
        "--out", out, check=True)
    samples = read_csv(out) if out.endswith(".csv") else np.load(out).astype(np.float64)
    assert samples.shape == (N, 2) and np.isfinite(samples).all(), samples.shape
    independent = energy_u(samples, moons(N, rng))
    ev = json.loads(run("eval", "--model", "moons.safetensors", "--dataset", "moons", "--sampler", sampler,
                        "--n", N, "-q", "--format", "json", check=True).stdout)
    cli, baseline = ev["samples"]["energy_distance"], ev["baseline"]["energy_distance"]
    results[sampler] = (independent, cli, baseline)
    print(f"{sampler}: D^2 by numpy {independent:.2e}, by diffuse eval {cli:.2e}, baseline {baseline:.2e}")
    assert abs(baseline) < 4 * sigma, (sampler, baseline, sigma)
    assert independent < bound, (sampler, independent, bound)
    assert cli < bound, (sampler, cli, bound)
print("ok: DDPM and DDIM samples are within the bound of the data-vs-data baseline")
