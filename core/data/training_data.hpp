#pragma once
// A training set as every model kind sees it: samples of a shape, optional class labels, the
// normalization that made them from the raw data, and where they came from.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/tensor.hpp"
#include "data/image_set.hpp"
#include "data/normalization.hpp"

namespace diffuse {

struct TrainingData {
  Tensor2 samples;              // (N, D) normalized; row n is sample n of `shape` in row-major order
  SampleShape shape;            // one sample's shape: {D} for points, {C, H, W} for images
  Labels labels;                // (N,) class labels in 0..classes-1; empty without labels
  std::size_t classes = 0;      // K, the number of classes (0 without labels)
  Normalization normalization;  // how samples were made from the raw data
  std::string source;           // a data set name ("moons") or a file name, for the record
  std::vector<std::string> class_names;  // (classes,) or empty
  // A named data set that can be loaded again (an image set's training split): checkpoints record
  // its fingerprint instead of storing it, and a resumed run loads it by name.
  bool reloadable = false;

  std::size_t size() const { return samples.shape(0); }  // N
  bool labeled() const { return labels.size() > 0; }
};

// Throws Error unless N >= 1, the shape's size is D, and labels are empty or N values in
// 0..classes-1 (classes >= 1 with labels, 0 without).
void training_data_validate(const TrainingData& data);

// Points (N, D), standardized with statistics fitted to them (data/normalization.hpp); shape {D}.
TrainingData training_data_from_points(const Tensor2& raw, const std::string& source);
// The same with class labels (N,) in 0..classes-1.
TrainingData training_data_from_points(const Tensor2& raw, Labels labels, std::size_t classes,
                                       const std::string& source);

// An image set's images as samples of shape {C, H, W}, mapped to [-1, 1] by the fixed map of its
// levels (normalization_levels), with its labels and class names.
TrainingData training_data_from_images(const ImageSet& images, const std::string& source);

// A named image data set's training split as a run trains on it: labelled only for a conditional
// model (an unconditional run carries no labels), and reloadable (a checkpoint records the
// fingerprint and a resumed run loads the set again by name). The CLI and the page both use it,
// so a run of either resumes in the other.
TrainingData training_data_from_named_images(const ImageSet& images, const std::string& name,
                                             bool conditional);
// The pixels of an image set in data units (0 .. levels - 1) as floats.       (N, C H W)
Tensor2 image_set_values(const ImageSet& images);

// A 64-bit fingerprint (FNV-1a) of samples and labels: a checkpoint records it for data it does
// not store (an image set reloaded by name on resume), so a changed file is noticed.
std::uint64_t training_data_fingerprint(const TrainingData& data);

}  // namespace diffuse
