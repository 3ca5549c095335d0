#pragma once
// Heap buffers aligned for the widest SIMD loads (64 bytes: one AVX-512 register, four SIMD128).
#include <cstddef>
#include <vector>
#include <xsimd/xsimd.hpp>

namespace diffuse {

inline constexpr std::size_t simd_alignment = 64;

template <typename T>
using AlignedVector = std::vector<T, xsimd::aligned_allocator<T, simd_alignment>>;

using AlignedBuffer = AlignedVector<float>;

}  // namespace diffuse
