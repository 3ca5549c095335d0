#pragma once
// The U-Net's configuration as diffusers' unet/config.json (UNet2DModel's save_config), and back:
// the family of docs/diffusers-unet.md, every key written, every key checked on reading.
//
// Writing gives every UNet2DModel.__init__ argument, as save_config does, so that loading never
// falls back on diffusers' defaults (which describe another model): our fixed values (DownBlock2D /
// UpBlock2D, SiLU, positional time embedding, norm_eps 1e-5, ...), attention_head_dim =
// block_out_channels[-1] (one head, not diffusers' default 8), num_class_embeds = K + 1 (row K
// the guidance null class) or null, plus "_class_name": "UNet2DModel" and "_diffusers_version".
//
// Reading follows diffusers where it is defined and is stricter where it is not:
//   - a missing key takes UNet2DModel's default, as from_pretrained does (so a file without
//     down_block_types gets diffusers' attention blocks and is rejected as out of the family);
//   - keys starting with "_" are metadata diffusers ignores; "_class_name", if present, must be
//     "UNet2DModel" and "_diffusers_version" a string;
//   - an unknown key, which diffusers would warn about and ignore, is an Error here (a file meant
//     for another model class should not load silently);
//   - every value outside our family is an Error naming the key, the value and what is allowed.
#include <nlohmann/json_fwd.hpp>

#include "nn/unet_config.hpp"

namespace diffuse {

// The diffusers version whose file formats we write (docs/diffusers-unet.md); diffusers' loaders
// accept any string as "_diffusers_version".
inline constexpr const char* diffusers_version_written = "0.40.0";

nlohmann::json diffusers_unet_config_to_json(const UNetConfig& config);
// Throws Error "unet/config.json: KEY = VALUE ...: allowed is ..." for the first problem.
UNetConfig diffusers_unet_config_from_json(const nlohmann::json& json);

}  // namespace diffuse
