// unet_convs (nn/unet_layout.cpp): every convolution weight of the layout exactly once, with the
// shape the layout gives it, and the training step's flops against an independent count: PyTorch
// forward hooks on tests/reference/unet2d.py's UNet2D (bench/torchref/unet_training.py,
// conv_flops_per_step) for the two image models of `diffuse train`.
#include <catch2/catch.hpp>

#include <map>

#include "nn/unet.hpp"

using namespace diffuse;

namespace {

UNetConfig image_model(std::size_t size, std::vector<std::size_t> channels) {
  UNetConfig c;
  c.sample_size = size;
  c.block_out_channels = std::move(channels);
  c.layers_per_block = 1;
  c.norm_num_groups = 8;
  c.classes = 10;
  return c;
}

}  // namespace

TEST_CASE("unet_convs lists every convolution weight of the layout once, with its shape") {
  for (std::size_t L : {1, 2}) {
    for (bool attention : {false, true}) {
      UNetConfig c = image_model(16, {32, 64, 64});
      c.layers_per_block = L;
      c.add_attention = attention;
      std::map<std::string, std::vector<std::size_t>> weights;
      const ParamLayout layout = unet_param_layout(c);
      for (const ParamSlice& s : layout.slices()) {
        if (s.shape.size() == 4) weights[s.name.substr(0, s.name.size() - 7)] = s.shape;
      }
      const std::vector<UNetConv> convs = unet_convs(c, 3);
      REQUIRE(convs.size() == weights.size());
      for (const UNetConv& conv : convs) {
        INFO(conv.name);
        REQUIRE(weights.count(conv.name) == 1);
        const std::vector<std::size_t>& w = weights[conv.name];
        CHECK(w == std::vector<std::size_t>{conv.shape.out_channels, conv.shape.in_channels,
                                            conv.shape.kernel, conv.shape.kernel});
        CHECK(conv.shape.batch == 3);
        CHECK(conv.needs_dx == (conv.name != "conv_in"));
        CHECK(kernels::conv2d_shape_valid(conv.shape));
      }
    }
  }
}

TEST_CASE("unet_train_conv_flops matches PyTorch forward hooks on the image models") {
  // conv_flops_per_step("digits") and ("fashion") of bench/torchref/unet_training.py.
  CHECK(unet_train_conv_flops(image_model(8, {32, 64}), 128) == 11461459968.0);
  CHECK(unet_train_conv_flops(image_model(28, {32, 64, 64}), 64) == 71203356672.0);
}

TEST_CASE("conv2d_product_flops is 2 B Cout Cin k^2 Ho Wo") {
  CHECK(conv2d_product_flops(conv2d_3x3(2, 3, 5, 8, 8)) == 2.0 * 2 * 5 * 3 * 9 * 64);
  CHECK(conv2d_product_flops(conv2d_3x3_stride2(2, 3, 5, 8, 8)) == 2.0 * 2 * 5 * 3 * 9 * 16);
  CHECK(conv2d_product_flops(conv2d_1x1(1, 4, 6, 7, 7)) == 2.0 * 6 * 4 * 49);
}
