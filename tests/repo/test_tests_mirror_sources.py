"""Tests mirror sources (ARCHITECTURE lesson 10): every file of core/ has its test file
(core/nn/mlp.cpp <-> tests/unit/nn/test_mlp.cpp), or the nearest test names it in its text
(tests/unit/kernels/test_gemm.cpp names gemm_tile.hpp, which it tests through gemm). Also: core/
includes nothing from native/, web/ or bench/, core/nn nothing from core/diffusion, and web/ nothing
from bench/ (the model seam and the bench-only target)."""
import os
import re
import sys

ROOT = os.environ.get("DIFFUSE_SOURCE_DIR") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
problems = []

tests = {}
for folder, _, files in os.walk(os.path.join(ROOT, "tests", "unit")):
    for f in files:
        if f.endswith((".cpp", ".hpp")):
            tests[os.path.join(folder, f)] = open(os.path.join(folder, f)).read()

sources = set()
for folder, _, files in os.walk(os.path.join(ROOT, "core")):
    for f in files:
        stem, ext = os.path.splitext(f)
        if ext in (".cpp", ".hpp"):
            sources.add(os.path.relpath(os.path.join(folder, stem), os.path.join(ROOT, "core")))

for source in sorted(sources):
    directory, stem = os.path.split(source)
    own = os.path.join(ROOT, "tests", "unit", directory, f"test_{stem}.cpp")
    if os.path.exists(own):
        continue
    named = re.compile(rf"\b{re.escape(stem)}\.(hpp|cpp)\b")
    if not any(named.search(text) for text in tests.values()):
        problems.append(f"core/{source}: no tests/unit/{directory}/test_{stem}.cpp, and no test names {stem}.hpp")


def includes(folder, pattern):
    out = []
    for path, _, files in os.walk(os.path.join(ROOT, folder)):
        for f in files:
            if f.endswith((".cpp", ".hpp", ".in")):
                text = open(os.path.join(path, f)).read()
                for m in re.finditer(r'#include\s+"([^"]+)"', text):
                    if re.search(pattern, m.group(1)):
                        out.append(f"{os.path.relpath(os.path.join(path, f), ROOT)}: {m.group(0)}")
    return out


problems += [f"core/nn includes diffusion: {i}" for i in includes("core/nn", r"^diffusion/")]
problems += [f"core includes native, web or bench: {i}" for i in includes("core", r"(^|/)(native|web|bench|support|commands)/|\.\./")]
problems += [f"web includes bench: {i}" for i in includes("web", r"bench|kernel_workload")]

if problems:
    print("\n".join(problems))
    sys.exit(1)
print(f"ok: {len(sources)} core sources each have a test that names them; the include boundaries hold")
