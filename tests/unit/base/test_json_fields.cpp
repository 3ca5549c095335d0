// JsonFields (base/json_fields.hpp): strict reading of a configuration object. Every field is
// required; unknown fields, wrong types, negatives and values past 2^31 are Errors naming the object,
// the field and the value.
#include <catch2/catch.hpp>

#include "base/error.hpp"
#include "base/json_fields.hpp"

using namespace diffuse;
using Catch::Contains;
using nlohmann::json;

TEST_CASE("fields of every type are read") {
  const json j = json::parse(R"({"n": 3, "on": true, "name": "silu", "x": 0.25, "shape": [1, 8, 8]})");
  const JsonFields f(j, "test config", {"n", "on", "name", "x", "shape", "optional"});
  CHECK(f.size("n") == 3);
  CHECK(f.flag("on"));
  CHECK(f.text("name", "a name") == "silu");
  CHECK(f.number("x") == 0.25);
  CHECK(f.sizes("shape") == std::vector<std::size_t>{1, 8, 8});
  CHECK(f.has("n"));
  CHECK_FALSE(f.has("optional"));
}

TEST_CASE("every problem is an Error naming the object, the field and the value") {
  const auto error = [](const char* text, const std::function<void(const JsonFields&)>& read) {
    try {
      const json j = json::parse(text);
      read(JsonFields(j, "test config", {"n", "on", "name", "shape"}));
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(error("[1]", [](const JsonFields&) {}), Contains("test config: expected a JSON object") && Contains("array"));
  CHECK_THAT(error(R"({"m": 1})", [](const JsonFields&) {}), Contains("unknown field 'm'") && Contains("n, on, name, shape"));
  CHECK_THAT(error("{}", [](const JsonFields& f) { f.size("n"); }), Contains("missing field 'n'"));
  CHECK_THAT(error(R"({"n": "3"})", [](const JsonFields& f) { f.size("n"); }), Contains("'n' must be an integer") && Contains("\"3\""));
  CHECK_THAT(error(R"({"n": 2.5})", [](const JsonFields& f) { f.size("n"); }), Contains("must be an integer"));
  CHECK_THAT(error(R"({"n": -1})", [](const JsonFields& f) { f.size("n"); }), Contains("non-negative") && Contains("-1"));
  CHECK_THAT(error(R"({"n": 5000000000})", [](const JsonFields& f) { f.size("n"); }), Contains("far out of range"));
  CHECK_THAT(error(R"({"on": 1})", [](const JsonFields& f) { f.flag("on"); }), Contains("'on' must be true or false"));
  CHECK_THAT(error(R"({"name": 3})", [](const JsonFields& f) { f.text("name", "silu or relu"); }),
             Contains("'name' must be a string (silu or relu)"));
  CHECK_THAT(error(R"({"shape": 8})", [](const JsonFields& f) { f.sizes("shape"); }), Contains("array of integers"));
  CHECK_THAT(error(R"({"shape": [1, -8]})", [](const JsonFields& f) { f.sizes("shape"); }), Contains("shape[1]"));
}
