#pragma once
// The machine's float32 multiply-add peak as this build can use it: independent chains of vector
// fused multiply-adds with nothing else in the loop (kernels/simd_fma.hpp: one instruction each
// with FMA hardware, a multiply and an add without). Benchmarks divide their GFLOP/s by this
// probe's to report a fraction of peak (bench/bench_conv.cpp, bench/bench_kernels.cpp).
#include <cstddef>

namespace diffuse::kernels {

// Floating-point operations (2 per multiply-add per lane) in one iteration of fma_probe.
std::size_t fma_probe_flops_per_iteration();

// Runs `iterations` rounds of the chains acc = acc * m + c, starting from x, and returns a sum of
// the chains (so that the compiler keeps the loop). With m = 1, c = 0 the result is
// chains * lanes * x, whatever the iteration count.
float fma_probe(std::size_t iterations, float x, float m, float c);
// The scalar twin: one chain per accumulator in plain float arithmetic, the same result where
// the arithmetic is exact (m = 1, c = 0, or c exactly representable sums).
float fma_probe_ref(std::size_t iterations, float x, float m, float c);

}  // namespace diffuse::kernels
