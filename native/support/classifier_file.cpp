#include "support/classifier_file.hpp"

#include <cstdint>

#include "base/error.hpp"
#include "data/digits.hpp"
#include "support/arguments.hpp"
#include "support/atomic_file.hpp"
#include "support/image_datasets.hpp"

namespace diffuse::cli {

ClassifierCheckpoint classifier_load(const std::string& flag, const std::string& path) {
  const std::string bytes = read_input_file(flag, path);
  try {
    return classifier_checkpoint_read(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                      bytes.size(), path);
  } catch (const Error& e) {
    fail(flag, ": ", e.what());
  }
}

void classifier_save(const std::string& path, const ClassifierCheckpoint& checkpoint) {
  atomic_write_file(path, [&](std::ostream& out) { classifier_checkpoint_write(out, checkpoint); });
}

std::string classifier_default_path(const std::string& data_dir, ImageDataset dataset) {
  return data_dir + "/" + image_datasets.name(dataset) + "-classifier.safetensors";
}

}  // namespace diffuse::cli
