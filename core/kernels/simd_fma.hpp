#pragma once
// Internal to core/kernels: fused multiply-adds on xsimd batches that are always one rounding.
// xsimd 8.1 has FMA instructions for its AVX2/FMA3 arches but none for AVX-512: there xsimd::fma
// is the generic x * y + z, which is fused only if the compiler contracts it. The build turns
// contraction off (CMakeLists.txt: where GCC contracts depends on inlining, so one formula could
// round differently in two places), so AVX-512 gets its FMA instructions explicitly here. Without
// FMA hardware (SSE4.2, WebAssembly SIMD128) these are a multiply and an add, as before.
//   fma(x, y, z) = x y + z    fms(x, y, z) = x y - z    fnma(x, y, z) = z - x y
// Include after <xsimd/xsimd.hpp> (kernels/gemm_tile.hpp includes both in the right order).
#include <xsimd/xsimd.hpp>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace diffuse::kernels::detail {

template <class A>
inline xsimd::batch<float, A> fma(const xsimd::batch<float, A>& x, const xsimd::batch<float, A>& y,
                                  const xsimd::batch<float, A>& z) {
#if defined(__AVX512F__)
  if constexpr (xsimd::batch<float, A>::size == 16) return _mm512_fmadd_ps(x, y, z);
#endif
  return xsimd::fma(x, y, z);
}

template <class A>
inline xsimd::batch<float, A> fms(const xsimd::batch<float, A>& x, const xsimd::batch<float, A>& y,
                                  const xsimd::batch<float, A>& z) {
#if defined(__AVX512F__)
  if constexpr (xsimd::batch<float, A>::size == 16) return _mm512_fmsub_ps(x, y, z);
#endif
  return xsimd::fms(x, y, z);
}

template <class A>
inline xsimd::batch<float, A> fnma(const xsimd::batch<float, A>& x, const xsimd::batch<float, A>& y,
                                   const xsimd::batch<float, A>& z) {
#if defined(__AVX512F__)
  if constexpr (xsimd::batch<float, A>::size == 16) return _mm512_fnmadd_ps(x, y, z);
#endif
  return xsimd::fnma(x, y, z);
}

}  // namespace diffuse::kernels::detail
