// The tagged model configuration and its factory (nn/model_config.hpp, with each kind's
// NetworkKind: nn/network_kind.hpp, nn/mlp_kind.hpp): JSON carries "kind" and the kind's own
// fields, unknown kinds are refused with the list of kinds, and the factory makes the kind's
// network with the configuration's shape, classes and layout.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "nn/mlp.hpp"
#include "nn/model_config.hpp"

using namespace diffuse;
using Catch::Contains;
using nlohmann::json;

TEST_CASE("a model config records its kind and round-trips through JSON") {
  MlpConfig mlp;
  mlp.data_dim = 3;
  mlp.classes = 4;
  const ModelConfig config = mlp;
  CHECK(model_kind(config) == "mlp");
  CHECK(model_kinds() == std::vector<std::string>{"mlp", "unet"});
  const json j = model_config_to_json(config);
  CHECK(j.at("kind") == "mlp");
  CHECK(j.at("classes") == 4);
  CHECK(model_config_from_json(j) == config);
  CHECK(model_sample_shape(config) == SampleShape{3});
  CHECK(model_sample_size(config) == 3);
  CHECK(model_classes(config) == 4);
  CHECK(model_param_layout(config).count() == mlp_param_layout(mlp).count());
  CHECK_THAT(model_describe(config), Contains("MLP") && Contains("4 classes"));
}

TEST_CASE("the factory makes the kind's network") {
  MlpConfig mlp;
  mlp.hidden = 8;
  std::unique_ptr<Network> network = network_make(mlp);
  REQUIRE(dynamic_cast<Mlp*>(network.get()) != nullptr);
  CHECK(network->sample_shape() == SampleShape{2});
  CHECK(network->layout().count() == mlp_param_layout(mlp).count());
  CHECK(std::all_of(network->params().begin(), network->params().end(), [](float v) { return v == 0.0f; }));
}

TEST_CASE("unknown kinds, a missing kind and bad fields are refused") {
  json j = model_config_to_json(MlpConfig{});
  j["kind"] = "transformer";
  CHECK_THROWS_WITH(model_config_from_json(j), Contains("kind 'transformer' is unknown: allowed are mlp"));
  j.erase("kind");
  CHECK_THROWS_WITH(model_config_from_json(j), Contains("missing field 'kind'"));
  j["kind"] = 3;
  CHECK_THROWS_WITH(model_config_from_json(j), Contains("'kind' must be a string"));
  j = model_config_to_json(MlpConfig{});
  j["hidden"] = 0;
  CHECK_THROWS_WITH(model_config_from_json(j), Contains("hidden = 0"));
  CHECK_THROWS_WITH(model_config_from_json(json::array()), Contains("JSON object"));
}
