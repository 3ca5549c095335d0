// diffusers_unet_config: unet/config.json of our family, written with every key as save_config
// writes it (the text is checked against docs/diffusers-unet.md's example, which diffusers itself
// wrote) and read back with every key validated.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "base/error.hpp"
#include "io/diffusers_json.hpp"
#include "io/diffusers_unet_config.hpp"

using namespace diffuse;
using Catch::Matchers::Contains;

namespace {

UNetConfig example() {  // docs/diffusers-unet.md: diffusers_unet_config((32, 64), 2, 8, True, 11, 8)
  UNetConfig c;
  c.block_out_channels = {32, 64};
  c.layers_per_block = 2;
  c.norm_num_groups = 8;
  c.add_attention = true;
  c.classes = 10;
  c.sample_size = 8;
  return c;
}

// The example's config.json as printed in docs/diffusers-unet.md (byte for byte diffusers' own).
std::string documented_example() {
  std::ifstream in(std::string(DIFFUSE_SOURCE_DIR) + "/docs/diffusers-unet.md");
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  const std::size_t start = doc.find("```json\n{\n  \"_class_name\": \"UNet2DModel\"");
  REQUIRE(start != std::string::npos);
  const std::size_t begin = start + 8, end = doc.find("```", begin);
  return doc.substr(begin, end - begin);
}

nlohmann::json with(const std::string& key, const nlohmann::json& value) {
  nlohmann::json json = diffusers_unet_config_to_json(example());
  json[key] = value;
  return json;
}

}  // namespace

TEST_CASE("diffusers unet config: the documented example, byte for byte") {
  CHECK(diffusers_json_text(diffusers_unet_config_to_json(example())) == documented_example());
}

TEST_CASE("diffusers unet config: round trips, with and without classes and attention") {
  UNetConfig c = example();
  CHECK(diffusers_unet_config_from_json(diffusers_unet_config_to_json(c)) == c);
  c.classes = 0;
  c.add_attention = false;
  c.block_out_channels = {8, 16, 16};
  c.layers_per_block = 1;
  c.norm_num_groups = 4;
  const nlohmann::json json = diffusers_unet_config_to_json(c);
  CHECK(json["num_class_embeds"].is_null());
  CHECK(json["attention_head_dim"] == 16);
  CHECK(json["down_block_types"].size() == 3);
  CHECK(diffusers_unet_config_from_json(json) == c);
}

TEST_CASE("diffusers unet config: missing keys take UNet2DModel's defaults, as in diffusers") {
  nlohmann::json json = diffusers_unet_config_to_json(example());
  json.erase("act_fn");              // default "silu": fine
  json.erase("attention_head_dim");  // default 8: not our single head
  CHECK_THROWS_WITH(diffusers_unet_config_from_json(json),
                    Contains("attention_head_dim = 8 is not supported: allowed is 64"));
  json = diffusers_unet_config_to_json(example());
  json.erase("down_block_types");  // default: attention blocks
  CHECK_THROWS_WITH(diffusers_unet_config_from_json(json), Contains("down_block_types = [\"DownBlock2D\",\"AttnDownBlock2D\""));
  json = diffusers_unet_config_to_json(example());
  json.erase("_class_name");
  json.erase("_diffusers_version");
  json["_name_or_path"] = "runs/x/unet";  // written by diffusers after from_pretrained: ignored
  json["attention_head_dim"] = nullptr;   // null means one head too
  CHECK(diffusers_unet_config_from_json(json) == example());
}

TEST_CASE("diffusers unet config: every out-of-family value names the key, the value and what is allowed") {
  const std::pair<nlohmann::json, const char*> cases[] = {
      {with("cross_attention_dim", 8), "unknown key 'cross_attention_dim': UNet2DModel takes act_fn, add_attention"},
      {with("_class_name", "UNet2DConditionModel"), "_class_name = \"UNet2DConditionModel\" is not supported: allowed is \"UNet2DModel\""},
      {with("_diffusers_version", 3), "_diffusers_version = 3"},
      {with("act_fn", "gelu"), "act_fn = \"gelu\" is not supported: allowed is \"silu\""},
      {with("norm_eps", 1e-6), "norm_eps = 1e-06 is not supported: allowed is 1e-05"},
      {with("time_embedding_type", "fourier"), "time_embedding_type = \"fourier\""},
      {with("flip_sin_to_cos", false), "flip_sin_to_cos = false"},
      {with("freq_shift", 1), "freq_shift = 1"},
      {with("dropout", 0.1), "dropout = 0.1"},
      {with("center_input_sample", true), "center_input_sample = true"},
      {with("class_embed_type", "timestep"), "class_embed_type = \"timestep\""},
      {with("resnet_time_scale_shift", "scale_shift"), "resnet_time_scale_shift"},
      {with("downsample_type", "resnet"), "downsample_type"},
      {with("mid_block_type", nullptr), "mid_block_type = null"},
      {with("up_block_types", {"UpBlock2D", "AttnUpBlock2D"}), "up_block_types = [\"UpBlock2D\",\"AttnUpBlock2D\"] is not supported: allowed is [\"UpBlock2D\",\"UpBlock2D\"]"},
      {with("down_block_types", {"DownBlock2D"}), "down_block_types"},
      {with("block_out_channels", {32, 0}), "block_out_channels = [32,0] is not supported: allowed is a list of 1..4 integers in 1..512"},
      {with("block_out_channels", {32, 64, 64, 64, 64}), "block_out_channels"},
      {with("in_channels", 3), "out_channels = 1 is not supported: allowed is in_channels = 3"},
      {with("in_channels", 5), "in_channels = 5 is not supported: allowed is an integer in 1..4"},
      {with("sample_size", {8, 8}), "sample_size = [8,8] is not supported: allowed is an integer H"},
      {with("sample_size", 7), "sample_size = 7 is not a multiple of 2^(levels - 1) = 2"},
      {with("layers_per_block", 2.5), "layers_per_block = 2.5"},
      {with("norm_num_groups", 5), "not a multiple of norm_num_groups = 5"},
      {with("add_attention", 1), "add_attention = 1 is not supported: allowed is true or false"},
      {with("attention_head_dim", 8), "attention_head_dim = 8 is not supported: allowed is 64 (block_out_channels[-1]: one head) or null"},
      {with("num_class_embeds", 1), "num_class_embeds = 1 is not supported: allowed is an integer in 2..1001"},
      {with("num_class_embeds", 5000), "num_class_embeds = 5000"},
  };
  for (const auto& [json, message] : cases) {
    CAPTURE(message);
    CHECK_THROWS_WITH(diffusers_unet_config_from_json(json), Contains("unet/config.json: ") && Contains(message));
  }
  CHECK_THROWS_WITH(diffusers_unet_config_from_json(nlohmann::json::array()), Contains("not a JSON object"));
}
