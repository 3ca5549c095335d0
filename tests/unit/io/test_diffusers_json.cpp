// diffusers_json: the text of json.dumps(indent=2, sort_keys=True) + "\n", checked against strings
// Python wrote (python3 -c 'import json; print(json.dumps(..., indent=2, sort_keys=True))').
#include <catch2/catch.hpp>

#include "base/error.hpp"
#include "io/diffusers_json.hpp"

using namespace diffuse;
using Catch::Matchers::Contains;

TEST_CASE("diffusers_json_text: sorted keys, two-space indent, Python's number forms, newline") {
  const nlohmann::json json = {{"zeta", nullptr},      {"_class_name", "X"}, {"beta", {1, 2}},
                               {"eps", 1e-5},          {"start", 0.0001},    {"end", 0.02},
                               {"dropout", 0.0},       {"range", 1.0},       {"flag", true},
                               {"empty", nlohmann::json::array()}, {"Upper", "\xc3\xa9"}};
  // Python: json.dumps({"zeta": None, "_class_name": "X", "beta": [1, 2], "eps": 1e-5,
  //   "start": 0.0001, "end": 0.02, "dropout": 0.0, "range": 1.0, "flag": True, "empty": [],
  //   "Upper": "\u00e9"}, indent=2, sort_keys=True) + "\n"
  const std::string python =
      "{\n"
      "  \"Upper\": \"\\u00e9\",\n"
      "  \"_class_name\": \"X\",\n"
      "  \"beta\": [\n"
      "    1,\n"
      "    2\n"
      "  ],\n"
      "  \"dropout\": 0.0,\n"
      "  \"empty\": [],\n"
      "  \"end\": 0.02,\n"
      "  \"eps\": 1e-05,\n"
      "  \"flag\": true,\n"
      "  \"range\": 1.0,\n"
      "  \"start\": 0.0001,\n"
      "  \"zeta\": null\n"
      "}\n";
  CHECK(diffusers_json_text(json) == python);
}

TEST_CASE("diffusers_json_text: float forms Python's repr shares up to 1e15") {
  // repr(x) in Python 3 for each value.
  const std::pair<double, const char*> cases[] = {
      {0.00085, "0.00085"}, {0.012, "0.012"}, {1.5e-07, "1.5e-07"}, {0.995, "0.995"},
      {123456.5, "123456.5"}, {1e14, "100000000000000.0"}, {0.1 + 0.2, "0.30000000000000004"}};
  for (const auto& [value, text] : cases) {
    CHECK(nlohmann::json(value).dump() == text);
  }
}

TEST_CASE("diffusers_json_parse: objects only, errors name the source") {
  CHECK(diffusers_json_parse("{\"a\": 1}", "f.json")["a"] == 1);
  CHECK_THROWS_WITH(diffusers_json_parse("{\"a\": ", "f.json"), Contains("f.json: not valid JSON"));
  CHECK_THROWS_WITH(diffusers_json_parse("[1, 2]", "f.json"), Contains("f.json: not a JSON object but [1,2]"));
}

TEST_CASE("diffusers_json_shown cuts long values; diffusers_json_keys lists sorted keys") {
  const nlohmann::json long_list(std::vector<int>(100, 7));
  const std::string shown = diffusers_json_shown(long_list);
  CHECK(shown.size() == 63);
  CHECK(shown.substr(60) == "...");
  CHECK(diffusers_json_keys({{"b", 1}, {"a", 2}}) == "a, b");
}
