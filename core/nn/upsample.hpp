#pragma once
// Nearest-neighbour upsampling by 2 (diffusers' Upsample2D before its conv:
// F.interpolate(x, scale_factor=2.0, mode="nearest")), NCHW:
//   y(b, c, 2i + a, 2j + d) = x(b, c, i, j)                      a, d in {0, 1}
// Backward: each input pixel receives the sum of its four children,
//   dx(b, c, i, j) = (dy(.., 2i, 2j) + dy(.., 2i, 2j + 1)) + (dy(.., 2i + 1, 2j) + dy(.., 2i + 1,
//   2j + 1))
// summed in that order. No cache, no parameters.
#include <cstddef>

namespace diffuse {

// y (B, C, 2H, 2W) from x (B, C, H, W).
void upsample_nearest2x_forward(float* y, const float* x, std::size_t B, std::size_t C,
                                std::size_t H, std::size_t W);

// dx (B, C, H, W) overwritten from dy (B, C, 2H, 2W).
void upsample_nearest2x_backward(float* dx, const float* dy, std::size_t B, std::size_t C,
                                 std::size_t H, std::size_t W);

}  // namespace diffuse
