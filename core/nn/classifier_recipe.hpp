#pragma once
// The quality classifiers of the image data sets (docs/datasets.md, "The quality classifier"):
// for each set, the architecture and the training settings that `diffuse classifier` uses and
// scripts/build.sh trains into data/<set>-classifier.safetensors. One source of truth: the CLI,
// the checkpoint's record and the docs read these.
#include <string>

#include "data/image_dataset.hpp"
#include "nn/classifier_config.hpp"
#include "nn/classifier_trainer.hpp"

namespace diffuse {

// The version of everything that decides a trained classifier's weights: the recipes below, the
// architecture, its initialization and the training code. Checkpoints record it, and
// scripts/build.sh retrains a data/ classifier whose recorded version differs. Change it with any
// change that changes a trained classifier.
inline constexpr const char* classifier_code_version = "1";

struct ClassifierRecipe {
  ClassifierConfig model;
  ClassifierTrainConfig train;  // seed 0
};

ClassifierRecipe classifier_recipe(ImageDataset dataset);

}  // namespace diffuse
