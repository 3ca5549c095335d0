#include "nn/upsample.hpp"

namespace diffuse {

void upsample_nearest2x_forward(float* y, const float* x, std::size_t B, std::size_t C,
                                std::size_t H, std::size_t W) {
  const std::size_t W2 = 2 * W;
  for (std::size_t p = 0; p < B * C; ++p) {
    const float* plane = x + p * H * W;
    float* out = y + p * 4 * H * W;
    for (std::size_t i = 0; i < H; ++i) {
      float* top = out + 2 * i * W2;
      float* bottom = top + W2;
      for (std::size_t j = 0; j < W; ++j) {
        const float v = plane[i * W + j];
        top[2 * j] = v;
        top[2 * j + 1] = v;
      }
      for (std::size_t j = 0; j < W2; ++j) bottom[j] = top[j];
    }
  }
}

void upsample_nearest2x_backward(float* dx, const float* dy, std::size_t B, std::size_t C,
                                 std::size_t H, std::size_t W) {
  const std::size_t W2 = 2 * W;
  for (std::size_t p = 0; p < B * C; ++p) {
    const float* in = dy + p * 4 * H * W;
    float* plane = dx + p * H * W;
    for (std::size_t i = 0; i < H; ++i) {
      const float* top = in + 2 * i * W2;
      const float* bottom = top + W2;
      for (std::size_t j = 0; j < W; ++j) {
        plane[i * W + j] = (top[2 * j] + top[2 * j + 1]) + (bottom[2 * j] + bottom[2 * j + 1]);
      }
    }
  }
}

}  // namespace diffuse
