// diffusers_pipeline: a U-Net checkpoint's DDPMPipeline files and back. The weights file has the
// EMA weights under their state_dict names, sorted, with {"format": "pt"}; reading checks every
// tensor (and takes the pre-0.14 attention names); an import is the same model, bit for bit.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <sstream>

#include "base/error.hpp"
#include "base/rng.hpp"
#include "io/diffusers_json.hpp"
#include "io/diffusers_pipeline.hpp"
#include "io/diffusers_unet_config.hpp"

using namespace diffuse;
using Catch::Matchers::Contains;

namespace {

Checkpoint unet_checkpoint(std::size_t classes = 10, bool attention = true) {
  UNetConfig unet;
  unet.block_out_channels = {8, 16};
  unet.layers_per_block = 1;
  unet.norm_num_groups = 4;
  unet.add_attention = attention;
  unet.classes = classes;
  Checkpoint c;
  c.model = unet;
  c.schedule.kind = ScheduleKind::cosine;
  c.diffusion.prediction = Prediction::v;
  std::unique_ptr<Network> network = network_make(c.model);
  Rng rng(7, 0);
  network->init_params(rng);
  c.ema_params = network->params();
  return c;
}

Safetensors weights_of(const Checkpoint& c) {
  std::ostringstream out;
  diffusers_unet_weights_write(out, c);
  const std::string bytes = out.str();
  return safetensors_read(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}

}  // namespace

TEST_CASE("diffusers pipeline: model_index.json is a DDPMPipeline of UNet2DModel and DDPMScheduler") {
  const DiffusersPipelineText text = diffusers_pipeline_text(unet_checkpoint());
  CHECK(text.model_index ==
        "{\n  \"_class_name\": \"DDPMPipeline\",\n  \"_diffusers_version\": \"0.40.0\",\n"
        "  \"scheduler\": [\n    \"diffusers\",\n    \"DDPMScheduler\"\n  ],\n"
        "  \"unet\": [\n    \"diffusers\",\n    \"UNet2DModel\"\n  ]\n}\n");
  const nlohmann::json index = nlohmann::json::parse(text.model_index);
  diffusers_model_index_check(index);
  nlohmann::json other = index;
  other["_name_or_path"] = "somewhere";  // metadata: ignored
  diffusers_model_index_check(other);
  other["vae"] = {"diffusers", "AutoencoderKL"};
  CHECK_THROWS_WITH(diffusers_model_index_check(other), Contains("model_index.json: unknown key 'vae'"));
  other = index;
  other["scheduler"] = {"diffusers", "DDIMScheduler"};
  CHECK_THROWS_WITH(diffusers_model_index_check(other),
                    Contains("scheduler = [\"diffusers\",\"DDIMScheduler\"] is not supported: allowed is [\"diffusers\",\"DDPMScheduler\"]"));
  other = index;
  other["_class_name"] = "LDMPipeline";
  CHECK_THROWS_WITH(diffusers_model_index_check(other), Contains("_class_name = \"LDMPipeline\""));
  other = index;
  other.erase("unet");
  CHECK_THROWS_WITH(diffusers_model_index_check(other), Contains("key 'unet' is missing"));
}

TEST_CASE("diffusers pipeline: an MLP checkpoint has no diffusers form") {
  Checkpoint c;
  c.model = MlpConfig{};
  CHECK_THROWS_WITH(diffusers_pipeline_text(c), Contains("U-Net checkpoints only") && Contains("'mlp'"));
  std::ostringstream out;
  CHECK_THROWS_WITH(diffusers_unet_weights_write(out, c), Contains("U-Net checkpoints only"));
}

TEST_CASE("diffusers pipeline: weights sorted by name, {format: pt}, read back bit for bit") {
  const Checkpoint c = unet_checkpoint();
  const Safetensors file = weights_of(c);
  CHECK(file.metadata == SafetensorsMetadata{{"format", "pt"}});
  const ParamLayout layout = model_param_layout(c.model);
  REQUIRE(file.tensors.size() == layout.slices().size());
  for (std::size_t i = 1; i < file.tensors.size(); ++i) CHECK(file.tensors[i - 1].name < file.tensors[i].name);
  const UNetConfig& unet = std::get<UNetConfig>(c.model);
  const AlignedBuffer back = diffusers_unet_weights_read(file, unet, "w.safetensors");
  REQUIRE(back.size() == c.ema_params.size());
  CHECK(std::equal(back.begin(), back.end(), c.ema_params.begin()));
  CHECK(diffusers_unet_weights_max_bytes(unet) == 8 * layout.count() + (16u << 20));
}

TEST_CASE("diffusers pipeline: pre-0.14 attention names are read as today's") {
  const Checkpoint c = unet_checkpoint();
  Safetensors file = weights_of(c);
  for (SafetensorsTensor& t : file.tensors) {
    if (t.name == "mid_block.attentions.0.to_q.weight") t.name = "mid_block.attentions.0.query.weight";
    if (t.name == "mid_block.attentions.0.to_out.0.bias") t.name = "mid_block.attentions.0.proj_attn.bias";
  }
  const AlignedBuffer back = diffusers_unet_weights_read(file, std::get<UNetConfig>(c.model), "w");
  CHECK(std::equal(back.begin(), back.end(), c.ema_params.begin()));
  Safetensors twice = weights_of(c);
  twice.tensors.push_back(twice.tensors.front());
  for (SafetensorsTensor& t : twice.tensors) {
    if (t.name == "mid_block.attentions.0.to_k.bias") t.name = "mid_block.attentions.0.key.bias";
  }
  twice.tensors.back().name = "mid_block.attentions.0.to_k.bias";
  CHECK_THROWS_WITH(diffusers_unet_weights_read(twice, std::get<UNetConfig>(c.model), "w"), Contains("stored twice"));
}

TEST_CASE("diffusers pipeline: a missing, extra, misshapen or non-finite tensor is refused by name") {
  const Checkpoint c = unet_checkpoint();
  const UNetConfig& unet = std::get<UNetConfig>(c.model);
  Safetensors missing = weights_of(c);
  missing.tensors.erase(missing.tensors.begin());
  CHECK_THROWS_WITH(diffusers_unet_weights_read(missing, unet, "w.safetensors"),
                    Contains("w.safetensors") && Contains(weights_of(c).tensors.front().name));
  Safetensors extra = weights_of(c);
  extra.tensors.push_back({"mid_block.attentions.1.to_q.weight", {16, 16}, "F32", std::vector<float>(256)});
  CHECK_THROWS_WITH(diffusers_unet_weights_read(extra, unet, "w.safetensors"),
                    Contains("unexpected tensor 'mid_block.attentions.1.to_q.weight'"));
  Safetensors shape = weights_of(c);
  for (SafetensorsTensor& t : shape.tensors) {
    if (t.name == "conv_in.weight") t.shape = {8, 1, 9};
  }
  CHECK_THROWS_WITH(diffusers_unet_weights_read(shape, unet, "w.safetensors"), Contains("conv_in.weight"));
  Safetensors nan = weights_of(c);
  nan.tensors.back().values[0] = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_WITH(diffusers_unet_weights_read(nan, unet, "w.safetensors"), Contains(nan.tensors.back().name));
  // A config without attention: the attention's tensors are unexpected.
  UNetConfig plain = unet;
  plain.add_attention = false;
  CHECK_THROWS_WITH(diffusers_unet_weights_read(weights_of(c), plain, "w.safetensors"),
                    Contains("unexpected tensor 'mid_block.attentions.0."));
}

TEST_CASE("diffusers pipeline: an import is the exported model, with its data set's record") {
  const Checkpoint c = unet_checkpoint();
  const DiffusersPipelineText text = diffusers_pipeline_text(c);
  const DiffusersScheduler scheduler = diffusers_scheduler_config_from_json(nlohmann::json::parse(text.scheduler_config));
  const UNetConfig unet = diffusers_unet_config_from_json(nlohmann::json::parse(text.unet_config));
  AlignedBuffer params = diffusers_unet_weights_read(weights_of(c), unet, "w");
  const Checkpoint back = diffusers_checkpoint(scheduler, unet, params, "runs/pipe", ImageDataset::digits);
  CHECK(std::get<UNetConfig>(back.model) == std::get<UNetConfig>(c.model));
  CHECK(back.diffusion == c.diffusion);
  CHECK(back.schedule.kind == c.schedule.kind);
  CHECK(back.schedule.timesteps == c.schedule.timesteps);
  CHECK_FALSE(back.training);
  CHECK(std::equal(back.ema_params.begin(), back.ema_params.end(), c.ema_params.begin()));
  CHECK(back.data.source == "digits");
  CHECK(back.data.normalization.levels == 17);
  CHECK(back.data.shape == SampleShape{1, 8, 8});
  CHECK(back.data.class_names.size() == 10);
  // The checkpoint writes and reads as any export.
  std::ostringstream out;
  checkpoint_write(out, back);
  const std::string bytes = out.str();
  const Checkpoint read = checkpoint_read(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), "x");
  CHECK(std::equal(read.ema_params.begin(), read.ema_params.end(), c.ema_params.begin()));
  // Without a data set: diffusers' 8-bit images, named after the folder.
  const Checkpoint plain = diffusers_checkpoint(scheduler, unet, params, "runs/pipe", std::nullopt);
  CHECK(plain.data.source == "runs/pipe");
  CHECK(plain.data.normalization.levels == diffusers_image_levels);
  CHECK(plain.data.class_names.empty());
  CHECK_THROWS_WITH(diffusers_checkpoint(scheduler, unet, params, "p", ImageDataset::fashion),
                    Contains("the data set fashion has 1x28x28 images of 10 classes, but the U-Net takes 1x8x8 images with 10 classes"));
  UNetConfig three = unet;
  three.classes = 3;
  AlignedBuffer three_params(model_param_layout(three).total());
  CHECK_THROWS_WITH(diffusers_checkpoint(scheduler, three, three_params, "p", ImageDataset::digits),
                    Contains("with 3 classes"));
}
