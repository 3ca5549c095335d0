#pragma once
// Per-plane operations on NCHW buffers seen as P = B C planes of HW values, the two halves of a
// broadcast over pixels (a convolution's bias, a ResnetBlock2D's time embedding added to every
// pixel of a channel), each with its scalar twin (*_ref):
//   plane_add             x(p, hw) += v(p)
//   plane_sums_accumulate sums(p) += sum_hw x(p, hw)     (the broadcast's gradient)
// The SIMD sums run lanes partial sums over the plane (the tail zero-filled) and add them across
// lanes; the twin sums in double and rounds once (with the prior value).
#include <cstddef>

namespace diffuse::kernels {

void plane_add(float* x, const float* v, std::size_t planes, std::size_t pixels);
void plane_add_ref(float* x, const float* v, std::size_t planes, std::size_t pixels);

void plane_sums_accumulate(float* sums, const float* x, std::size_t planes, std::size_t pixels);
void plane_sums_accumulate_ref(float* sums, const float* x, std::size_t planes, std::size_t pixels);

}  // namespace diffuse::kernels
