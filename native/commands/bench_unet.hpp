#pragma once
// diffuse bench --dataset digits|fashion: the U-Net training step of `diffuse train --dataset NAME
// --conditional` (the data set's defaults, commands/image_defaults.hpp: model, batch, learning rate
// schedule, EMA; eps-prediction MSE, label dropout 0.1, Adam, grad clip 1.0), timed on the data
// set's training split: steps/s as the median over rounds (with the range), the flops of every
// convolution forward and backward in one step (nn/unet.hpp, unet_train_conv_flops) and the rate
// they run at (each convolution timed alone on the step's chunks, forward and backward, against
// the machine's FMA peak, kernels/fma_probe.hpp), and the peak memory of the process.
// --layers adds the per-convolution and per-GroupNorm table behind those totals.
#include <cstddef>

#include "data/image_dataset.hpp"

namespace diffuse::cli {

struct UNetBenchOptions {
  ImageDataset dataset = ImageDataset::digits;
  bool full = false, json = false, layers = false;
  std::size_t threads = 1;
};

void run_bench_unet(const UNetBenchOptions& options);

}  // namespace diffuse::cli
