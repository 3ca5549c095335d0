#pragma once
// The defaults of `diffuse train` on an image data set, where they differ from the points' ones
// (docs/reference-workload.md): a U-Net sized for the images and a run length that reaches good
// samples fast on 2 cores. docs/images.md records the measurements that chose them.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "data/image_dataset.hpp"

namespace diffuse::cli {

struct TrainOptions;

struct ImageDefaults {
  // U-Net
  std::string channels;
  std::int64_t layers_per_block = 0, groups = 0;
  // training
  std::int64_t steps = 0, batch = 0, warmup = 0;
  double lr = 0, ema = 0;
};

ImageDefaults image_defaults(ImageDataset dataset);

// Sets every option of `defaults` that the command line did not give.
void image_defaults_apply(TrainOptions& options, const CLI::App& command, ImageDataset dataset);

// The defaults as flags, for help texts: "--channels 32,64 --layers-per-block 1 ...".
std::string image_defaults_flags(ImageDataset dataset);

}  // namespace diffuse::cli
