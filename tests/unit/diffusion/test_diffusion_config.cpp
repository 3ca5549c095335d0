// DiffusionConfig (diffusion/diffusion_config.hpp): the prediction type round-trips through JSON;
// only diffuse's own names are read from a checkpoint, and unknown fields are errors.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "diffusion/diffusion_config.hpp"

using namespace diffuse;
using Catch::Contains;
using nlohmann::json;

TEST_CASE("the diffusion config round-trips through JSON") {
  for (Prediction p : {Prediction::eps, Prediction::x0, Prediction::v}) {
    DiffusionConfig c;
    c.prediction = p;
    CHECK(diffusion_config_from_json(diffusion_config_to_json(c)) == c);
  }
  CHECK(diffusion_config_to_json(DiffusionConfig{}) == json::parse(R"({"prediction": "eps"})"));
}

TEST_CASE("a bad diffusion config names the problem") {
  CHECK_THROWS_WITH(diffusion_config_from_json(json::parse(R"({"prediction": "epsilon"})")),
                    Contains("prediction 'epsilon'") && Contains("eps, x0, v"));
  CHECK_THROWS_WITH(diffusion_config_from_json(json::parse(R"({})")), Contains("missing field 'prediction'"));
  CHECK_THROWS_WITH(diffusion_config_from_json(json::parse(R"({"prediction": "eps", "objective": "x"})")),
                    Contains("unknown field 'objective'"));
}
