// Nearest x2 upsampling: forward equals F.interpolate(nearest)'s definition exactly (a copy);
// backward is the sum of the four children, in the documented order, and matches central
// differences.
#include <catch2/catch.hpp>

#include <vector>

#include "layer_check.hpp"
#include "nn/upsample.hpp"
#include "reference_image.hpp"

using namespace diffuse;
using namespace diffuse::test;

TEST_CASE("upsample_nearest2x forward copies each pixel to its four children") {
  for (const auto& d :
       {std::vector<std::size_t>{2, 3, 4, 5}, {1, 1, 1, 1}, {3, 2, 7, 7}, {1, 5, 14, 3}}) {
    const std::size_t B = d[0], C = d[1], H = d[2], W = d[3];
    Rng rng(B * 100 + H);
    const std::vector<float> x = random_floats(rng, B * C * H * W);
    std::vector<float> y(4 * x.size(), -1.0f);
    upsample_nearest2x_forward(y.data(), x.data(), B, C, H, W);
    const Vec ref = ref_upsample2x(as_double(x), B, C, H, W);
    for (std::size_t i = 0; i < y.size(); ++i) REQUIRE(y[i] == ref[i]);
  }
}

TEST_CASE("upsample_nearest2x backward sums the four children and matches central differences") {
  const std::size_t B = 2, C = 3, H = 3, W = 5;
  Rng rng(4);
  const std::vector<float> x = random_floats(rng, B * C * H * W),
                           dy = random_floats(rng, 4 * B * C * H * W);
  std::vector<float> dx(x.size(), -1.0f);
  upsample_nearest2x_backward(dx.data(), dy.data(), B, C, H, W);
  for (std::size_t p = 0; p < B * C; ++p) {
    for (std::size_t i = 0; i < H; ++i) {
      for (std::size_t j = 0; j < W; ++j) {
        const float* top = dy.data() + (p * 2 * H + 2 * i) * 2 * W + 2 * j;
        const float* bottom = top + 2 * W;
        REQUIRE(dx[(p * H + i) * W + j] == (top[0] + top[1]) + (bottom[0] + bottom[1]));
      }
    }
  }
  expect_gradient(
      "upsample dx", [&](const Vec& v) { return weighted_sum(ref_upsample2x(v, B, C, H, W), dy); },
      as_double(x), dx.data());
}
