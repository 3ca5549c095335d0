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
                    Contains("objective 'x' is unknown") && Contains("diffusion, flow"));
  CHECK_THROWS_WITH(diffusion_config_from_json(json::parse(R"({"prediction": "eps", "shape": 1})")),
                    Contains("unknown field 'shape'"));
}

TEST_CASE("a flow config round-trips as {objective: flow, shift}; diffusion configs are unchanged") {
  DiffusionConfig flow;
  flow.objective = Objective::flow;
  flow.flow_shift = 3.0;
  const nlohmann::json j = diffusion_config_to_json(flow);
  CHECK(j == nlohmann::json{{"objective", "flow"}, {"shift", 3.0}});
  CHECK(diffusion_config_from_json(j) == flow);
  // Diffusion configs are written as every earlier version wrote them, and "objective" may be named.
  CHECK(diffusion_config_to_json(DiffusionConfig{}) == nlohmann::json{{"prediction", "eps"}});
  CHECK(diffusion_config_from_json({{"objective", "diffusion"}, {"prediction", "v"}}).prediction == Prediction::v);
  CHECK_THROWS_WITH(diffusion_config_from_json({{"objective", "flow"}, {"shift", 0.0}}), Catch::Contains("shift = 0"));
  CHECK_THROWS_WITH(diffusion_config_from_json({{"objective", "flow"}}), Catch::Contains("shift"));
  CHECK_THROWS_WITH(diffusion_config_from_json({{"objective", "flow"}, {"shift", 1.0}, {"prediction", "eps"}}),
                    Catch::Contains("prediction"));
  CHECK_THROWS_WITH(diffusion_config_from_json({{"objective", "score"}, {"prediction", "eps"}}),
                    Catch::Contains("objective 'score'"));
}

TEST_CASE("a learned variance is recorded as variance learned_range; its absence reads as fixed") {
  DiffusionConfig learned;
  learned.learned_variance = true;
  const json j = diffusion_config_to_json(learned);
  CHECK(j == json::parse(R"({"prediction": "eps", "variance": "learned_range"})"));
  CHECK(diffusion_config_from_json(j) == learned);
  CHECK_FALSE(diffusion_config_from_json(json::parse(R"({"prediction": "v"})")).learned_variance);
  CHECK_THROWS_WITH(diffusion_config_from_json(json::parse(R"({"prediction": "eps", "variance": "learned"})")),
                    Contains("variance 'learned' is unknown") && Contains("learned_range"));
  DiffusionConfig flow = learned;
  flow.objective = Objective::flow;
  CHECK_THROWS_WITH(diffusion_config_validate(flow), Contains("flow objective has no reverse variance"));
}
