#include "io/diffusers_pipeline.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <variant>

#include "base/error.hpp"
#include "base/version.hpp"
#include "io/diffusers_json.hpp"
#include "io/diffusers_unet_config.hpp"
#include "io/param_tensors.hpp"

namespace diffuse {
namespace {

const UNetConfig& unet_of(const Checkpoint& c) {
  const UNetConfig* unet = std::get_if<UNetConfig>(&c.model);
  if (unet == nullptr) {
    fail("diffusers' UNet2DModel holds U-Net checkpoints only: this model is of kind '",
         model_kind(c.model), "', which diffusers has no class for");
  }
  return *unet;
}

nlohmann::json model_index() {
  return {{"_class_name", "DDPMPipeline"},
          {"_diffusers_version", diffusers_version_written},
          {"scheduler", {"diffusers", "DDPMScheduler"}},
          {"unet", {"diffusers", "UNet2DModel"}}};
}

// diffusers' rename of pre-0.14 attention weights (modeling_utils' _convert_deprecated_attention_blocks).
std::string current_attention_name(const std::string& name) {
  static const std::pair<const char*, const char*> renames[] = {
      {".query.", ".to_q."}, {".key.", ".to_k."}, {".value.", ".to_v."}, {".proj_attn.", ".to_out.0."}};
  if (name.rfind("mid_block.attentions.", 0) != 0) return name;
  for (const auto& [old_part, new_part] : renames) {
    const std::size_t at = name.find(old_part);
    if (at != std::string::npos) return name.substr(0, at) + new_part + name.substr(at + std::string(old_part).size());
  }
  return name;
}

}  // namespace

DiffusersPipelineText diffusers_pipeline_text(const Checkpoint& c) {
  const UNetConfig& unet = unet_of(c);
  return {diffusers_json_text(model_index()),
          diffusers_json_text(diffusers_scheduler_config_to_json(c.schedule, c.diffusion)),
          diffusers_json_text(diffusers_unet_config_to_json(unet))};
}

void diffusers_unet_weights_write(std::ostream& out, const Checkpoint& c) {
  const ParamLayout layout = model_param_layout(unet_of(c));
  std::vector<SafetensorsTensorView> views;
  param_tensors_add(views, layout, c.ema_params, "");
  std::sort(views.begin(), views.end(),
            [](const SafetensorsTensorView& a, const SafetensorsTensorView& b) { return a.name < b.name; });
  safetensors_write(out, views, {{"format", "pt"}});
}

void diffusers_model_index_check(const nlohmann::json& json) {
  const nlohmann::json want = model_index();
  if (!json.is_object()) fail(diffusers_model_index_file, ": not a JSON object");
  for (const char* key : {"unet", "scheduler"}) {
    if (!json.contains(key)) {
      fail(diffusers_model_index_file, ": key '", key, "' is missing: a DDPMPipeline has ",
           diffusers_json_shown(want[key]), " there");
    }
  }
  for (const auto& [key, value] : json.items()) {
    const bool component = key == "unet" || key == "scheduler";
    if (!component && key != "_class_name" && !key.empty() && key[0] == '_') continue;
    if (!want.contains(key)) {
      fail(diffusers_model_index_file, ": unknown key ", quote_text(key),
           ": diffuse reads a DDPMPipeline of a unet and a scheduler only");
    }
    if (value != want[key]) {
      fail(diffusers_model_index_file, ": ", key, " = ", diffusers_json_shown(value),
           " is not supported: allowed is ", diffusers_json_shown(want[key]));
    }
  }
}

std::uint64_t diffusers_unet_weights_max_bytes(const UNetConfig& config) {
  return param_tensors_max_file_bytes(model_param_layout(config));
}

AlignedBuffer diffusers_unet_weights_read(Safetensors file, const UNetConfig& config,
                                          std::string_view source) {
  const ParamLayout layout = model_param_layout(config);
  std::set<std::string> known, seen;
  for (const ParamSlice& s : layout.slices()) known.insert(s.name);
  for (SafetensorsTensor& t : file.tensors) {
    const std::string name = current_attention_name(t.name);
    if (known.count(name) == 0) {
      fail(source, ": unexpected tensor ", quote_text(t.name, 80), " for this unet/config.json (",
           layout.slices().size(), " tensors, e.g. ", layout.slices().front().name, ")");
    }
    if (!seen.insert(name).second) fail(source, ": tensor '", name, "' is stored twice (under its old and new name)");
    t.name = name;
  }
  return param_tensors_read(file, layout, "", source);
}

Checkpoint diffusers_checkpoint(const DiffusersScheduler& scheduler, const UNetConfig& unet,
                                AlignedBuffer params, const std::string& source,
                                std::optional<ImageDataset> dataset) {
  if (params.size() != model_param_layout(unet).total()) {
    fail("internal: ", params.size(), " weights for a U-Net of ", model_param_layout(unet).total());
  }
  const bool doubled = unet_out_channels(unet) == 2 * unet.in_channels;
  if (scheduler.diffusion.learned_variance != doubled) {
    fail(doubled ? "the U-Net's out_channels = 2 in_channels (a learned variance) needs the "
                   "scheduler's variance_type learned_range"
                 : "the scheduler's variance_type learned_range needs the U-Net's out_channels = "
                   "2 in_channels (its variance values)");
  }
  Checkpoint c;
  c.schedule = scheduler.schedule;
  c.diffusion = scheduler.diffusion;
  c.model = unet;
  c.ema_params = std::move(params);
  c.data.shape = {unet.in_channels, unet.sample_size, unet.sample_size};
  c.data.classes = unet.classes;
  c.data.stored = false;
  c.data.source = source;
  c.data.normalization = normalization_levels(diffusers_image_levels);
  if (dataset) {
    const std::string name = image_datasets.name(*dataset);
    const std::size_t side = image_dataset_side(*dataset);
    const std::size_t K = *dataset == ImageDataset::digits ? digits_classes : fashion_mnist_classes;
    if (unet.in_channels != 1 || unet.sample_size != side || (unet.classes != 0 && unet.classes != K)) {
      fail("the data set ", name, " has 1x", side, "x", side, " images of ", K,
           " classes, but the U-Net takes ", unet.in_channels, "x", unet.sample_size, "x",
           unet.sample_size, " images with ", unet.classes, " classes");
    }
    c.data.source = name;
    c.data.normalization = normalization_levels(image_dataset_levels(*dataset));
    if (unet.classes > 0) {
      for (std::size_t k = 0; k < K; ++k) {
        c.data.class_names.emplace_back(*dataset == ImageDataset::digits ? std::to_string(k)
                                                                          : std::string(fashion_mnist_class_names[k]));
      }
    }
  }
  c.written_by = version_string;
  return c;
}

}  // namespace diffuse
