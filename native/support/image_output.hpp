#pragma once
// Generated images as pictures (support/image_grid.hpp does the drawing): the samples' grid,
// one row per class when the classes were asked for in turn, and the denoising strip of a
// trajectory, a few samples' x_t and x_0 estimates frame by frame.
#include <cstddef>
#include <string>
#include <vector>

#include "base/tensor.hpp"
#include "diffusion/sampler.hpp"
#include "io/checkpoint.hpp"

namespace diffuse::cli {

// How the images of a checkpoint's data look: shape, levels and ink.
struct ImageLook {
  std::size_t channels = 1, height = 0, width = 0;
  int levels = 256;
  bool dark_ink = false;
};

// True if the checkpoint's samples are images (a C x H x W shape with a levels normalization).
bool checkpoint_has_images(const Checkpoint& checkpoint);
ImageLook image_look(const Checkpoint& checkpoint);

// PNG bytes of samples (n, C H W) in data units. With labels that cycle through the classes
// (--class all: sample i has class i mod K), one row per class labelled by its name; otherwise
// rows of about sqrt(n) images.
std::string samples_grid_png(const ImageLook& look, const Tensor2& samples, const Labels& labels,
                             std::size_t classes, const std::vector<std::string>& class_names,
                             const std::string& title);

// At most this many samples and frames go in a denoising strip.
inline constexpr std::size_t strip_max_samples = 6;
inline constexpr std::size_t strip_max_frames = 11;

// PNG bytes of the first samples' trajectories: for each, a row of x_t and a row of the x_0
// estimate, at up to strip_max_frames frames evenly spread from the first to the result,
// headed by their timesteps. Frames are normalized (n, D); `norm` maps them to data units.
std::string trajectory_strip_png(const ImageLook& look, const Trajectory& trajectory,
                                 const Normalization& norm, const std::string& title);

}  // namespace diffuse::cli
