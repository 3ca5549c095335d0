// The data sets' classifier recipes: shapes, levels and classes are the data sets' own; names.
#include <catch2/catch.hpp>

#include <string>

#include "data/digits.hpp"
#include "data/fashion_mnist.hpp"
#include "nn/classifier_recipe.hpp"

using namespace diffuse;

TEST_CASE("classifier_recipe: each data set's images, a valid configuration") {
  const ClassifierRecipe digits = classifier_recipe(ImageDataset::digits);
  CHECK(digits.model.shape == SampleShape{1, digits_side, digits_side});
  CHECK(digits.model.levels == digits_levels);
  CHECK(digits.model.classes == digits_classes);
  const ClassifierRecipe fashion = classifier_recipe(ImageDataset::fashion);
  CHECK(fashion.model.shape == SampleShape{1, fashion_mnist_side, fashion_mnist_side});
  CHECK(fashion.model.levels == fashion_mnist_levels);
  CHECK(fashion.model.classes == fashion_mnist_classes);
  for (const ClassifierRecipe& r : {digits, fashion}) {
    CHECK_NOTHROW(classifier_config_validate(r.model));
    CHECK_NOTHROW(classifier_train_config_validate(r.train));
    CHECK(r.train.seed == 0);
  }
}

TEST_CASE("classifier_code_version names the classifier code") {
  CHECK(std::string(classifier_code_version).size() > 0);
}
