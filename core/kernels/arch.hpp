#pragma once
// The SIMD architecture chosen at compile time (xsimd's default arch): "avx512bw", "avx2",
// "sse4.2" (also in WebAssembly, where Emscripten lowers SSE to SIMD128), ...
#include <cstddef>
#include <string>

namespace diffuse::kernels {

std::string simd_arch_name();
// float32 lanes per vector register in that arch.
std::size_t simd_float_lanes();

}  // namespace diffuse::kernels
