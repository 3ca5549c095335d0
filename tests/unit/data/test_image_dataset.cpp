// The image data sets by name: names, sides, levels and how their pixels read.
#include <catch2/catch.hpp>

#include "data/image_dataset.hpp"

using namespace diffuse;

TEST_CASE("image_datasets: the names the CLI and checkpoints use") {
  CHECK(image_datasets.allowed() == "digits, fashion");
  CHECK(image_datasets.value("digits") == ImageDataset::digits);
  CHECK(image_datasets.value("fashion") == ImageDataset::fashion);
  CHECK(image_datasets.name(ImageDataset::fashion) == "fashion");
  CHECK_THROWS_WITH(image_datasets.value("mnist"),
                    "unknown image data set 'mnist': allowed are digits, fashion");
}

TEST_CASE("image_dataset_side and _levels are each data set's own") {
  // sklearn's digits: 8x8, ink counted 0..16 (17 levels); Fashion-MNIST: 28x28 bytes (256).
  CHECK(image_dataset_side(ImageDataset::digits) == 8);
  CHECK(image_dataset_levels(ImageDataset::digits) == 17);
  CHECK(image_dataset_side(ImageDataset::fashion) == 28);
  CHECK(image_dataset_levels(ImageDataset::fashion) == 256);
}

TEST_CASE("image_dark_ink: digits count ink, Fashion-MNIST measures light") {
  CHECK(image_dark_ink("digits"));
  CHECK_FALSE(image_dark_ink("fashion"));
  CHECK_FALSE(image_dark_ink("moons"));
}
