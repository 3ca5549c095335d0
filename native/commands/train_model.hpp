#pragma once
// diffuse train's model flags: which network (--network mlp | unet) and its configuration. Points
// train the MLP (nn/mlp.hpp); image data sets train the U-Net (nn/unet.hpp, diffusers'
// UNet2DModel) unless --network mlp asks for an MLP on the flattened pixels.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "data/training_data.hpp"
#include "nn/model_config.hpp"

namespace diffuse::cli {

struct ModelOptions {
  std::string network;  // "mlp" | "unet"; empty: chosen by the data (images: unet)
  // MLP (docs/reference-workload.md, "Model")
  std::int64_t hidden = 0, layers = 0, time_embed = 0, x_embed = 0;
  std::string activation;
  bool residual = false, time_projection = false;
  // U-Net (the defaults are the image data set's, commands/image_defaults.hpp)
  std::string channels;
  std::int64_t layers_per_block = 0, groups = 0;
  bool attention = false;
};

// Sets the core defaults and adds the flags to the "Model" group.
void model_options_add(CLI::App& command, ModelOptions& options);

// The validated configuration for this training data: the network the flags ask for (or the
// data's default), sized for the data's sample shape and classes. Throws Error naming the flag
// if a flag belongs to the other network or a value is out of range.
ModelConfig model_config_from(const ModelOptions& options, const CLI::App& command,
                              const TrainingData& data, bool images);

}  // namespace diffuse::cli
