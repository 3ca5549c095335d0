// TrainingData (data/training_data.hpp): points become standardized samples of shape {D}, labels
// travel with them, and every inconsistency (shape, count, label range) is an Error.
#include <catch2/catch.hpp>

#include "base/error.hpp"
#include "data/training_data.hpp"

using namespace diffuse;
using Catch::Contains;

TEST_CASE("points become standardized samples of shape {D}, with or without labels") {
  const Tensor2 raw{{0.0f, 10.0f}, {2.0f, 14.0f}, {4.0f, 12.0f}};
  const TrainingData plain = training_data_from_points(raw, "three.csv");
  CHECK(plain.shape == SampleShape{2});
  CHECK(plain.size() == 3);
  CHECK_FALSE(plain.labeled());
  CHECK(plain.classes == 0);
  CHECK(plain.samples(1, 0) == Approx(0.0).margin(1e-7));  // the mean of column 0 is 2
  CHECK(plain.source == "three.csv");
  const TrainingData labeled = training_data_from_points(raw, Labels{2, 0, 1}, 3, "three.csv");
  CHECK(labeled.labeled());
  CHECK(labeled.classes == 3);
  CHECK(labeled.labels(0) == 2);
  CHECK(labeled.samples == plain.samples);
}

TEST_CASE("inconsistent training data is refused with the reason") {
  const Tensor2 raw{{0.0f, 1.0f}, {1.0f, 0.0f}};
  CHECK_THROWS_WITH(training_data_from_points(raw, Labels{0}, 2, "x"), Contains("2 samples but 1 labels"));
  CHECK_THROWS_WITH(training_data_from_points(raw, Labels{0, 2}, 2, "x"), Contains("label 2 of sample 1") && Contains("0..1"));
  CHECK_THROWS_WITH(training_data_from_points(raw, Labels{0, -1}, 2, "x"), Contains("label -1"));
  TrainingData data = training_data_from_points(raw, "x");
  data.shape = {3};
  CHECK_THROWS_WITH(training_data_validate(data), Contains("2 values per sample") && Contains("holds 3"));
  data.shape = {2};
  data.classes = 4;
  CHECK_THROWS_WITH(training_data_validate(data), Contains("4 classes but no labels"));
}

TEST_CASE("a named image set trains labelled when conditional, unlabelled otherwise, and reloadable") {
  ImageSet images;
  images.count = 3;
  images.height = images.width = 2;
  images.levels = 5;
  images.classes = 2;
  images.class_names = {"a", "b"};
  images.pixels = {0, 1, 2, 3, 4, 4, 4, 4, 0, 0, 0, 0};
  images.labels = {1, 0, 1};
  const TrainingData labelled = training_data_from_named_images(images, "tiny", true);
  CHECK(labelled.reloadable);
  CHECK(labelled.classes == 2);
  CHECK(labelled.labels(2) == 1);
  CHECK(labelled.class_names == std::vector<std::string>{"a", "b"});
  CHECK(labelled.samples(0, 1) == -0.5f);  // level 1 of 0..4 on [-1, 1]
  const TrainingData plain = training_data_from_named_images(images, "tiny", false);
  CHECK(plain.reloadable);
  CHECK(plain.classes == 0);
  CHECK(plain.labels.size() == 0);
  CHECK(plain.class_names.empty());
  CHECK(training_data_fingerprint(plain) != training_data_fingerprint(labelled));
  CHECK_NOTHROW(training_data_validate(plain));
}
