// A checkpoint's configuration JSON (the "config" metadata, io/checkpoint.hpp) on any text:
//   1. each section through its own parser: schedule_config_from_json, diffusion_config_from_json,
//      model_config_from_json, train_config_from_json, normalization_from_json (data), and the
//      classifier's architecture and training JSON;
//   2. the whole text as the config of a checkpoint file whose tensors are what the text's model
//      claims (zeros in its layout, and training state when it has "adam_step"), read by
//      checkpoint_read (format version 1 when its model holds "prediction", as 0.1.0 wrote);
//   3. the text as each of a diffusers pipeline's JSON files (`diffuse import`):
//      diffusers_json_parse, diffusers_model_index_check, diffusers_scheduler_config_from_json,
//      diffusers_unet_config_from_json.
// Each step returns or throws diffuse::Error; a checkpoint that loads works (checkpoint_use.hpp).
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "checkpoint_use.hpp"
#include "data/normalization.hpp"
#include "diffusion/diffusion_config.hpp"
#include "diffusion/schedule.hpp"
#include "diffusion/train_config.hpp"
#include "fuzz_support.hpp"
#include "io/checkpoint.hpp"
#include "io/diffusers_json.hpp"
#include "io/diffusers_pipeline.hpp"
#include "io/diffusers_scheduler_config.hpp"
#include "io/diffusers_unet_config.hpp"
#include "io/safetensors.hpp"
#include "nn/classifier_config.hpp"
#include "nn/classifier_trainer.hpp"
#include "nn/model_config.hpp"

using namespace diffuse;
using nlohmann::json;

namespace {

void parse_sections(const json& config) {
  const auto section = [&](const char* name, auto parse) {
    if (config.contains(name)) fuzz::accepts([&] { (void)parse(config.at(name)); });
  };
  section("schedule", schedule_config_from_json);
  section("diffusion", diffusion_config_from_json);
  section("model", model_config_from_json);
  section("train", train_config_from_json);
  if (config.contains("data") && config.at("data").is_object()) {
    const json& data = config.at("data");
    if (data.contains("normalization")) {
      fuzz::accepts([&] { (void)normalization_from_json(data.at("normalization")); });
    }
  }
  section("architecture", classifier_config_from_json);
  section("training", classifier_train_config_from_json);
}

// The model the config claims, as its reader will see it (version 1: an MLP with "prediction").
std::optional<ModelConfig> claimed_model(const json& config, bool version_1) {
  if (!config.contains("model") || !config.at("model").is_object()) return std::nullopt;
  json model = config.at("model");
  if (version_1) {
    model.erase("prediction");
    model["kind"] = "mlp";
    model["classes"] = 0;
  }
  std::optional<ModelConfig> out;
  fuzz::accepts([&] { out = model_config_from_json(model); });
  return out;
}

struct OwnedTensor {
  std::string name;
  std::vector<std::size_t> shape;
  std::vector<float> values;
};

// A checkpoint file around the config text, with the tensors its model claims.
std::string checkpoint_file(std::string_view text, const json& config) {
  const bool version_1 = config.contains("model") && config.at("model").is_object() &&
                         config.at("model").contains("prediction");
  std::vector<OwnedTensor> tensors;
  if (const auto model = claimed_model(config, version_1)) {
    const ParamLayout layout = model_param_layout(*model);
    if (layout.count() <= (1u << 16)) {
      const bool training = config.contains("adam_step");
      for (const char* prefix : {"", "training.params.", "training.adam_m.", "training.adam_v."}) {
        if (*prefix != '\0' && !training) continue;
        for (const ParamSlice& s : layout.slices()) {
          tensors.push_back({prefix + s.name, s.shape, std::vector<float>(s.size, 0.01f)});
        }
      }
      const std::size_t D = model_sample_size(*model), K = model_classes(*model);
      const json data = config.value("data", json::object());
      const std::size_t N =
          data.is_object() && data.value("train_size", json()).is_number_unsigned()
              ? data.at("train_size").get<std::size_t>()
              : 0;
      if (training && N >= 1 && N * D <= 4096) {
        tensors.push_back({"training.data", {N, D}, std::vector<float>(N * D, 0.5f)});
        if (K > 0) tensors.push_back({"training.labels", {N}, std::vector<float>(N, 0.0f)});
      }
    }
  }
  std::vector<SafetensorsTensorView> views;
  for (const OwnedTensor& t : tensors) views.push_back({t.name, t.shape, t.values.data()});
  std::ostringstream out;
  safetensors_write(
      out, views,
      {{"format", checkpoint_format_name},
       {"format_version", version_1 ? "1" : std::to_string(checkpoint_format_version)},
       {"config", std::string(text)}});
  return out.str();
}

void parse_diffusers(std::string_view text) {
  std::optional<json> file;
  fuzz::accepts([&] { file = diffusers_json_parse(text, "fuzz.json"); });
  if (!file) return;
  fuzz::accepts([&] { diffusers_model_index_check(*file); });
  fuzz::accepts([&] { (void)diffusers_scheduler_config_from_json(*file); });
  fuzz::accepts([&] {
    const UNetConfig unet = diffusers_unet_config_from_json(*file);
    (void)diffusers_unet_weights_max_bytes(unet);
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  parse_diffusers(text);
  // UTF-8 only: safetensors metadata is JSON text, which the writer checks.
  const json config = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!config.is_object()) return 0;
  parse_sections(config);
  std::string file;
  if (!fuzz::accepts([&] { file = checkpoint_file(text, config); })) return 0;  // not UTF-8
  std::optional<Checkpoint> checkpoint;
  fuzz::accepts([&] {
    checkpoint = checkpoint_read(reinterpret_cast<const std::uint8_t*>(file.data()), file.size(),
                                 "fuzz config");
  });
  if (checkpoint) fuzz::checkpoint_use(*checkpoint);
  return 0;
}
