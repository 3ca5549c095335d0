#pragma once
// The tiny-image U-Net's configuration: diffusers' UNet2DModel restricted to the family of
// docs/diffusers-unet.md (DownBlock2D/UpBlock2D, one optional single-head attention in the middle
// block, positional time embedding with flip_sin_to_cos and freq_shift 0, GroupNorm eps 1e-5,
// SiLU). The names are diffusers' config keys, so the export (docs/diffusers-export.md) writes
// them as they are; the defaults are the digits model's, chosen by measurement (docs/images.md).
#include <cstddef>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "base/ranges.hpp"

namespace diffuse {

struct UNetConfig {
  std::size_t in_channels = 1;   // C of the images
  std::size_t out_channels = 0;  // C_out of conv_out: 0 means C; 2 C: [prediction, variance
                                 // values] (improved DDPM's learned variance; diffusers'
                                 // out_channels). Files before it: 0.
  std::size_t sample_size = 8;   // H = W, a multiple of 2^(levels - 1)
  std::vector<std::size_t> block_out_channels = {32, 64};  // C_i of level i (i = 0: full size)
  std::size_t layers_per_block = 2;  // resnets per down block (up blocks: one more)
  std::size_t norm_num_groups = 8;   // G of every GroupNorm
  bool add_attention = false;        // single-head self-attention between the middle resnets
  std::size_t classes = 0;           // K > 0: class_embedding (K + 1, 4 C_0), row K the null class

  std::size_t levels() const { return block_out_channels.size(); }
  std::size_t time_embed_dim() const { return 4 * block_out_channels.front(); }  // E = 4 C_0

  bool operator==(const UNetConfig& other) const;
  bool operator!=(const UNetConfig& other) const { return !(*this == other); }
};

// GroupNorm's eps in every block (UNet2DModel's norm_eps); not configurable in this family.
inline constexpr float unet_norm_eps = 1e-5f;

// Allowed ranges, also quoted in error messages (the CLI and the page read them).
inline constexpr IntRange unet_in_channels_range{1, 4, 4};
inline constexpr IntRange unet_sample_size_range{4, 64, 32};
inline constexpr IntRange unet_levels_range{1, 4, 4};
inline constexpr IntRange unet_channels_range{1, 512, 128};
inline constexpr IntRange unet_layers_per_block_range{1, 4, 3};
inline constexpr IntRange unet_groups_range{1, 32, 32};

// C_out: out_channels, or in_channels when it is 0.
std::size_t unet_out_channels(const UNetConfig& config);

// Throws Error naming the field, its value and what is allowed: every GroupNorm's channel count,
// the concatenated ones of the up blocks included, must be a multiple of norm_num_groups.
void unet_config_validate(const UNetConfig& config);

// {"in_channels": 1, "sample_size": 8, "block_out_channels": [32, 64], "layers_per_block": 2,
//  "norm_num_groups": 8, "add_attention": false, "classes": 0}, and "out_channels": 2 C when the
// output is doubled (absent otherwise, as in every file before it; absent reads as C).
nlohmann::json unet_config_to_json(const UNetConfig& config);
UNetConfig unet_config_from_json(const nlohmann::json& json);

// "U-Net, 1,234,567 parameters: 1x8x8, channels (32, 64), 2 resnets per level, 8 groups, ..."
std::string unet_config_describe(const UNetConfig& config, std::size_t parameters);

// "32,64" <-> {32, 64}, for flags; Error naming the text if it is not a list of integers.
std::vector<std::size_t> unet_channels_from_text(const std::string& text);
std::string unet_channels_text(const std::vector<std::size_t>& channels);

}  // namespace diffuse
