// ImageSet: every inconsistency image_set_validate rejects, subsets and class counts.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "data/image_set.hpp"

using namespace diffuse;

namespace {

// Four 2 x 3 images of 5 levels, pixel j of image i = (i + j) % 5, labels 0, 1, 2, 0.
ImageSet small_set() {
  ImageSet set;
  set.count = 4;
  set.height = 2;
  set.width = 3;
  set.levels = 5;
  set.classes = 3;
  set.class_names = {"a", "b", "c"};
  for (std::size_t i = 0; i < 4; ++i) {
    for (std::size_t j = 0; j < 6; ++j)
      set.pixels.push_back(static_cast<std::uint8_t>((i + j) % 5));
  }
  set.labels = {0, 1, 2, 0};
  return set;
}

std::string error_of(const ImageSet& set) {
  try {
    image_set_validate(set, "small");
  } catch (const Error& e) {
    return e.what();
  }
  FAIL("valid");
  return "";
}

}  // namespace

TEST_CASE("image_set_validate accepts a consistent set, with or without class names") {
  ImageSet set = small_set();
  CHECK_NOTHROW(image_set_validate(set, "small"));
  set.class_names.clear();
  CHECK_NOTHROW(image_set_validate(set, "small"));
  CHECK(set.image_size() == 6);
}

TEST_CASE("image_set_validate rejects each inconsistency, naming the set") {
  ImageSet set = small_set();
  set.count = 0;
  CHECK(error_of(set) == "small: no images");
  set = small_set();
  set.width = 0;
  CHECK(error_of(set) == "small: images of 1 x 2 x 0 (C x H x W): every size must be >= 1");
  set = small_set();
  set.levels = 1;
  CHECK(error_of(set) == "small: levels = 1: allowed is 2 .. 256 (8-bit pixels)");
  set.levels = 257;
  CHECK(error_of(set) == "small: levels = 257: allowed is 2 .. 256 (8-bit pixels)");
  set = small_set();
  set.classes = 0;
  CHECK(error_of(set) == "small: classes = 0: allowed is >= 1");
  set = small_set();
  set.pixels.pop_back();
  CHECK(error_of(set) == "small: 23 pixel values, expected N C H W = 4 x 1 x 2 x 3 = 24");
  set = small_set();
  set.labels.pop_back();
  CHECK(error_of(set) == "small: 3 labels for 4 images");
  set = small_set();
  set.class_names.pop_back();
  CHECK(error_of(set) == "small: 2 class names for 3 classes");
  set = small_set();
  set.pixels[2 * 6 + 1] = 5;
  CHECK(error_of(set) == "small: image 2 has pixel value 5: allowed is 0 .. 4");
  set = small_set();
  set.labels[3] = 3;
  CHECK(error_of(set) == "small: image 3 has label 3: allowed is 0 .. 2");
  set.labels[3] = -1;
  CHECK(error_of(set) == "small: image 3 has label -1: allowed is 0 .. 2");
  set = small_set();
  set.count = std::numeric_limits<std::size_t>::max() / 2;
  CHECK(error_of(set).find("overflow") != std::string::npos);
}

TEST_CASE("image_set_subset copies the chosen images and labels in the order given") {
  const ImageSet set = small_set();
  const ImageSet sub = image_set_subset(set, {3, 1, 3});
  CHECK(sub.count == 3);
  CHECK(sub.height == 2);
  CHECK(sub.width == 3);
  CHECK(sub.levels == 5);
  CHECK(sub.classes == 3);
  CHECK(sub.class_names == set.class_names);
  CHECK(sub.labels == std::vector<std::int32_t>{0, 1, 0});
  for (std::size_t j = 0; j < 6; ++j) {
    CHECK(sub.pixels[j] == set.pixels[3 * 6 + j]);
    CHECK(sub.pixels[6 + j] == set.pixels[1 * 6 + j]);
  }
  CHECK_THROWS_AS(image_set_subset(set, {4}), Error);
}

TEST_CASE("image_set_class_counts counts each class") {
  CHECK(image_set_class_counts(small_set()) == std::vector<std::size_t>{2, 1, 1});
}

TEST_CASE("image_set_quantize: nearest level, clamped, with the set's sizes and the given labels") {
  const ImageSet like = small_set();  // 2 x 3 images, 5 levels, 3 classes
  Tensor2 values = Tensor2::from_shape({2, 6});
  // Each value against its nearest level worked out by hand: ties round up, and values beyond
  // the range stick to its ends (a sample clipped in data units may sit a rounding error outside).
  const float v[12] = {-0.7f, 0.49f, 0.5f, 1.51f, 3.999f, 4.6f, 2.0f, 2.5f, -0.0f, 9.0f, 3.49f, 1.0f};
  const int want[12] = {0, 0, 1, 2, 4, 4, 2, 3, 0, 4, 3, 1};
  std::copy(v, v + 12, values.begin());
  const ImageSet q = image_set_quantize(values, {2, 0}, like);
  CHECK(q.count == 2);
  CHECK(q.height == 2);
  CHECK(q.width == 3);
  CHECK(q.levels == 5);
  CHECK(q.classes == 3);
  CHECK(q.class_names == like.class_names);
  CHECK(q.labels == std::vector<std::int32_t>{2, 0});
  for (int i = 0; i < 12; ++i) CHECK(int(q.pixels[i]) == want[i]);
  CHECK_NOTHROW(image_set_validate(q, "quantized"));

  const ImageSet unlabeled = image_set_quantize(values, {}, like);
  CHECK(unlabeled.classes == 3);
  CHECK(unlabeled.labels == std::vector<std::int32_t>{0, 0});

  CHECK_THROWS_WITH(image_set_quantize(values, {3, 0}, like),
                    "image_set_quantize: label 3 of image 0 is not in 0..2");
  CHECK_THROWS_WITH(image_set_quantize(values, {0}, like),
                    "image_set_quantize: 1 labels for 2 images");
  CHECK_THROWS_WITH(image_set_quantize(Tensor2::from_shape({2, 5}), {}, like),
                    "image_set_quantize: rows of 5 values, but the images have C H W = 6");
  values(1, 4) = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_WITH(image_set_quantize(values, {}, like), "image_set_quantize: value 10 is NaN");
}
