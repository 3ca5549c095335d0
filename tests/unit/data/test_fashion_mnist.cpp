// Fashion-MNIST from IDX bytes built here: the image set it gives, the class names, and that the
// two files must agree; the real files are checked in tests/unit/native.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "data/fashion_mnist.hpp"
#include "data/idx.hpp"
#include "support/idx_bytes.hpp"

using namespace diffuse;

namespace {

using test::put_u32;

std::string images_bytes(std::uint32_t n, std::uint32_t side = 28) {
  std::string bytes;
  put_u32(bytes, idx_images_magic);
  for (const std::uint32_t size : {n, side, side}) put_u32(bytes, size);
  for (std::size_t j = 0; j < std::size_t{n} * side * side; ++j)
    bytes += static_cast<char>(j % 251);
  return bytes;
}

const auto labels_bytes = test::idx_labels_bytes;

}  // namespace

TEST_CASE("fashion_mnist_parse gives 1 x 28 x 28 images of 256 levels in ten named classes") {
  const ImageSet set =
      fashion_mnist_parse(images_bytes(3), labels_bytes({9, 0, 4}), "images.gz", "labels.gz");
  CHECK(set.count == 3);
  CHECK(set.channels == 1);
  CHECK(set.height == 28);
  CHECK(set.width == 28);
  CHECK(set.levels == 256);
  CHECK(set.classes == 10);
  CHECK(set.labels == std::vector<std::int32_t>{9, 0, 4});
  REQUIRE(set.pixels.size() == 3 * 784);
  CHECK(set.pixels[784 + 5] == (784 + 5) % 251);
  CHECK(set.class_names == std::vector<std::string>{"T-shirt/top", "Trouser", "Pullover", "Dress",
                                                    "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                                                    "Ankle boot"});
  CHECK_NOTHROW(image_set_validate(set, "fashion"));
}

TEST_CASE("fashion_mnist_parse wants one label per image, labels 0..9 and 28 x 28 images") {
  CHECK_THROWS_WITH(
      fashion_mnist_parse(images_bytes(3), labels_bytes({1, 2}), "images.gz", "labels.gz"),
      "images.gz has 3 images but labels.gz has 2 labels: expected one label per "
      "image");
  CHECK_THROWS_WITH(
      fashion_mnist_parse(images_bytes(2), labels_bytes({1, 10}), "images.gz", "labels.gz"),
      "labels.gz: label 10 at index 1: allowed is 0 .. 9");
  CHECK_THROWS_WITH(
      fashion_mnist_parse(images_bytes(1, 8), labels_bytes({1}), "images.gz", "labels.gz"),
      "images.gz: images of 8 x 8 pixels, expected 28 x 28");
  // The files swapped.
  CHECK_THROWS_WITH(
      fashion_mnist_parse(labels_bytes({1}), images_bytes(1), "images.gz", "labels.gz"),
      Catch::StartsWith("labels.gz: magic 0x00000803, expected 0x00000801"));
}
