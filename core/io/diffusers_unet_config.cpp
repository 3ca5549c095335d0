#include "io/diffusers_unet_config.hpp"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "io/diffusers_json.hpp"
#include "nn/model_config.hpp"

namespace diffuse {
namespace {

constexpr const char* file_name = "unet/config.json";

// The keys whose value our family fixes, with that value. Each is also UNet2DModel's default, so
// a file may leave them out.
nlohmann::json fixed_values() {
  return {{"act_fn", "silu"},
          {"attn_norm_num_groups", nullptr},  // the attention's GroupNorm uses norm_num_groups
          {"center_input_sample", false},
          {"class_embed_type", nullptr},
          {"downsample_padding", 1},
          {"downsample_type", "conv"},
          {"dropout", 0.0},
          {"flip_sin_to_cos", true},
          {"freq_shift", 0},
          {"mid_block_scale_factor", 1},
          {"mid_block_type", "UNetMidBlock2D"},
          {"norm_eps", 1e-5},  // unet_norm_eps, as the double Python writes
          {"num_train_timesteps", nullptr},
          {"resnet_time_scale_shift", "default"},
          {"time_embedding_dim", nullptr},  // 4 * block_out_channels[0]
          {"time_embedding_type", "positional"},
          {"upsample_type", "conv"}};
}

// UNet2DModel.__init__'s defaults of the keys our family varies: what diffusers gives a key that
// is missing from the file.
nlohmann::json varying_defaults() {
  return {{"add_attention", true},
          {"attention_head_dim", 8},
          {"block_out_channels", nlohmann::json::array({224, 448, 672, 896})},
          {"down_block_types",
           nlohmann::json::array({"DownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D"})},
          {"in_channels", 3},
          {"layers_per_block", 2},
          {"norm_num_groups", 32},
          {"num_class_embeds", nullptr},
          {"out_channels", 3},
          {"sample_size", nullptr},
          {"up_block_types",
           nlohmann::json::array({"AttnUpBlock2D", "AttnUpBlock2D", "AttnUpBlock2D", "UpBlock2D"})}};
}

[[noreturn]] void reject(const std::string& key, const nlohmann::json& value, const std::string& allowed) {
  fail(file_name, ": ", key, " = ", diffusers_json_shown(value), " is not supported: allowed is ", allowed);
}

std::size_t count_in(const std::string& key, const nlohmann::json& value, const IntRange& range) {
  if (!value.is_number_integer() || value.get<std::int64_t>() < range.min ||
      value.get<std::int64_t>() > range.max) {
    reject(key, value, "an integer in " + std::to_string(range.min) + ".." + std::to_string(range.max));
  }
  return static_cast<std::size_t>(value.get<std::int64_t>());
}

std::vector<std::size_t> channels_of(const nlohmann::json& value) {
  const std::string allowed = "a list of " + std::to_string(unet_levels_range.min) + ".." +
                              std::to_string(unet_levels_range.max) + " integers in " +
                              std::to_string(unet_channels_range.min) + ".." +
                              std::to_string(unet_channels_range.max);
  if (!value.is_array() || value.empty() || static_cast<std::int64_t>(value.size()) > unet_levels_range.max) {
    reject("block_out_channels", value, allowed);
  }
  std::vector<std::size_t> out;
  for (const nlohmann::json& c : value) {
    if (!c.is_number_integer() || !unet_channels_range.contains(c.get<std::int64_t>())) {
      reject("block_out_channels", value, allowed);
    }
    out.push_back(static_cast<std::size_t>(c.get<std::int64_t>()));
  }
  return out;
}

void require_blocks(const std::string& key, const nlohmann::json& value, const char* block, std::size_t n) {
  const nlohmann::json want(std::vector<std::string>(n, block));
  if (value != want) reject(key, value, diffusers_json_shown(want) + " (one per block_out_channels entry)");
}

void check_private_key(const std::string& key, const nlohmann::json& value) {
  if (key == "_class_name" && value != "UNet2DModel") reject(key, value, "\"UNet2DModel\"");
  if (key == "_diffusers_version" && !value.is_string()) reject(key, value, "a version string");
}

}  // namespace

nlohmann::json diffusers_unet_config_to_json(const UNetConfig& c) {
  unet_config_validate(c);
  nlohmann::json json = fixed_values();
  const std::size_t n = c.levels();
  json["_class_name"] = "UNet2DModel";
  json["_diffusers_version"] = diffusers_version_written;
  json["add_attention"] = c.add_attention;
  json["attention_head_dim"] = c.block_out_channels.back();  // one head over all channels
  json["block_out_channels"] = c.block_out_channels;
  json["down_block_types"] = std::vector<std::string>(n, "DownBlock2D");
  json["in_channels"] = c.in_channels;
  json["layers_per_block"] = c.layers_per_block;
  json["norm_num_groups"] = c.norm_num_groups;
  json["num_class_embeds"] = c.classes > 0 ? nlohmann::json(c.classes + 1) : nlohmann::json(nullptr);
  json["out_channels"] = unet_out_channels(c);  // 2 C with a learned variance (learned_range)
  json["sample_size"] = c.sample_size;
  json["up_block_types"] = std::vector<std::string>(n, "UpBlock2D");
  return json;
}

UNetConfig diffusers_unet_config_from_json(const nlohmann::json& file) {
  if (!file.is_object()) fail(file_name, ": not a JSON object");
  const nlohmann::json fixed = fixed_values();
  nlohmann::json cfg = varying_defaults();
  cfg.update(fixed);
  for (const auto& [key, value] : file.items()) {
    if (!key.empty() && key[0] == '_') {
      check_private_key(key, value);
      continue;
    }
    if (!cfg.contains(key)) {
      fail(file_name, ": unknown key ", quote_text(key), ": UNet2DModel takes ", diffusers_json_keys(cfg));
    }
    cfg[key] = value;
  }
  for (const auto& [key, value] : fixed.items()) {
    if (cfg[key] != value) reject(key, cfg[key], diffusers_json_shown(value) + " (diffuse's U-Net family)");
  }
  UNetConfig c;
  c.block_out_channels = channels_of(cfg["block_out_channels"]);
  const std::size_t n = c.levels();
  require_blocks("down_block_types", cfg["down_block_types"], "DownBlock2D", n);
  require_blocks("up_block_types", cfg["up_block_types"], "UpBlock2D", n);
  c.in_channels = count_in("in_channels", cfg["in_channels"], unet_in_channels_range);
  // out_channels: C, or 2 C for a learned variance (the scheduler's variance_type learned_range).
  if (cfg["out_channels"] != cfg["in_channels"] && cfg["out_channels"] != 2 * c.in_channels) {
    reject("out_channels", cfg["out_channels"],
           "in_channels = " + std::to_string(c.in_channels) + " or 2 in_channels = " +
               std::to_string(2 * c.in_channels) + " (learned variance)");
  }
  if (cfg["out_channels"] == 2 * c.in_channels) c.out_channels = 2 * c.in_channels;
  if (!cfg["sample_size"].is_number_integer()) {
    reject("sample_size", cfg["sample_size"], "an integer H (square H x H images)");
  }
  c.sample_size = count_in("sample_size", cfg["sample_size"], unet_sample_size_range);
  c.layers_per_block = count_in("layers_per_block", cfg["layers_per_block"], unet_layers_per_block_range);
  c.norm_num_groups = count_in("norm_num_groups", cfg["norm_num_groups"], unet_groups_range);
  if (!cfg["add_attention"].is_boolean()) reject("add_attention", cfg["add_attention"], "true or false");
  c.add_attention = cfg["add_attention"].get<bool>();
  const nlohmann::json& head = cfg["attention_head_dim"];
  if (!head.is_null() && head != c.block_out_channels.back()) {
    reject("attention_head_dim", head,
           std::to_string(c.block_out_channels.back()) + " (block_out_channels[-1]: one head) or null");
  }
  const nlohmann::json& embeds = cfg["num_class_embeds"];
  const std::int64_t K_max = model_classes_range.max;
  const IntRange classes_plus_null{2, K_max + 1, K_max + 1};
  if (!embeds.is_null()) {
    c.classes = count_in("num_class_embeds", embeds, classes_plus_null) - 1;  // K + 1 rows
  }
  try {
    unet_config_validate(c);
  } catch (const Error& e) {
    fail(file_name, ": ", e.what());
  }
  return c;
}

}  // namespace diffuse
