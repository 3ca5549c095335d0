#!/usr/bin/python3
"""Writes tests/reference/rng_golden.json from an independent Python implementation of
Philox-4x32-10 and of diffuse's uniform and Box-Muller transforms (see core/base/rng.hpp).

Floats are stored as their float32 bit patterns so that no decimal round trip can blur them.
Run with Debian's /usr/bin/python3 (numpy): python3 tests/reference/make_rng_golden.py
"""
import json
import math
import pathlib

import numpy as np

M0, M1 = 0xD2511F53, 0xCD9E8D57
W0, W1 = 0x9E3779B9, 0xBB67AE85
MASK = 0xFFFFFFFF


def philox(ctr, key):
    c0, c1, c2, c3 = ctr
    k0, k1 = key
    for r in range(10):
        if r:
            k0, k1 = (k0 + W0) & MASK, (k1 + W1) & MASK
        p0, p1 = M0 * c0, M1 * c2
        c0, c1, c2, c3 = ((p1 >> 32) ^ c1 ^ k0, p1 & MASK, (p0 >> 32) ^ c3 ^ k1, p0 & MASK)
    return [c0, c1, c2, c3]


def blocks(seed, stream):
    position = 0
    while True:
        ctr = [position & MASK, position >> 32, stream & MASK, stream >> 32]
        yield philox(ctr, [seed & MASK, seed >> 32])
        position += 1


def f32_bits(x):
    return int(np.float32(x).view(np.uint32))


def draws(seed, stream, n):
    u32 = [w for _, b in zip(range((n + 3) // 4), blocks(seed, stream)) for w in b][:n]
    uniform = [f32_bits(np.float32(w >> 8) * np.float32(2.0**-24)) for w in u32]
    normal = []
    for b in blocks(seed, stream):
        for wr, wa in ((b[0], b[1]), (b[2], b[3])):
            u1 = (wr + 1.0) * 2.0**-32
            theta = 2.0 * math.pi * (wa * 2.0**-32)
            radius = math.sqrt(-2.0 * math.log(u1))
            normal += [f32_bits(radius * math.cos(theta)), f32_bits(radius * math.sin(theta))]
        if len(normal) >= n:
            break
    return u32, uniform, normal[:n]


def main():
    cases = []
    for seed, stream in [(0, 0), (42, 0), (42, 7), (2**64 - 1, 2**40 + 3)]:
        u32, uniform, normal = draws(seed, stream, 16)
        cases.append({"seed": str(seed), "stream": str(stream), "u32": u32,
                      "uniform_bits": uniform, "normal_bits": normal})
    out = pathlib.Path(__file__).with_name("rng_golden.json")
    out.write_text(json.dumps({"generator": "tests/reference/make_rng_golden.py",
                               "cases": cases}, indent=1) + "\n")
    print("wrote", out)


if __name__ == "__main__":
    main()
