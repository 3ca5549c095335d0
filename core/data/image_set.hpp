#pragma once
// A labelled set of small images, as the image data sets load (data/digits.hpp,
// data/fashion_mnist.hpp): N images of C channels, H rows and W columns, each pixel an integer
// grey level 0 .. levels - 1, each label a class 0 .. classes - 1.
//
// Pixels stay integers here; scaling to the model's range is the trainer's concern.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/tensor.hpp"

namespace diffuse {

struct ImageSet {
  std::size_t count = 0;                 // N
  std::size_t channels = 1;              // C
  std::size_t height = 0;                // H
  std::size_t width = 0;                 // W
  int levels = 0;                        // pixel values are 0 .. levels - 1 (2 <= levels <= 256)
  std::vector<std::uint8_t> pixels;      // (N, C, H, W) row-major
  std::vector<std::int32_t> labels;      // (N,) each in 0 .. classes - 1
  std::size_t classes = 0;               // K
  std::vector<std::string> class_names;  // (K,), or empty if the classes have no names

  std::size_t image_size() const { return channels * height * width; }  // C H W
};

// A data set's training and held-out images.
struct ImageSplit {
  ImageSet train;
  ImageSet test;
};

// Throws Error, naming `what` ("digits train"), unless the set is consistent: count, channels,
// height, width and classes all >= 1; 2 <= levels <= 256; N C H W without overflow; pixels of
// N C H W values each < levels; N labels each in 0 .. K - 1; class_names empty or K of them.
void image_set_validate(const ImageSet& set, std::string_view what);

// The images at `indices` (each < N, in the order given), with the set's sizes, levels and classes.
ImageSet image_set_subset(const ImageSet& set, const std::vector<std::size_t>& indices);

// Images from values in data units (n, C H W), each rounded to the nearest level and clamped to
// 0 .. L - 1, as an image file would store a sample: the quality measurements see samples as they
// see real images. `like` gives the sizes, levels, classes and class names; labels (n,) are the
// classes the samples were drawn for, or empty (unconditional samples: every label is a placeholder
// 0, so that the set stays valid for the classifier, which ignores labels). NaN is an
// Error (a model whose weights diverged), as is a row size other than C H W or a label out of range.
ImageSet image_set_quantize(const Tensor2& values, const std::vector<std::int32_t>& labels,
                            const ImageSet& like);

// How many images of each class (labels outside 0 .. K - 1, which image_set_validate rejects,
// are not counted).                                                                        (K,)
std::vector<std::size_t> image_set_class_counts(const ImageSet& set);

}  // namespace diffuse
