#include "support/image_datasets.hpp"

#include <algorithm>
#include <cstdlib>
#include <system_error>

#include "base/error.hpp"
#include "data/digits.hpp"
#include "data/fashion_mnist.hpp"
#include "support/gzip.hpp"

namespace diffuse::cli {
namespace fs = std::filesystem;

namespace {

// Throws the "missing" Error unless `path` exists; `fix` says how to get it.
void require_file(const fs::path& path, const char* what, const std::string& fix) {
  std::error_code error;
  if (!fs::exists(path, error)) fail(what, ": ", path.string(), " is missing: ", fix);
}

fs::path fashion_file(const fs::path& dir, const char* part, const char* kind) {
  return dir / (std::string(part) + "-" + kind + "-ubyte.gz");
}

ImageSet load_fashion_part(const fs::path& dir, const char* part, std::size_t count) {
  const fs::path images_path = fashion_file(dir, part, "images-idx3");
  const fs::path labels_path = fashion_file(dir, part, "labels-idx1");
  const std::string images = gzip_read_file(images_path.string());
  const std::string labels = gzip_read_file(labels_path.string());
  ImageSet set = fashion_mnist_parse(images, labels, images_path.string(), labels_path.string());
  if (set.count != count) {
    fail("Fashion-MNIST: ", images_path.string(), " has ", set.count, " images, expected ", count,
         " (the official ", part, " set): reinstall dataset-fashion-mnist");
  }
  image_set_validate(set, images_path.string());
  return set;
}

}  // namespace

std::string data_dir_resolve(const char* env_value, const fs::path& executable) {
  if (env_value != nullptr && *env_value != '\0') return env_value;
  std::error_code error;
  for (fs::path dir = executable.parent_path(); !dir.empty(); dir = dir.parent_path()) {
    if (fs::is_regular_file(dir / "scripts" / "setup.sh", error)) return (dir / "data").string();
    if (dir == dir.root_path()) break;
  }
  return "";
}

std::string data_dir_default() {
  std::error_code error;
  const fs::path executable = fs::read_symlink("/proc/self/exe", error);
  const std::string dir = data_dir_resolve(std::getenv(data_dir_env), error ? "" : executable);
  if (dir.empty()) {
    fail("cannot find the data folder: this program is not inside the diffuse repository, and ",
         data_dir_env, " is not set: set ", data_dir_env, " to the folder holding ",
         digits_file_name, " (scripts/setup.sh puts it in the repository's data/ folder)");
  }
  return dir;
}

ImageSet load_digits(const std::string& data_dir) {
  const fs::path path = fs::path(data_dir) / digits_file_name;
  require_file(path, "digits",
               "run scripts/setup.sh, which extracts it from Debian's python3-sklearn package "
               "into the repository's data/ folder (or set " +
                   std::string(data_dir_env) + " to a folder holding " + digits_file_name + ")");
  const std::string text = gzip_read_file(path.string());
  ImageSet set = digits_parse(text, path.string());
  if (set.count != digits_count) {
    fail("digits: ", path.string(), " has ", set.count, " images, expected sklearn's ",
         digits_count, ": delete it and run scripts/setup.sh again");
  }
  image_set_validate(set, path.string());
  return set;
}

ImageSplit load_fashion(const std::string& dir) {
  // Every file first, so that a missing one is reported before any decoding.
  const std::string fix = error_message(
      "install Debian's dataset-fashion-mnist package (run scripts/setup.sh), which puts the "
      "files in ",
      fashion_mnist_default_dir);
  for (const char* part : {"train", "t10k"}) {
    for (const char* kind : {"images-idx3", "labels-idx1"}) {
      require_file(fashion_file(dir, part, kind), "Fashion-MNIST", fix);
    }
  }
  return {load_fashion_part(dir, "train", fashion_mnist_train_count),
          load_fashion_part(dir, "t10k", fashion_mnist_test_count)};
}

LabeledPoints image_set_points(const ImageSet& images, std::size_t n) {
  n = n == 0 ? images.count : std::min(n, images.count);
  const std::size_t D = images.image_size();
  LabeledPoints out;
  out.points = Tensor2::from_shape({n, D});
  std::copy(images.pixels.begin(), images.pixels.begin() + static_cast<std::ptrdiff_t>(n * D), out.points.begin());
  out.labels = Labels::from_shape({n});
  std::copy(images.labels.begin(), images.labels.begin() + static_cast<std::ptrdiff_t>(n), out.labels.begin());
  out.classes = images.classes;
  return out;
}

ImageSplit image_dataset_load(ImageDataset dataset) {
  switch (dataset) {
    case ImageDataset::digits: return image_split_digits(load_digits(data_dir_default()));
    case ImageDataset::fashion: return load_fashion();
  }
  fail("internal: unknown image data set");
}

}  // namespace diffuse::cli
