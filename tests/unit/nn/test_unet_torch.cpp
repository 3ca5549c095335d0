// The U-Net against an independent PyTorch UNet2D (python/diffuse_torch/unet2d.py, the stand-in for
// diffusers' UNet2DModel, checked against diffusers itself: docs/diffusers-unet.md): random weights
// and inputs, loaded into the PyTorch module by name with strict=True, forward to 1e-4 absolute and
// every parameter gradient (tests/reference/unet_check.py), with and without class labels and
// attention, on one, two and three levels, and with a doubled output (a learned variance).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "base/rng.hpp"
#include "nn/unet.hpp"

using namespace diffuse;
using nlohmann::json;

namespace {

json dump_case(const UNetConfig& config, std::size_t B, std::uint64_t seed) {
  UNet m(config);
  Rng rng(seed);
  m.init_params(rng);
  // Non-trivial GroupNorm parameters (init leaves 1 and 0): every gradient path is exercised.
  for (const ParamSlice& s : m.layout().slices()) {
    if (s.shape.size() == 1 && s.name.find("norm") != std::string::npos) {
      std::vector<float> noise(s.size);
      rng.fill_normal(noise.data(), s.size);
      for (std::size_t i = 0; i < s.size; ++i) m.params()[s.offset + i] += 0.2f * noise[i];
    }
  }
  const std::size_t D = m.sample_size();
  Tensor2 x = Tensor2::from_shape({B, D}), out, d_out = Tensor2::from_shape({B, m.output_size()});
  Steps t = Steps::from_shape({B});
  rng.fill_normal(x.data(), x.size());
  rng.fill_below(t.data(), B, 1000);
  rng.fill_normal(d_out.data(), d_out.size());
  Labels labels = Labels::from_shape({B});
  rng.fill_below(labels.data(), B, static_cast<std::uint32_t>(config.classes + 1));
  m.zero_grad();
  m.forward_train(out, x, t, config.classes ? &labels : nullptr, serial_executor());
  m.backward(d_out, serial_executor());
  json params = json::object(), grads = json::object(), order = json::array();
  double grad_scale = 0;
  for (const ParamSlice& s : m.layout().slices()) {
    const float* p = m.params().data() + s.offset;
    const float* g = m.grads().data() + s.offset;
    params[s.name] = {{"shape", s.shape}, {"values", std::vector<float>(p, p + s.size)}};
    grads[s.name] = std::vector<float>(g, g + s.size);
    order.push_back(s.name);
    for (std::size_t i = 0; i < s.size; ++i) grad_scale = std::max(grad_scale, double(std::abs(g[i])));
  }
  json out_case = {{"config", unet_config_to_json(config)},
                   {"params", params},
                   {"order", order},
                   {"x", std::vector<float>(x.begin(), x.end())},
                   {"t", std::vector<std::int32_t>(t.begin(), t.end())},
                   {"out", std::vector<float>(out.begin(), out.end())},
                   {"d_out", std::vector<float>(d_out.begin(), d_out.end())},
                   {"grads", grads},
                   {"grad_scale", grad_scale}};
  if (config.classes) out_case["labels"] = std::vector<std::int32_t>(labels.begin(), labels.end());
  return out_case;
}

}  // namespace

TEST_CASE("the U-Net matches the PyTorch UNet2D loaded by name: output to 1e-4, every gradient") {
  UNetConfig digits;  // the digits model's shape: (32, 64), 2 resnets, 8 groups, 8x8
  digits.classes = 10;
  UNetConfig attention = digits;
  attention.add_attention = true;
  attention.block_out_channels = {16, 24};
  attention.norm_num_groups = 4;
  attention.classes = 0;
  UNetConfig three;  // three levels, one resnet per block, 28x28 as Fashion-MNIST
  three.block_out_channels = {8, 16, 16};
  three.layers_per_block = 1;
  three.norm_num_groups = 4;
  three.sample_size = 28;
  three.add_attention = true;
  three.classes = 3;
  UNetConfig one;  // one level: no down- or upsampler
  one.block_out_channels = {8};
  one.layers_per_block = 1;
  one.norm_num_groups = 2;
  one.sample_size = 4;
  UNetConfig learned = one;  // a learned variance: conv_out gives 2 C channels
  learned.out_channels = 2;
  std::string args;
  int index = 0;
  for (const auto& [config, B] : std::vector<std::pair<UNetConfig, std::size_t>>{
           {digits, 3}, {attention, 2}, {three, 2}, {one, 5}, {learned, 3}}) {
    const std::string path =
        std::string(DIFFUSE_BINARY_DIR) + "/tests/unet_torch_case_" + std::to_string(index) + ".json";
    std::ofstream(path) << dump_case(config, B, 200 + index).dump();
    args += " '" + path + "'";
    ++index;
  }
  const std::string command = "OMP_NUM_THREADS=1 /usr/bin/python3 '" + std::string(DIFFUSE_SOURCE_DIR) +
                              "/tests/reference/unet_check.py'" + args;
  INFO(command);
  CHECK(std::system(command.c_str()) == 0);
}
