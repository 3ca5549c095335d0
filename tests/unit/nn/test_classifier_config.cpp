// The classifier's configuration: every limit with its message, the JSON round trip and strict
// reading, and the description.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "nn/classifier.hpp"
#include "nn/classifier_config.hpp"

using namespace diffuse;

TEST_CASE("classifier_config_validate: each limit, named") {
  ClassifierConfig c;
  CHECK_NOTHROW(classifier_config_validate(c));
  c.shape = {};
  CHECK_THROWS_WITH(classifier_config_validate(c), Catch::Contains("shape has 0 dimensions"));
  c.shape = {1, 1, 1, 1};
  CHECK_THROWS_WITH(classifier_config_validate(c), Catch::Contains("shape has 4 dimensions"));
  c.shape = {1, 0, 8};
  CHECK_THROWS_WITH(classifier_config_validate(c), Catch::Contains("shape holds 0"));
  c.shape = {1, 257, 256};
  CHECK_THROWS_WITH(
      classifier_config_validate(c),
      Catch::Contains("input size (C H W) = 65792 is out of range: allowed is 1..65536"));
  c = ClassifierConfig{};
  c.levels = 1;
  CHECK_THROWS_WITH(classifier_config_validate(c),
                    "classifier config: levels = 1 is out of range: allowed is 2..256");
  c.levels = 257;
  CHECK_THROWS_AS(classifier_config_validate(c), Error);
  c = ClassifierConfig{};
  c.classes = 1;
  CHECK_THROWS_WITH(classifier_config_validate(c),
                    Catch::Contains("classes = 1 is out of range: allowed is 2..1000"));
  c = ClassifierConfig{};
  c.hidden = 0;
  CHECK_THROWS_WITH(classifier_config_validate(c), Catch::Contains("hidden = 0"));
  c = ClassifierConfig{};
  c.layers = 17;
  CHECK_THROWS_WITH(classifier_config_validate(c),
                    Catch::Contains("layers = 17 is out of range: allowed is 1..16"));
  c = ClassifierConfig{};
  c.activation = kernels::Activation::identity;
  CHECK_THROWS_WITH(classifier_config_validate(c),
                    Catch::Contains("'identity' is not allowed: allowed are relu, silu, gelu"));
  CHECK_THROWS_AS(Classifier(c), Error);
}

TEST_CASE("classifier_config JSON: round trip and strict reading") {
  ClassifierConfig c;
  c.shape = {1, 28, 28};
  c.levels = 256;
  c.hidden = 300;
  c.layers = 3;
  c.activation = kernels::Activation::silu;
  const nlohmann::json j = classifier_config_to_json(c);
  CHECK(
      j.dump() ==
      R"({"activation":"silu","classes":10,"hidden":300,"kind":"mlp","layers":3,"levels":256,"shape":[1,28,28]})");
  CHECK(classifier_config_from_json(j) == c);
  nlohmann::json bad = j;
  bad["kind"] = "cnn";
  CHECK_THROWS_WITH(classifier_config_from_json(bad),
                    "classifier config: kind 'cnn' is unknown: allowed is mlp");
  bad = j;
  bad["activation"] = "tanh";
  CHECK_THROWS_WITH(classifier_config_from_json(bad), Catch::Contains("unknown activation 'tanh'"));
  bad = j;
  bad.erase("levels");
  CHECK_THROWS_WITH(classifier_config_from_json(bad), Catch::Contains("missing field 'levels'"));
  bad = j;
  bad["dropout"] = 0.5;
  CHECK_THROWS_WITH(classifier_config_from_json(bad), Catch::Contains("unknown field 'dropout'"));
  bad = j;
  bad["hidden"] = -3;
  CHECK_THROWS_WITH(classifier_config_from_json(bad), Catch::Contains("non-negative integer"));
  bad = j;
  bad["layers"] = 0;
  CHECK_THROWS_WITH(classifier_config_from_json(bad), Catch::Contains("layers = 0"));
  CHECK_THROWS_AS(classifier_config_from_json(nlohmann::json::array()), Error);
}

TEST_CASE("classifier_config_describe") {
  ClassifierConfig c;
  CHECK(classifier_config_describe(c, classifier_param_layout(c).count()) ==
        "MLP classifier, 85,002 parameters: 1 x 8 x 8 images of 17 levels, 2 hidden layers of 256 "
        "(relu), 10 classes");
}
