"""diffuse sweep: every (sampler, budget) cell is the run `diffuse eval` makes with that sampler and
the largest step count within the budget (heun: N steps are 2N - 1 calls), scored the same way;
the JSON lists what ran; the PNG is written; bad lists are refused with exit 2 and nothing
written."""
import json
import os

from cli_support import TINY, assert_usage_error, enter_temp_dir, run

enter_temp_dir()
run("train", "--dataset", "moons", "--steps", "200", *TINY, "--out", "m.safetensors", check=True)

r = run("sweep", "--model", "m.safetensors", "--dataset", "moons", "--n", "300",
        "--samplers", "ddim,heun,dpmpp_2m", "--budgets", "4,9", "--format", "json",
        "--out", "chart.png", "-q", check=True)
result = json.loads(r.stdout)
assert result["n"] == 300 and result["metric"].startswith("energy distance"), result
cells = {(row["sampler"], row["budget"]): row for row in result["results"]}
assert set(cells) == {(s, b) for s in ("ddim", "heun", "dpmpp_2m") for b in (4, 9)}, cells
assert cells[("heun", 4)]["steps"] == 2 and cells[("heun", 4)]["calls"] == 3, cells  # 2N - 1 <= 4
assert cells[("heun", 9)]["steps"] == 5 and cells[("heun", 9)]["calls"] == 9, cells
assert cells[("ddim", 9)]["steps"] == 9 and cells[("dpmpp_2m", 4)]["calls"] == 4, cells
with open("chart.png", "rb") as f:
    assert f.read(8) == b"\x89PNG\r\n\x1a\n"

# Independent check of one cell: diffuse eval with the same sampler, steps, seed and n.
for sampler, budget in (("heun", 9), ("dpmpp_2m", 4)):
    cell = cells[(sampler, budget)]
    e = run("eval", "--model", "m.safetensors", "--dataset", "moons", "--n", "300", "--sampler",
            sampler, "--steps", cell["steps"], "--format", "json", "-q", check=True)
    want = json.loads(e.stdout)
    assert abs(want["samples"]["energy_distance"] - cell["score"]) < 1e-12, (want, cell)
    assert abs(want["baseline"]["energy_distance"] - result["baseline"]) < 1e-12, (want, result)
print("ok: sweep cells are eval's runs at the largest steps within each budget; JSON and PNG written")

text = run("sweep", "--model", "m.safetensors", "--dataset", "moons", "--n", "100",
           "--samplers", "euler", "--budgets", "3", "-q", check=True).stdout
assert "euler" in text and "3 calls" in text, text

for args, expected in (
    (["--samplers", "ddim,plms"], "plms"),
    (["--samplers", ","], "--samplers is empty"),
    (["--budgets", "0"], "--budgets"),
    (["--budgets", "ten"], "--budgets"),
    (["--sampler", "ddim"], "--sampler/--steps"),
    (["--out", "chart.txt"], "--out"),
):
    before = sorted(os.listdir("."))
    r = run("sweep", "--model", "m.safetensors", "--dataset", "moons", "--n", "50", *args, "-q")
    assert_usage_error(r, expected, " ".join(args))
    assert sorted(os.listdir(".")) == before, args
print("ok: bad --samplers, --budgets, --sampler and --out are refused with exit 2, nothing written")
