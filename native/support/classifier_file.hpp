#pragma once
// Classifier checkpoints (core/io/classifier_checkpoint.hpp) on disk, and where the image data
// sets' quality classifiers live: data/<set>-classifier.safetensors beside data/digits.csv.gz
// (support/image_datasets.hpp's data folder), which scripts/build.sh keeps current.
#include <string>

#include "data/image_set.hpp"
#include "io/classifier_checkpoint.hpp"

namespace diffuse::cli {

// Reads and validates; any problem (missing, unreadable, not safetensors, another program's file,
// a bad field) throws Error "FLAG: PATH: problem".
ClassifierCheckpoint classifier_load(const std::string& flag, const std::string& path);

// Writes atomically (support/atomic_file.hpp): readers see the old file or the whole new one.
void classifier_save(const std::string& path, const ClassifierCheckpoint& checkpoint);

// <data_dir>/<set>-classifier.safetensors, e.g. data/digits-classifier.safetensors.
std::string classifier_default_path(const std::string& data_dir, ImageDataset dataset);

}  // namespace diffuse::cli
