#include "support/image_output.hpp"

#include <cmath>

#include "base/error.hpp"
#include "cli.hpp"
#include "data/image_dataset.hpp"
#include "support/image_grid.hpp"

namespace diffuse::cli {

bool checkpoint_has_images(const Checkpoint& c) {
  return c.data.shape.size() == 3 && c.data.normalization.discrete();
}

ImageLook image_look(const Checkpoint& c) {
  if (!checkpoint_has_images(c)) fail("internal: the checkpoint's samples are not images");
  ImageLook look;
  look.channels = c.data.shape[0];
  look.height = c.data.shape[1];
  look.width = c.data.shape[2];
  look.levels = c.data.normalization.levels;
  look.dark_ink = image_dark_ink(c.data.source);
  return look;
}

namespace {

ImageGrid grid_for(const ImageLook& look, const float* images, std::size_t count) {
  ImageGrid grid;
  grid.images = images;
  grid.count = count;
  grid.channels = look.channels;
  grid.height = look.height;
  grid.width = look.width;
  grid.levels = look.levels;
  grid.dark_ink = look.dark_ink;
  grid.zoom = grid_zoom_for(std::max(look.height, look.width));
  return grid;
}

// True if labels(i) == i mod K for every i: the classes in turn (--class all).
bool cycles_through(const Labels& labels, std::size_t K) {
  if (K == 0 || labels.size() == 0) return false;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (static_cast<std::size_t>(labels(i)) != i % K) return false;
  }
  return true;
}

}  // namespace

std::string samples_grid_png(const ImageLook& look, const Tensor2& samples, const Labels& labels,
                             std::size_t classes, const std::vector<std::string>& class_names,
                             const std::string& title) {
  const std::size_t n = samples.shape(0);
  ImageGrid grid = grid_for(look, samples.data(), n);
  grid.title = title;
  if (cycles_through(labels, classes)) {
    grid.cells = grid_cells_by_class(n, classes);
    for (std::size_t k = 0; k < grid.cells.size(); ++k) {
      grid.row_labels.push_back(k < class_names.size() ? class_names[k] : std::to_string(k));
    }
  } else {
    const auto columns = static_cast<std::size_t>(std::ceil(std::sqrt(static_cast<double>(n))));
    grid.cells = grid_cells_in_order(n, columns);
  }
  return image_grid_draw(grid).encode_png();
}

std::string trajectory_strip_png(const ImageLook& look, const Trajectory& trajectory,
                                 const Normalization& norm, const std::string& title) {
  const std::size_t F = trajectory.x.size();
  if (F == 0) fail("internal: an empty trajectory");
  const std::size_t n = std::min(trajectory.x.front().shape(0), strip_max_samples);
  const std::size_t D = trajectory.x.front().shape(1);
  // Frames evenly spread over the recording, the first and the last always among them.
  std::vector<std::size_t> frames;
  const std::size_t shown = std::min(F, strip_max_frames);
  for (std::size_t j = 0; j < shown; ++j) {
    const std::size_t f = shown == 1 ? F - 1 : static_cast<std::size_t>(std::lround(
                                                   static_cast<double>(j) * (F - 1) / (shown - 1)));
    frames.push_back(f);
  }
  // The images in drawing order: per sample, its x_t row then its x_0-estimate row.
  std::vector<float> pixels;
  pixels.reserve(2 * n * frames.size() * D);
  ImageGrid grid = grid_for(look, nullptr, 2 * n * frames.size());
  long index = 0;
  std::vector<Tensor2> x(frames.size()), x0(frames.size());
  for (std::size_t j = 0; j < frames.size(); ++j) {
    x[j] = normalization_undo(norm, trajectory.x[frames[j]]);
    x0[j] = normalization_undo(norm, trajectory.x0_hat[frames[j]]);
    const double t = trajectory.timesteps[frames[j]];
    grid.column_labels.push_back(t < 0 ? "x_0" : "t=" + (std::floor(t) == t ? format_number(t) : fixed(t, 1)));
  }
  for (std::size_t i = 0; i < n; ++i) {
    for (const std::vector<Tensor2>* source : {&x, &x0}) {
      grid.cells.emplace_back();
      for (std::size_t j = 0; j < frames.size(); ++j) {
        const float* row = (*source)[j].data() + i * D;
        pixels.insert(pixels.end(), row, row + D);
        grid.cells.back().push_back(index++);
      }
      grid.row_labels.push_back(source == &x ? "x_t" : "x0 est.");
    }
  }
  grid.images = pixels.data();
  grid.title = title;
  grid.row_group = 2;
  return image_grid_draw(grid).encode_png();
}

}  // namespace diffuse::cli
