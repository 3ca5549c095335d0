// The Conv2d layer: forward against torch.nn.Conv2d's definition in float64 (reference_image.hpp)
// for the U-Net's three convolutions and odd shapes; backward against central differences for
// the input, the weight and the bias.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "layer_check.hpp"
#include "nn/conv2d.hpp"
#include "reference_image.hpp"

using namespace diffuse;
using namespace diffuse::test;

namespace {

struct ConvCase {
  kernels::Conv2dShape s;
  RefConv r;
  std::vector<float> x, w, b, dy;
  ConvCase(const kernels::Conv2dShape& shape, std::uint64_t seed) : s(shape) {
    r = {s.batch, s.in_channels, s.out_channels, s.height, s.width, s.kernel, s.stride, s.padding};
    Rng rng(seed);
    x = random_floats(rng, s.input_size());
    w = random_floats(rng, s.weight_size(), 0.5f);
    b = random_floats(rng, s.out_channels);
    dy = random_floats(rng, s.output_size());
  }
  double loss(const Vec& xd, const Vec& wd, const Vec& bd) const {
    return weighted_sum(ref_conv2d(xd, wd, bd, r), dy);
  }
};

std::vector<kernels::Conv2dShape> shapes() {
  return {kernels::conv2d_3x3(2, 3, 4, 5, 6),         kernels::conv2d_3x3_stride2(2, 3, 5, 5, 5),
          kernels::conv2d_3x3_stride2(1, 4, 3, 6, 8), kernels::conv2d_1x1(2, 5, 3, 3, 4),
          kernels::conv2d_3x3(3, 2, 3, 1, 1),         kernels::conv2d_3x3(1, 1, 17, 4, 4),
          kernels::conv2d_3x3(2, 17, 1, 3, 2)};
}

}  // namespace

TEST_CASE("conv2d_forward equals torch.nn.Conv2d's definition for the U-Net's convolutions") {
  std::uint64_t seed = 10;
  for (const kernels::Conv2dShape& s : shapes()) {
    const ConvCase c(s, ++seed);
    std::vector<float> y(s.output_size(), std::numeric_limits<float>::quiet_NaN());
    std::vector<float> scratch(kernels::conv2d_scratch_floats(s));
    conv2d_forward(y.data(), c.x.data(), c.w.data(), c.b.data(), s, scratch.data(),
                   serial_executor());
    // Each output is the bias plus K = k k Cin products summed in float32 (blocks of 256 added):
    // within (2K + 2 ceil(K / 256) + 4) u of the magnitude sum S = |b| + sum |w x|
    // (kernels/conv2d tests derive it); S <= the largest such sum over the outputs.
    const Vec mag = ref_conv2d(as_double(c.x), as_double(c.w), as_double(c.b), c.r);
    std::vector<float> ax = c.x, aw = c.w, ab = c.b;
    for (auto* v : {&ax, &aw, &ab})
      for (float& e : *v) e = std::abs(e);
    const Vec S = ref_conv2d(as_double(ax), as_double(aw), as_double(ab), c.r);
    const double K = static_cast<double>(s.kernel * s.kernel * s.in_channels);
    INFO("k=" << s.kernel << " s=" << s.stride << " Cin=" << s.in_channels
              << " Cout=" << s.out_channels);
    expect_close(y, mag, *std::max_element(S.begin(), S.end()), 2 * K + 2 * std::ceil(K / 256) + 4);
  }
}

TEST_CASE("conv2d_backward matches central differences for x, weight and bias") {
  std::uint64_t seed = 20;
  for (const kernels::Conv2dShape& s : shapes()) {
    const ConvCase c(s, ++seed);
    std::vector<float> scratch(kernels::conv2d_scratch_floats(s));
    std::vector<float> dx(s.input_size(), std::numeric_limits<float>::quiet_NaN());
    std::vector<float> dw(s.weight_size(), 0.0f), db(s.out_channels, 0.0f);
    conv2d_backward(dx.data(), dw.data(), db.data(), c.dy.data(), c.x.data(), c.w.data(), s,
                    scratch.data(), serial_executor());
    const Vec x = as_double(c.x), w = as_double(c.w), b = as_double(c.b);
    INFO("k=" << s.kernel << " s=" << s.stride << " Cin=" << s.in_channels
              << " Cout=" << s.out_channels);
    expect_gradient(
        "conv dx", [&](const Vec& v) { return c.loss(v, w, b); }, x, dx.data());
    expect_gradient(
        "conv dweight", [&](const Vec& v) { return c.loss(x, v, b); }, w, dw.data());
    expect_gradient(
        "conv dbias", [&](const Vec& v) { return c.loss(x, w, v); }, b, db.data());
  }
}
