#pragma once
// A trained image classifier (nn/classifier.hpp) in one safetensors file (io/safetensors.hpp):
// what `diffuse classifier` writes and the sample-quality measurements load.
//
// Tensors: the weights under PyTorch's names and shapes (layers.0.weight [256, 64], ...,
// output.bias [10]), nothing else. Metadata (strings):
//   "format" = "diffuse-classifier", "format_version" = "1"
//   "classifier_version"  the nn/classifier_recipe.hpp code version that trained it
//   "dataset"             "digits" or "fashion" (nn/classifier_recipe.hpp's names)
//   "levels"              L, the pixel levels (the same as the architecture's)
//   "seed"                the training seed, decimal (the same as the training's)
//   "test_accuracy"       on the data set's held-out images (JSON number, shortest round trip)
//   "test_images"         how many held-out images that was measured on
//   "architecture"        JSON, nn/classifier_config.hpp
//   "training"            JSON, nn/classifier_trainer.hpp
//   "diffuse_version"     the diffuse release that wrote it
//
// Reading validates everything and reports the first problem as an Error naming the source: the
// format and its version, every metadata field above (present, well-formed, in range, consistent
// with each other), every tensor (present, exact shape, finite values) and no tensor the
// architecture does not explain. Unknown metadata keys are ignored.
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

#include "base/aligned.hpp"
#include "nn/classifier.hpp"
#include "nn/classifier_recipe.hpp"

namespace diffuse {

inline constexpr const char* classifier_format_name = "diffuse-classifier";
inline constexpr int classifier_format_version = 1;

struct ClassifierCheckpoint {
  ImageDataset dataset = ImageDataset::digits;
  ClassifierConfig model;
  ClassifierTrainConfig train;
  double test_accuracy = 0;     // in [0, 1]
  std::size_t test_images = 0;  // >= 1
  std::string code_version;     // classifier_code_version of the build that trained it
  std::string written_by;       // the diffuse version that wrote it (on reading)
  AlignedBuffer params;         // (P,) the model's flat layout
};

// A checkpoint of a trained classifier (code_version: this build's).
ClassifierCheckpoint classifier_checkpoint_make(ImageDataset dataset,
                                                const ClassifierTrainConfig& train,
                                                const Classifier& classifier, double test_accuracy,
                                                std::size_t test_images);

void classifier_checkpoint_write(std::ostream& out, const ClassifierCheckpoint& checkpoint);
// Validates everything (see above). `source` names the file in errors.
ClassifierCheckpoint classifier_checkpoint_read(const std::uint8_t* bytes, std::size_t size,
                                                std::string_view source);
ClassifierCheckpoint classifier_checkpoint_read(std::istream& in, std::string_view source);

// The classifier with the checkpoint's weights.
Classifier classifier_from_checkpoint(const ClassifierCheckpoint& checkpoint);

}  // namespace diffuse
