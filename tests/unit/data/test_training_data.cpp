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
