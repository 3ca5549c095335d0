#include "kernels/arch.hpp"

#include <xsimd/xsimd.hpp>

namespace diffuse::kernels {

std::string simd_arch_name() {
#ifdef __EMSCRIPTEN__
  return std::string("wasm-simd128 (xsimd ") + xsimd::default_arch::name() + ")";
#else
  return xsimd::default_arch::name();
#endif
}

std::size_t simd_float_lanes() { return xsimd::batch<float>::size; }

}  // namespace diffuse::kernels
