// MlpConfig: defaults are the reference workload; every out-of-range field is an Error naming the
// field, the value and the allowed range (the IntRange limits of ranges.hpp, which the CLI and
// the page read); JSON round-trips and rejects unknown, missing and ill-typed fields (it is a
// checkpoint's architecture record).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "nn/mlp.hpp"
#include "nn/mlp_config.hpp"

using namespace diffuse;
using Catch::Contains;
using nlohmann::json;

TEST_CASE("the default config is the reference workload's model") {
  const MlpConfig c;
  CHECK_NOTHROW(mlp_config_validate(c));
  CHECK(mlp_config_to_json(c) == json::parse(R"({"data_dim": 2, "time_embed": 32,
      "time_projection": false, "x_embed": 0, "hidden": 128, "layers": 3, "activation": "silu",
      "residual": false, "classes": 0})"));
  CHECK(mlp_input_width(c) == 34);
  MlpConfig e = c;
  e.x_embed = 16;
  CHECK(mlp_x_width(e) == 32);
  CHECK(mlp_input_width(e) == 64);
}

TEST_CASE("every invalid field throws an Error naming the field, its value and what is allowed") {
  auto with = [](auto change) {
    MlpConfig c;
    change(c);
    return c;
  };
  const struct {
    MlpConfig config;
    const char* field;
    const char* allowed;
  } cases[] = {
      {with([](MlpConfig& c) { c.data_dim = 0; }), "data_dim = 0", "1..65536"},
      {with([](MlpConfig& c) { c.time_embed = 31; }), "time_embed = 31", "even"},
      {with([](MlpConfig& c) { c.time_embed = 2; }), "time_embed = 2", "4..4096"},
      {with([](MlpConfig& c) { c.x_embed = 2; }), "x_embed (or 0 for raw coordinates) = 2",
       "4..1024"},
      {with([](MlpConfig& c) { c.x_embed = 7; }), "= 7", "even"},
      {with([](MlpConfig& c) { c.hidden = 0; }), "hidden = 0", "1..16384"},
      {with([](MlpConfig& c) { c.hidden = 20000; }), "hidden = 20000", "1..16384"},
      {with([](MlpConfig& c) { c.layers = 0; }), "layers = 0", "1..64"},
      {with([](MlpConfig& c) { c.layers = 65; }), "layers = 65", "1..64"},
      {with([](MlpConfig& c) { c.activation = kernels::Activation::identity; }),
       "activation 'identity'", "silu, relu, gelu"},
      {with([](MlpConfig& c) {
         c.data_dim = 784;
         c.x_embed = 128;
       }),
       "input width 100352", "65536"},
      {with([](MlpConfig& c) { c.classes = 1001; }), "classes = 1001", "0..1000"},
  };
  for (const auto& c : cases) {
    INFO(c.field);
    CHECK_THROWS_AS(mlp_config_validate(c.config), Error);
    CHECK_THROWS_WITH(mlp_config_validate(c.config), Contains(c.field) && Contains(c.allowed));
  }
}

TEST_CASE("JSON round-trips every field") {
  MlpConfig c;
  c.data_dim = 64;
  c.time_embed = 16;
  c.time_projection = true;
  c.x_embed = 8;
  c.hidden = 256;
  c.layers = 5;
  c.activation = kernels::Activation::gelu;
  c.residual = true;
  c.classes = 10;
  const json j = mlp_config_to_json(c);
  CHECK(mlp_config_from_json(j) == c);
  CHECK(mlp_config_from_json(json::parse(j.dump())) == c);
  CHECK(mlp_config_from_json(mlp_config_to_json(MlpConfig{})) == MlpConfig{});
  CHECK(j.at("activation") == "gelu");
  CHECK(j.at("classes") == 10);
}

TEST_CASE("JSON with unknown missing or ill-typed fields is an Error that says which") {
  const json good = mlp_config_to_json(MlpConfig{});
  auto changed = [&](const char* key, const json& value) {
    json j = good;
    j[key] = value;
    return j;
  };
  json missing = good;
  missing.erase("hidden");
  const struct {
    json input;
    std::vector<const char*> words;
  } cases[] = {
      {missing, {"missing field 'hidden'"}},
      {changed("hiden", 128), {"unknown field 'hiden'", "hidden"}},
      {changed("hidden", "128"), {"'hidden' must be an integer", "\"128\"", "string"}},
      {changed("hidden", 128.5), {"'hidden' must be an integer", "128.5"}},
      {changed("hidden", -3), {"'hidden'", "non-negative", "-3"}},
      {changed("hidden", 0), {"hidden = 0", "1..16384"}},
      {changed("layers", 1e12), {"'layers' must be an integer"}},
      {changed("layers", 5000000000LL), {"'layers' = 5000000000", "out of range"}},
      {changed("residual", 1), {"'residual' must be true or false", "1"}},
      {changed("time_projection", "yes"), {"'time_projection' must be true or false"}},
      {changed("activation", "tanh"), {"activation 'tanh'", "silu, relu, gelu"}},
      {changed("activation", 3), {"'activation' must be a string"}},
      {changed("prediction", "eps"), {"unknown field 'prediction'"}},
      {changed("classes", 1001), {"classes = 1001", "0..1000"}},
      {changed("time_embed", 33), {"time_embed = 33", "even"}},
      {json::array({1, 2}), {"expected a JSON object", "array"}},
  };
  for (const auto& c : cases) {
    INFO(c.input.dump());
    CHECK_THROWS_AS(mlp_config_from_json(c.input), Error);
    for (const char* word : c.words)
      CHECK_THROWS_WITH(mlp_config_from_json(c.input), Contains(word));
  }
}

TEST_CASE("the limits are IntRanges: the CLI's and the page's bounds, the page's never wider") {
  for (const IntRange& r : {mlp_data_dim_range, mlp_time_embed_range, mlp_x_embed_range, mlp_hidden_range,
                            mlp_layers_range, model_classes_range}) {
    CHECK(r.min <= r.page_max);
    CHECK(r.page_max <= r.max);
    CHECK(r.contains(r.min));
    CHECK(r.contains(r.max));
    CHECK_FALSE(r.contains(r.max + 1));
    CHECK_FALSE(r.contains(r.min - 1));
  }
  MlpConfig c;
  c.hidden = static_cast<std::size_t>(mlp_hidden_range.max);
  CHECK_NOTHROW(mlp_config_validate(c));
  c.hidden += 1;
  CHECK_THROWS_AS(mlp_config_validate(c), Error);
}

TEST_CASE("out_dim: absent means D (older files), 2 D is a learned variance's output, others refused") {
  MlpConfig c;
  c.data_dim = 3;
  json j = mlp_config_to_json(c);
  CHECK_FALSE(j.contains("out_dim"));  // files stay as every earlier version wrote them
  CHECK(mlp_out_dim(mlp_config_from_json(j)) == 3);
  c.out_dim = 6;
  j = mlp_config_to_json(c);
  CHECK(j.at("out_dim") == 6);
  CHECK(mlp_config_from_json(j) == c);
  CHECK(mlp_param_layout(c).slices().back().name == "output.bias");
  CHECK(mlp_param_layout(c).slices().back().shape == std::vector<std::size_t>{6});
  j["out_dim"] = 5;
  CHECK_THROWS_WITH(mlp_config_from_json(j), Catch::Contains("out_dim = 5") && Catch::Contains("2 data_dim = 6"));
}
