#pragma once
// A U-Net checkpoint as the folder diffusers' DDPMPipeline.save_pretrained writes, and back
// (docs/diffusers-export.md; the formats are docs/diffusers-unet.md's "Files on disk"):
//
//   model_index.json                           {"_class_name": "DDPMPipeline", "scheduler":
//                                               ["diffusers", "DDPMScheduler"], "unet": [...]}
//   scheduler/scheduler_config.json            io/diffusers_scheduler_config.hpp
//   unet/config.json                           io/diffusers_unet_config.hpp
//   unet/diffusion_pytorch_model.safetensors   the EMA weights, float32, state_dict names (ours
//                                              are UNet2DModel's), sorted by name as the
//                                              safetensors library writes them, metadata
//                                              {"format": "pt"}
//
// This file only makes and checks the contents; the CLI reads and writes the folder.
#include <cstdint>
#include <iosfwd>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "base/aligned.hpp"
#include "data/image_dataset.hpp"
#include "io/checkpoint.hpp"
#include "io/diffusers_scheduler_config.hpp"
#include "io/safetensors.hpp"
#include "nn/unet_config.hpp"

namespace diffuse {

inline constexpr const char* diffusers_model_index_file = "model_index.json";
inline constexpr const char* diffusers_scheduler_file = "scheduler/scheduler_config.json";
inline constexpr const char* diffusers_unet_config_file = "unet/config.json";
inline constexpr const char* diffusers_unet_weights_file = "unet/diffusion_pytorch_model.safetensors";

// diffusers' image pipelines map the model's [-1, 1] to 8-bit pixels, (x / 2 + 0.5) * 255
// rounded: the levels normalization of 256 levels. An imported model that names no data set
// gets it.
inline constexpr int diffusers_image_levels = 256;

// The three JSON files' texts (io/diffusers_json.hpp's formatting).
struct DiffusersPipelineText {
  std::string model_index, scheduler_config, unet_config;
};

// Error unless the model is a U-Net (diffusers has no class for the MLP). The scheduler's
// sampling keys are `diffuse sample`'s defaults (SamplerConfig{}).
DiffusersPipelineText diffusers_pipeline_text(const Checkpoint& checkpoint);

// The EMA weights as unet/diffusion_pytorch_model.safetensors (U-Net checkpoints only).
void diffusers_unet_weights_write(std::ostream& out, const Checkpoint& checkpoint);

// Checks model_index.json: a DDPMPipeline of a UNet2DModel and a DDPMScheduler ("_" keys other
// than "_class_name" are metadata). Error naming the key otherwise.
void diffusers_model_index_check(const nlohmann::json& json);

// The largest weights file a U-Net of this configuration can have (param_tensors_max_file_bytes).
std::uint64_t diffusers_unet_weights_max_bytes(const UNetConfig& config);

// The weights in the U-Net's flat layout. Every tensor of the layout must be present with its
// exact shape and finite values, and no other tensor may be (pre-0.14 attention names query, key,
// value, proj_attn are read as to_q, to_k, to_v, to_out.0, as diffusers does). Error naming
// `source` and the tensor otherwise.
AlignedBuffer diffusers_unet_weights_read(Safetensors file, const UNetConfig& config,
                                          std::string_view source);

// A sampling-only checkpoint (no training state, as an export) of an imported pipeline. Its data
// record: with a data set, that set's name, levels and class names (Error unless the U-Net takes
// its images and has none or all of its classes); without one, `source` (the folder) and
// diffusers_image_levels. Training settings are TrainConfig{}'s and the step 0: diffusers' files
// do not record them.
Checkpoint diffusers_checkpoint(const DiffusersScheduler& scheduler, const UNetConfig& unet,
                                AlignedBuffer params, const std::string& source,
                                std::optional<ImageDataset> dataset);

}  // namespace diffuse
