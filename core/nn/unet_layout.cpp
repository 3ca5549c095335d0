// The U-Net's parameters: diffusers' state_dict names, shapes and order (docs/diffusers-unet.md),
// and PyTorch's default initialization of each (nn/unet.hpp).
#include <cmath>
#include <string>

#include "nn/unet.hpp"
#include "nn/unet_workspace.hpp"

namespace diffuse {
namespace {

ResnetOffsets add_resnet(ParamLayout& layout, const std::string& name, std::size_t in,
                         std::size_t out, std::size_t size, std::size_t E) {
  ResnetOffsets o;
  o.in = in;
  o.out = out;
  o.size = size;
  o.norm1_weight = layout.add(name + ".norm1.weight", {in});
  o.norm1_bias = layout.add(name + ".norm1.bias", {in});
  o.conv1_weight = layout.add(name + ".conv1.weight", {out, in, 3, 3});
  o.conv1_bias = layout.add(name + ".conv1.bias", {out});
  o.temb_weight = layout.add(name + ".time_emb_proj.weight", {out, E});
  o.temb_bias = layout.add(name + ".time_emb_proj.bias", {out});
  o.norm2_weight = layout.add(name + ".norm2.weight", {out});
  o.norm2_bias = layout.add(name + ".norm2.bias", {out});
  o.conv2_weight = layout.add(name + ".conv2.weight", {out, out, 3, 3});
  o.conv2_bias = layout.add(name + ".conv2.bias", {out});
  if (in != out) {
    o.shortcut_weight = layout.add(name + ".conv_shortcut.weight", {out, in, 1, 1});
    o.shortcut_bias = layout.add(name + ".conv_shortcut.bias", {out});
  }
  return o;
}

// A GroupNorm's parameter: "<...>.norm1.weight", ".norm2.", ".group_norm.", "conv_norm_out.".
bool is_group_norm(const std::string& name) {
  const std::string module = name.substr(0, name.rfind('.'));
  const auto ends = [&](const std::string& tail) {
    return module.size() >= tail.size() && module.compare(module.size() - tail.size(), tail.size(), tail) == 0;
  };
  return ends("norm1") || ends("norm2") || ends("group_norm") || module == "conv_norm_out";
}

}  // namespace

ParamLayout unet_param_layout(const UNetConfig& c, UNetOffsets* offsets) {
  unet_config_validate(c);
  const std::size_t n = c.levels(), L = c.layers_per_block, C0 = c.block_out_channels.front();
  const std::size_t E = c.time_embed_dim(), S = c.sample_size, Cin = c.in_channels;
  ParamLayout layout;
  UNetOffsets o;
  o.conv_in_weight = layout.add("conv_in.weight", {C0, Cin, 3, 3});
  o.conv_in_bias = layout.add("conv_in.bias", {C0});
  o.linear1_weight = layout.add("time_embedding.linear_1.weight", {E, C0});
  o.linear1_bias = layout.add("time_embedding.linear_1.bias", {E});
  o.linear2_weight = layout.add("time_embedding.linear_2.weight", {E, E});
  o.linear2_bias = layout.add("time_embedding.linear_2.bias", {E});
  if (c.classes > 0) o.class_embedding = layout.add("class_embedding.weight", {c.classes + 1, E});
  for (std::size_t i = 0; i < n; ++i) {
    const std::string block = "down_blocks." + std::to_string(i);
    const std::size_t out = c.block_out_channels[i], size = S >> i;
    for (std::size_t j = 0; j < L; ++j) {
      const std::size_t in = j > 0 ? out : c.block_out_channels[i == 0 ? 0 : i - 1];
      o.down.push_back(add_resnet(layout, block + ".resnets." + std::to_string(j), in, out, size, E));
    }
    if (i + 1 < n) {
      o.down_conv_weight.push_back(layout.add(block + ".downsamplers.0.conv.weight", {out, out, 3, 3}));
      o.down_conv_bias.push_back(layout.add(block + ".downsamplers.0.conv.bias", {out}));
    }
  }
  const std::vector<UNetSkip> skips = unet_skips(c);
  std::size_t k = skips.size();
  for (std::size_t u = 0; u < n; ++u) {
    const std::string block = "up_blocks." + std::to_string(u);
    const std::size_t level = n - 1 - u, out = c.block_out_channels[level], size = S >> level;
    for (std::size_t j = 0; j <= L; ++j) {
      const std::size_t running = j > 0 ? out : c.block_out_channels[u == 0 ? n - 1 : n - u];
      const std::size_t in = running + skips[--k].channels;
      o.up.push_back(add_resnet(layout, block + ".resnets." + std::to_string(j), in, out, size, E));
    }
    if (u + 1 < n) {
      o.up_conv_weight.push_back(layout.add(block + ".upsamplers.0.conv.weight", {out, out, 3, 3}));
      o.up_conv_bias.push_back(layout.add(block + ".upsamplers.0.conv.bias", {out}));
    }
  }
  const std::size_t top = c.block_out_channels.back(), side = S >> (n - 1);
  if (c.add_attention) {
    const std::string a = "mid_block.attentions.0.";
    AttentionOffsets& t = o.attention;
    t.norm_weight = layout.add(a + "group_norm.weight", {top});
    t.norm_bias = layout.add(a + "group_norm.bias", {top});
    t.q_weight = layout.add(a + "to_q.weight", {top, top});
    t.q_bias = layout.add(a + "to_q.bias", {top});
    t.k_weight = layout.add(a + "to_k.weight", {top, top});
    t.k_bias = layout.add(a + "to_k.bias", {top});
    t.v_weight = layout.add(a + "to_v.weight", {top, top});
    t.v_bias = layout.add(a + "to_v.bias", {top});
    t.out_weight = layout.add(a + "to_out.0.weight", {top, top});
    t.out_bias = layout.add(a + "to_out.0.bias", {top});
  }
  o.mid[0] = add_resnet(layout, "mid_block.resnets.0", top, top, side, E);
  o.mid[1] = add_resnet(layout, "mid_block.resnets.1", top, top, side, E);
  o.norm_out_weight = layout.add("conv_norm_out.weight", {C0});
  o.norm_out_bias = layout.add("conv_norm_out.bias", {C0});
  o.conv_out_weight = layout.add("conv_out.weight", {unet_out_channels(c), C0, 3, 3});
  o.conv_out_bias = layout.add("conv_out.bias", {unet_out_channels(c)});
  if (offsets != nullptr) *offsets = std::move(o);
  return layout;
}

std::vector<UNetConv> unet_convs(const UNetConfig& c, std::size_t B) {
  UNetOffsets o;
  unet_param_layout(c, &o);
  const std::size_t n = c.levels(), L = c.layers_per_block, C0 = c.block_out_channels.front();
  const std::size_t S = c.sample_size, Cin = c.in_channels;
  std::vector<UNetConv> out;
  const auto resnet = [&](const std::string& name, const ResnetOffsets& r) {
    out.push_back({name + ".conv1", conv2d_3x3(B, r.in, r.out, r.size, r.size), true});
    out.push_back({name + ".conv2", conv2d_3x3(B, r.out, r.out, r.size, r.size), true});
    if (r.in != r.out) {
      out.push_back({name + ".conv_shortcut", conv2d_1x1(B, r.in, r.out, r.size, r.size), true});
    }
  };
  out.push_back({"conv_in", conv2d_3x3(B, Cin, C0, S, S), false});
  for (std::size_t i = 0; i < n; ++i) {
    const std::string block = "down_blocks." + std::to_string(i);
    for (std::size_t j = 0; j < L; ++j) resnet(block + ".resnets." + std::to_string(j), o.down[i * L + j]);
    if (i + 1 < n) {
      const std::size_t Ci = c.block_out_channels[i], side = S >> i;
      out.push_back({block + ".downsamplers.0.conv", conv2d_3x3_stride2(B, Ci, Ci, side, side), true});
    }
  }
  for (std::size_t u = 0; u < n; ++u) {
    const std::string block = "up_blocks." + std::to_string(u);
    for (std::size_t j = 0; j <= L; ++j) resnet(block + ".resnets." + std::to_string(j), o.up[u * (L + 1) + j]);
    if (u + 1 < n) {
      const std::size_t level = n - 1 - u, Cu = c.block_out_channels[level], side = 2 * (S >> level);
      out.push_back({block + ".upsamplers.0.conv", conv2d_3x3(B, Cu, Cu, side, side), true});
    }
  }
  resnet("mid_block.resnets.0", o.mid[0]);
  resnet("mid_block.resnets.1", o.mid[1]);
  out.push_back({"conv_out", conv2d_3x3(B, C0, unet_out_channels(c), S, S), true});
  return out;
}

double conv2d_product_flops(const Conv2dShape& s) {
  return 2.0 * static_cast<double>(s.batch * s.out_channels * s.in_channels * s.kernel * s.kernel *
                                   s.out_height() * s.out_width());
}

double unet_train_conv_flops(const UNetConfig& config, std::size_t batch) {
  double flops = 0;
  for (const UNetConv& conv : unet_convs(config, batch)) {
    flops += (conv.needs_dx ? 3 : 2) * conv2d_product_flops(conv.shape);
  }
  return flops;
}

void UNet::init_params(Rng& rng) {
  std::fill(params().begin(), params().end(), 0.0f);
  float* base = params().data();
  const std::vector<ParamSlice>& slices = layout().slices();
  for (std::size_t s = 0; s < slices.size(); ++s) {
    const ParamSlice& slice = slices[s];
    const std::string& name = slice.name;
    float* v = base + slice.offset;
    if (name == "class_embedding.weight") {
      rng.fill_normal(v, slice.size);  // torch.nn.Embedding: N(0, 1)
    } else if (is_group_norm(name)) {
      // GroupNorm (norm1, norm2, group_norm, conv_norm_out): weight 1, bias 0; draws nothing.
      if (name.size() >= 7 && name.compare(name.size() - 7, 7, ".weight") == 0) {
        std::fill(v, v + slice.size, 1.0f);
      }
    } else {
      // Conv2d and Linear: weight (out, in, ...) and its bias, bound 1/sqrt(fan_in) with fan_in the
      // product of the weight's shape after out (a bias takes its weight's bound).
      const bool bias = name.size() >= 5 && name.compare(name.size() - 5, 5, ".bias") == 0;
      const ParamSlice& weight = bias ? slices[s - 1] : slice;
      std::size_t fan_in = 1;
      for (std::size_t d = 1; d < weight.shape.size(); ++d) fan_in *= weight.shape[d];
      const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
      rng.fill_uniform(v, slice.size);  // [0, 1)
      for (std::size_t i = 0; i < slice.size; ++i) v[i] = static_cast<float>((2.0 * v[i] - 1.0) * bound);
    }
  }
}

}  // namespace diffuse
