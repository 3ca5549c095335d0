// The U-Net's parameter layout (nn/unet_layout.cpp, unet_param_layout):
//  * its parameter and tensor counts equal a hand count from the layer formulas of diffusers'
//    UNet2DModel (docs/diffusers-unet.md) for several configs;
//  * its names are unique and its slices tile the flat buffer in order, each on the next 16-float
//    boundary after the previous one (the only gaps are alignment padding, never an overlap);
//  * for the docs' example config, every name, shape and position equals the state_dict table of
//    docs/diffusers-unet.md (read from the file), with spot checks written out here too;
//  * the offsets the network uses point at the slices of the same names.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "nn/unet.hpp"

using namespace diffuse;

namespace {

UNetConfig make(std::vector<std::size_t> channels, std::size_t layers, std::size_t groups,
                std::size_t sample_size, bool attention, std::size_t classes,
                std::size_t in_channels = 1) {
  UNetConfig c;
  c.block_out_channels = std::move(channels);
  c.layers_per_block = layers;
  c.norm_num_groups = groups;
  c.sample_size = sample_size;
  c.add_attention = attention;
  c.classes = classes;
  c.in_channels = in_channels;
  return c;
}

// docs/diffusers-unet.md's example: 159 tensors, 919,297 parameters.
UNetConfig example() {
  return make({32, 64}, 2, 8, 8, true, 10);
}

// Parameters and tensors, counted from the layer formulas.
struct Count {
  std::size_t params = 0, tensors = 0;
  void conv(std::size_t cin, std::size_t cout, std::size_t k) {  // weight (cout, cin, k, k), bias
    params += cout * cin * k * k + cout;
    tensors += 2;
  }
  void linear(std::size_t in, std::size_t out) {  // weight (out, in), bias
    params += out * in + out;
    tensors += 2;
  }
  void group_norm(std::size_t c) {  // weight and bias (c,)
    params += 2 * c;
    tensors += 2;
  }
  // ResnetBlock2D: norm1, conv1, time_emb_proj, norm2, conv2, conv_shortcut iff cin != cout.
  void resnet(std::size_t cin, std::size_t cout, std::size_t E) {
    group_norm(cin);
    conv(cin, cout, 3);
    linear(E, cout);
    group_norm(cout);
    conv(cout, cout, 3);
    if (cin != cout) conv(cin, cout, 1);
  }
};

Count hand_count(const UNetConfig& c) {
  const std::vector<std::size_t>& C = c.block_out_channels;
  const std::size_t n = C.size(), N = c.layers_per_block, E = 4 * C[0], K = c.classes;
  Count count;
  count.conv(c.in_channels, C[0], 3);  // conv_in
  count.linear(C[0], E);               // time_embedding.linear_1
  count.linear(E, E);                  // time_embedding.linear_2
  if (K > 0) {                         // class_embedding (K + 1, E): row K the null class
    count.params += (K + 1) * E;
    count.tensors += 1;
  }
  for (std::size_t i = 0; i < n; ++i) {  // down blocks; C[-1] = C[0]
    for (std::size_t j = 0; j < N; ++j)
      count.resnet(j == 0 ? C[i == 0 ? 0 : i - 1] : C[i], C[i], E);
    if (i + 1 < n) count.conv(C[i], C[i], 3);  // downsampler
  }
  for (std::size_t u = 0; u < n; ++u) {  // up blocks: N + 1 resnets on cat(h, skip)
    const std::size_t cu = C[n - 1 - u];
    for (std::size_t j = 0; j <= N; ++j) {
      const std::size_t h = j > 0 ? cu : (u == 0 ? C[n - 1] : C[n - u]);
      const std::size_t skip = j < N ? cu : C[n >= u + 2 ? n - 2 - u : 0];
      count.resnet(h + skip, cu, E);
    }
    if (u + 1 < n) count.conv(cu, cu, 3);  // upsampler
  }
  if (c.add_attention) {  // group_norm, to_q, to_k, to_v, to_out.0 on C[n-1]
    count.group_norm(C[n - 1]);
    for (int l = 0; l < 4; ++l) count.linear(C[n - 1], C[n - 1]);
  }
  count.resnet(C[n - 1], C[n - 1], E);  // mid_block.resnets.0
  count.resnet(C[n - 1], C[n - 1], E);  // mid_block.resnets.1
  count.group_norm(C[0]);               // conv_norm_out
  count.conv(C[0], c.in_channels, 3);   // conv_out
  return count;
}

const std::vector<UNetConfig>& configs() {
  static const std::vector<UNetConfig> all = {
      example(),
      UNetConfig{},                                  // the digits default, no attention or classes
      make({8, 16, 16}, 1, 4, 28, true, 3),          // three levels, 28x28
      make({8}, 1, 2, 4, false, 0),                  // one level: no samplers
      make({8, 12, 24, 24}, 3, 4, 16, false, 5, 3),  // four levels, widths changing each level
  };
  return all;
}

// One row of the docs' state_dict table: | `name` | [d0, d1, ...] | numbers |
struct DocRow {
  std::string name;
  std::vector<std::size_t> shape;
  std::size_t numbers;
};

std::vector<DocRow> doc_state_dict_table() {
  std::ifstream in(std::string(DIFFUSE_SOURCE_DIR) + "/docs/diffusers-unet.md");
  REQUIRE(in);
  std::vector<DocRow> rows;
  const std::regex row(R"(^\| `([^`]+)` \| \[([0-9, ]+)\] \| ([0-9]+) \|$)");
  std::string line;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0)
      inside = line.find("state_dict` of the example config") != std::string::npos;
    std::smatch m;
    if (!inside || !std::regex_match(line, m, row)) continue;
    DocRow r;
    r.name = m[1];
    std::stringstream dims(m[2].str());
    std::string d;
    while (std::getline(dims, d, ',')) r.shape.push_back(std::stoul(d));
    r.numbers = std::stoul(m[3]);
    rows.push_back(r);
  }
  return rows;
}

// The image models of the flop count below (the issue's 8x8 and 28x28 benchmark models).
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

TEST_CASE("the parameter count equals a hand count from diffusers' layer formulas") {
  for (const UNetConfig& c : configs()) {
    INFO(unet_config_to_json(c).dump());
    const ParamLayout layout = unet_param_layout(c);
    const Count expected = hand_count(c);
    CHECK(layout.count() == expected.params);
    CHECK(layout.slices().size() == expected.tensors);
  }
  // The docs' totals for the example, so the hand count itself is anchored.
  CHECK(hand_count(example()).params == 919297);
  CHECK(hand_count(example()).tensors == 159);
}

TEST_CASE("names are unique and the slices tile the buffer in order without overlap") {
  for (const UNetConfig& c : configs()) {
    INFO(unet_config_to_json(c).dump());
    const ParamLayout layout = unet_param_layout(c);
    std::set<std::string> names;
    std::size_t end = 0, sum = 0;
    for (const ParamSlice& s : layout.slices()) {
      INFO(s.name);
      CHECK(names.insert(s.name).second);
      std::size_t product = 1;
      for (std::size_t d : s.shape) product *= d;
      CHECK(s.size == product);
      // Each slice starts on the first 64-byte line at or after the previous one's end.
      CHECK(s.offset % 16 == 0);
      CHECK(s.offset >= end);
      CHECK(s.offset < end + 16);
      end = s.offset + s.size;
      sum += s.size;
    }
    CHECK(layout.slices().front().offset == 0);
    CHECK(layout.total() == end);
    CHECK(layout.count() == sum);
  }
}

TEST_CASE("the example's names, shapes and order are docs/diffusers-unet.md's state_dict table") {
  const std::vector<DocRow> doc = doc_state_dict_table();
  REQUIRE(doc.size() == 159);
  const ParamLayout layout = unet_param_layout(example());
  REQUIRE(layout.slices().size() == doc.size());
  for (std::size_t i = 0; i < doc.size(); ++i) {
    const ParamSlice& s = layout.slices()[i];
    INFO("tensor " << i << ": " << doc[i].name);
    CHECK(s.name == doc[i].name);
    CHECK(s.shape == doc[i].shape);
    CHECK(s.size == doc[i].numbers);
  }
  // Written out, should the table's format ever stop matching the pattern above.
  const std::vector<ParamSlice>& s = layout.slices();
  CHECK(s[0].name == "conv_in.weight");
  CHECK(s[0].shape == std::vector<std::size_t>{32, 1, 3, 3});
  CHECK(s[6].name == "class_embedding.weight");
  CHECK(s[6].shape == std::vector<std::size_t>{11, 128});
  CHECK(s[7].name == "down_blocks.0.resnets.0.norm1.weight");
  CHECK(layout.find("down_blocks.1.resnets.0.conv_shortcut.weight").shape ==
        std::vector<std::size_t>{64, 32, 1, 1});
  CHECK_FALSE(layout.contains("down_blocks.0.resnets.0.conv_shortcut.weight"));
  CHECK(layout.find("up_blocks.0.resnets.2.conv1.weight").shape ==
        std::vector<std::size_t>{64, 96, 3, 3});
  CHECK(layout.find("up_blocks.1.resnets.0.norm1.weight").shape == std::vector<std::size_t>{96});
  CHECK(s[s.size() - 4 - 20 - 10 - 1].name == "up_blocks.1.resnets.2.conv_shortcut.bias");
  CHECK(s[s.size() - 4 - 20 - 10].name == "mid_block.attentions.0.group_norm.weight");
  CHECK(s[s.size() - 4 - 20].name == "mid_block.resnets.0.norm1.weight");
  CHECK(s[s.size() - 2].name == "conv_out.weight");
  CHECK(s.back().name == "conv_out.bias");
  CHECK(s.back().shape == std::vector<std::size_t>{1});
}

TEST_CASE("without attention or classes their tensors are absent") {
  UNetConfig plain = example();
  plain.add_attention = false;
  plain.classes = 0;
  const ParamLayout full = unet_param_layout(example()), layout = unet_param_layout(plain);
  CHECK(full.slices().size() - layout.slices().size() == 11);
  CHECK(full.count() - layout.count() == 11 * 128 + 64 * 2 + 4 * (64 * 64 + 64));
  CHECK_FALSE(layout.contains("class_embedding.weight"));
  for (const ParamSlice& s : layout.slices()) CHECK(s.name.find("attentions") == std::string::npos);
}

TEST_CASE("the network's offsets point at the slices of the same names") {
  for (const UNetConfig& c : configs()) {
    INFO(unet_config_to_json(c).dump());
    UNetOffsets o;
    const ParamLayout layout = unet_param_layout(c, &o);
    const auto at = [&](const std::string& name) { return layout.find(name).offset; };
    const std::size_t n = c.levels(), N = c.layers_per_block;
    CHECK(o.conv_in_weight == at("conv_in.weight"));
    CHECK(o.linear2_bias == at("time_embedding.linear_2.bias"));
    if (c.classes > 0) CHECK(o.class_embedding == at("class_embedding.weight"));
    REQUIRE(o.down.size() == n * N);
    REQUIRE(o.up.size() == n * (N + 1));
    const auto check_resnet = [&](const ResnetOffsets& r, const std::string& name) {
      INFO(name);
      CHECK(r.norm1_weight == at(name + ".norm1.weight"));
      CHECK(r.conv1_weight == at(name + ".conv1.weight"));
      CHECK(r.temb_bias == at(name + ".time_emb_proj.bias"));
      CHECK(r.conv2_bias == at(name + ".conv2.bias"));
      CHECK(layout.find(name + ".norm1.weight").shape == std::vector<std::size_t>{r.in});
      CHECK(layout.find(name + ".conv2.bias").shape == std::vector<std::size_t>{r.out});
      if (r.in != r.out) CHECK(r.shortcut_weight == at(name + ".conv_shortcut.weight"));
    };
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < N; ++j) {
        check_resnet(o.down[i * N + j],
                     "down_blocks." + std::to_string(i) + ".resnets." + std::to_string(j));
        CHECK(o.down[i * N + j].size == c.sample_size >> i);
      }
      for (std::size_t j = 0; j <= N; ++j) {
        check_resnet(o.up[i * (N + 1) + j],
                     "up_blocks." + std::to_string(i) + ".resnets." + std::to_string(j));
        CHECK(o.up[i * (N + 1) + j].size == c.sample_size >> (n - 1 - i));
      }
    }
    check_resnet(o.mid[0], "mid_block.resnets.0");
    check_resnet(o.mid[1], "mid_block.resnets.1");
    if (c.add_attention)
      CHECK(o.attention.out_weight == at("mid_block.attentions.0.to_out.0.weight"));
    CHECK(o.conv_out_bias == at("conv_out.bias"));
  }
}

// unet_convs and the training step's flops against an independent count: PyTorch forward hooks on
// python/diffuse_torch/unet2d.py's UNet2D (bench/torchref/unet_training.py, conv_flops_per_step).
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
