#pragma once
// A training set as every model kind sees it: samples of a shape, optional class labels, the
// normalization that made them from the raw data, and where they came from.
#include <cstddef>
#include <string>

#include "base/tensor.hpp"
#include "data/normalization.hpp"

namespace diffuse {

struct TrainingData {
  Tensor2 samples;              // (N, D) normalized; row n is sample n of `shape` in row-major order
  SampleShape shape;            // one sample's shape: {D} for points, {C, H, W} for images
  Labels labels;                // (N,) class labels in 0..classes-1; empty without labels
  std::size_t classes = 0;      // K, the number of classes (0 without labels)
  Normalization normalization;  // how samples were made from the raw data
  std::string source;           // a data set name ("moons") or a file name, for the record

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

}  // namespace diffuse
