#include "support/datasets.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "base/error.hpp"
#include "base/rng.hpp"
#include "data/csv.hpp"
#include "support/arguments.hpp"

namespace diffuse::cli {

std::string dataset_help() {
  return join_names(toy2d_sets.names()) + " | " + join_names(image_datasets.names()) +
         " | a CSV file path";
}

DatasetSpec dataset_resolve(const std::string& flag, const std::string& text) {
  DatasetSpec spec;
  spec.text = text;
  const auto names = toy2d_sets.names();
  if (std::find(names.begin(), names.end(), text) != names.end()) {
    spec.set = toy2d_sets.value(text);
    return spec;
  }
  const auto image_names = image_datasets.names();
  if (std::find(image_names.begin(), image_names.end(), text) != image_names.end()) {
    spec.images = image_datasets.value(text);
    return spec;
  }
  // A bare word that is no file is a misspelt name ("moon"), not a missing file.
  const bool looks_like_path = text.find('/') != std::string::npos ||
                               text.find('.') != std::string::npos ||
                               std::filesystem::exists(text);
  if (!looks_like_path) {
    fail(flag, " '", text, "' is neither a known data set (", join_names(names, ", "), ", ",
         join_names(image_names, ", "), ") nor a file path");
  }
  check_input_file(flag, text);
  spec.path = text;
  return spec;
}

Tensor2 dataset_draw(Toy2d set, std::size_t n, std::uint64_t seed, std::uint64_t stream) {
  Rng rng(seed, stream);
  return toy2d_sample(set, n, rng);
}

LabeledPoints dataset_read_csv(const std::string& flag, const std::string& path) {
  check_input_file(flag, path);
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(flag, " '", path, "': cannot open it");
  try {
    return csv_take_labels(csv_read(in, path), path);
  } catch (const Error& e) {
    fail(flag, ": ", e.what());
  }
}

Tensor2 rows_slice(const Tensor2& points, std::size_t first, std::size_t n) {
  const std::size_t D = points.shape(1);
  if (first + n > points.shape(0))
    fail("internal: rows [", first, ", ", first + n, ") of ", points.shape(0));
  Tensor2 out = Tensor2::from_shape({n, D});
  std::copy(points.data() + first * D, points.data() + (first + n) * D, out.data());
  return out;
}

Tensor2 rows_head(const Tensor2& points, std::size_t n) {
  return rows_slice(points, 0, n);
}

void require_model_of_images(const std::string& flag, const DatasetSpec& spec, const Checkpoint& c) {
  const std::size_t side = image_dataset_side(*spec.images);
  const SampleShape shape{1, side, side};
  const int levels = image_dataset_levels(*spec.images);
  if (c.data.shape != shape || c.data.normalization.levels != levels) {
    fail(flag, " ", spec.text, ": its images are ", shape[1], "x", shape[2], " with ", levels,
         " levels, but the model was trained on '", c.data.source, "' (",
         c.data.shape.size() == 3 ? std::to_string(c.data.shape[1]) + "x" + std::to_string(c.data.shape[2]) +
                                        " images"
                                  : std::to_string(sample_shape_size(c.data.shape)) + "-dimensional points",
         ")");
  }
}

void require_finite(const Tensor2& values, const std::string& what) {
  const std::size_t bad = static_cast<std::size_t>(
      std::count_if(values.begin(), values.end(), [](float v) { return !std::isfinite(v); }));
  if (bad > 0) {
    fail(bad, " of ", values.size(), " values of the ", what, " are not finite (NaN or infinite): ",
         "the model's outputs overflow (did its training diverge?); nothing was written");
  }
}

}  // namespace diffuse::cli
