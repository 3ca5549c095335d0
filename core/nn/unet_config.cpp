#include "nn/unet_config.hpp"

#include <nlohmann/json.hpp>
#include <sstream>

#include "base/error.hpp"
#include "base/json_fields.hpp"

namespace diffuse {
namespace {

void check_range(const char* field, std::size_t value, const IntRange& range) {
  require_in_range("model config", field, value, range);
}

void check_groups(const char* what, std::size_t channels, std::size_t groups) {
  if (channels % groups != 0) {
    fail("model config: ", what, " has ", channels, " channels, not a multiple of norm_num_groups = ",
         groups, " (every GroupNorm splits its channels into equal groups)");
  }
}

std::string grouped(std::size_t value) {
  std::string digits = std::to_string(value);
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3)
    digits.insert(static_cast<std::size_t>(i), ",");
  return digits;
}

}  // namespace

bool UNetConfig::operator==(const UNetConfig& o) const {
  return in_channels == o.in_channels && sample_size == o.sample_size &&
         block_out_channels == o.block_out_channels && layers_per_block == o.layers_per_block &&
         norm_num_groups == o.norm_num_groups && add_attention == o.add_attention &&
         classes == o.classes && unet_out_channels(*this) == unet_out_channels(o);
}

std::size_t unet_out_channels(const UNetConfig& c) {
  return c.out_channels == 0 ? c.in_channels : c.out_channels;
}

void unet_config_validate(const UNetConfig& c) {
  check_range("in_channels", c.in_channels, unet_in_channels_range);
  if (c.out_channels != 0 && c.out_channels != c.in_channels && c.out_channels != 2 * c.in_channels) {
    fail("model config: out_channels = ", c.out_channels, " is not allowed: must be in_channels = ",
         c.in_channels, " or 2 in_channels = ", 2 * c.in_channels,
         " (prediction and learned variance)");
  }
  check_range("sample_size", c.sample_size, unet_sample_size_range);
  check_range("levels (the length of block_out_channels)", c.levels(), unet_levels_range);
  for (std::size_t i = 0; i < c.levels(); ++i) {
    const std::string field = "block_out_channels[" + std::to_string(i) + "]";
    check_range(field.c_str(), c.block_out_channels[i], unet_channels_range);
  }
  check_range("layers_per_block", c.layers_per_block, unet_layers_per_block_range);
  check_range("norm_num_groups", c.norm_num_groups, unet_groups_range);
  check_range("classes", c.classes, IntRange{0, 1000, 1000});
  const std::size_t scale = std::size_t{1} << (c.levels() - 1);
  if (c.sample_size % scale != 0) {
    fail("model config: sample_size = ", c.sample_size, " is not a multiple of 2^(levels - 1) = ",
         scale, ": each of the ", c.levels() - 1, " downsamplers halves it");
  }
  // Every GroupNorm: the resnets' inputs and outputs, and the up blocks' concatenations.
  const std::size_t G = c.norm_num_groups, n = c.levels();
  for (std::size_t i = 0; i < n; ++i) {
    check_groups(("block_out_channels[" + std::to_string(i) + "]").c_str(), c.block_out_channels[i], G);
  }
  for (std::size_t u = 0; u < n; ++u) {
    const std::size_t out = c.block_out_channels[n - 1 - u];
    const std::size_t prev = c.block_out_channels[u == 0 ? n - 1 : n - u];
    const std::size_t skip_last = c.block_out_channels[n >= u + 2 ? n - 2 - u : 0];
    for (std::size_t j = 0; j <= c.layers_per_block; ++j) {
      const std::size_t in = j == 0 ? prev : out;
      const std::size_t skip = j == c.layers_per_block ? skip_last : out;
      check_groups(("up block " + std::to_string(u) + " resnet " + std::to_string(j) + "'s input").c_str(),
                   in + skip, G);
    }
  }
}

nlohmann::json unet_config_to_json(const UNetConfig& c) {
  nlohmann::json out{{"in_channels", c.in_channels},
          {"sample_size", c.sample_size},
          {"block_out_channels", c.block_out_channels},
          {"layers_per_block", c.layers_per_block},
          {"norm_num_groups", c.norm_num_groups},
          {"add_attention", c.add_attention},
          {"classes", c.classes}};
  if (unet_out_channels(c) != c.in_channels) out["out_channels"] = unet_out_channels(c);
  return out;
}

UNetConfig unet_config_from_json(const nlohmann::json& json) {
  const JsonFields f(json, "model config",
                     {"in_channels", "sample_size", "block_out_channels", "layers_per_block",
                      "norm_num_groups", "add_attention", "classes", "out_channels"});
  UNetConfig c;
  c.in_channels = f.size("in_channels");
  c.sample_size = f.size("sample_size");
  c.block_out_channels = f.sizes("block_out_channels");
  c.layers_per_block = f.size("layers_per_block");
  c.norm_num_groups = f.size("norm_num_groups");
  c.add_attention = f.flag("add_attention");
  c.classes = f.size("classes");
  if (f.has("out_channels")) c.out_channels = f.size("out_channels");  // absent in older files
  unet_config_validate(c);
  return c;
}

std::string unet_channels_text(const std::vector<std::size_t>& channels) {
  std::string out;
  for (std::size_t i = 0; i < channels.size(); ++i) out += (i ? "," : "") + std::to_string(channels[i]);
  return out;
}

std::vector<std::size_t> unet_channels_from_text(const std::string& text) {
  std::vector<std::size_t> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (item.empty() || item.find_first_not_of("0123456789") != std::string::npos || item.size() > 6) {
      fail("channels '", text, "' is not a comma-separated list of channel counts (e.g. 32,64)");
    }
    out.push_back(static_cast<std::size_t>(std::stoul(item)));
  }
  if (out.empty()) fail("channels '", text, "' is empty: give one count per level (e.g. 32,64)");
  // getline drops an empty last item: "32,64," would pass as {32, 64}.
  if (text.back() == ',') {
    fail("channels '", text, "' is not a comma-separated list of channel counts (e.g. 32,64)");
  }
  return out;
}

std::string unet_config_describe(const UNetConfig& c, std::size_t parameters) {
  std::ostringstream out;
  out << "U-Net (diffusers UNet2DModel), " << grouped(parameters) << " parameters: " << c.in_channels
      << "x" << c.sample_size << "x" << c.sample_size << " images, channels ("
      << unet_channels_text(c.block_out_channels) << "), " << c.layers_per_block
      << (c.layers_per_block == 1 ? " resnet" : " resnets") << " per down block, " << c.norm_num_groups << " groups, time embedding "
      << c.time_embed_dim() << (c.add_attention ? ", single-head attention in the middle" : "");
  if (c.classes > 0) out << ", " << c.classes << " classes (class embedding, null class " << c.classes << ")";
  if (unet_out_channels(c) != c.in_channels) out << ", " << unet_out_channels(c) << " output channels (learned variance)";
  return out.str();
}

}  // namespace diffuse
