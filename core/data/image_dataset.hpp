#pragma once
// The image data sets by name, as flags, checkpoints and the page call them. Their files and
// splits: data/digits.hpp (sklearn's 8x8 digits, a fixed 297-image held-out split) and
// data/fashion_mnist.hpp (Fashion-MNIST 28x28, the official 10,000-image test set).
#include <cstddef>
#include <string_view>

#include "base/enum_names.hpp"
#include "data/digits.hpp"
#include "data/fashion_mnist.hpp"

namespace diffuse {

enum class ImageDataset { digits, fashion };

inline const EnumNames<ImageDataset> image_datasets{
    "image data set", {{ImageDataset::digits, "digits"}, {ImageDataset::fashion, "fashion"}}};

// The side of a data set's square one-channel images, and its levels.
constexpr std::size_t image_dataset_side(ImageDataset d) {
  return d == ImageDataset::digits ? digits_side : fashion_mnist_side;
}
constexpr int image_dataset_levels(ImageDataset d) {
  return d == ImageDataset::digits ? digits_levels : fashion_mnist_levels;
}

// How a data set's pixels read: the digits count ink (16 is fully inked, drawn dark on white),
// Fashion-MNIST measures light (255 is white on black), as each is usually shown.
inline bool image_dark_ink(std::string_view source) { return source == "digits"; }

}  // namespace diffuse
