#include "data/fashion_mnist.hpp"

#include <string>
#include <utility>

#include "base/error.hpp"
#include "data/idx.hpp"

namespace diffuse {

ImageSet fashion_mnist_parse(std::string_view image_bytes, std::string_view label_bytes,
                             std::string_view image_source, std::string_view label_source) {
  std::vector<std::int32_t> labels =
      idx_parse_labels(label_bytes, fashion_mnist_classes, label_source);
  IdxImages images =
      idx_parse_images(image_bytes, fashion_mnist_side, fashion_mnist_side, image_source);
  if (images.count != labels.size()) {
    fail(image_source, " has ", images.count, " images but ", label_source, " has ", labels.size(),
         " labels: expected one label per image");
  }
  ImageSet set;
  set.count = images.count;
  set.channels = 1;
  set.height = images.height;
  set.width = images.width;
  set.levels = fashion_mnist_levels;
  set.pixels = std::move(images.pixels);
  set.labels = std::move(labels);
  set.classes = fashion_mnist_classes;
  for (const std::string_view name : fashion_mnist_class_names) set.class_names.emplace_back(name);
  return set;
}

}  // namespace diffuse
