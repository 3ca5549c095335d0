#pragma once
// Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017; github.com/zalandoresearch/fashion-mnist):
// 28 x 28 grey images of clothing with 256 levels (0 .. 255), ten classes, in the IDX format
// (data/idx.hpp). The held-out split is the official one: the 60,000 images of train-* for
// training, the 10,000 of t10k-* for testing, 6,000 and 1,000 of each class. docs/datasets.md
// says where the files come from (Debian's dataset-fashion-mnist).
#include <array>
#include <cstddef>
#include <string_view>

#include "data/image_set.hpp"

namespace diffuse {

inline constexpr std::size_t fashion_mnist_side = 28;  // H = W
inline constexpr int fashion_mnist_levels = 256;
inline constexpr std::size_t fashion_mnist_classes = 10;
inline constexpr std::size_t fashion_mnist_train_count = 60000;
inline constexpr std::size_t fashion_mnist_test_count = 10000;

// The class names by label, as the data set's README lists them.
inline constexpr std::array<std::string_view, fashion_mnist_classes> fashion_mnist_class_names = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

// One part (train or test) from the decompressed bytes of its two IDX files, which must hold the
// same number of images and labels, 28 x 28 images and labels 0 .. 9; the sources name the files
// in error messages. Any count >= 1: callers that want the official files check the counts.
ImageSet fashion_mnist_parse(std::string_view image_bytes, std::string_view label_bytes,
                             std::string_view image_source, std::string_view label_source);

}  // namespace diffuse
