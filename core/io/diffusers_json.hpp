#pragma once
// JSON as diffusers writes and reads it (configuration_utils.py: to_json_string and
// load_config): every file is json.dumps(config, indent=2, sort_keys=True) + "\n".
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace diffuse {

// The text diffusers writes for `json`: keys sorted (byte order, as Python sorts ASCII keys),
// two-space indent with Python's indent-mode separators ("," at line ends, ": "), non-ASCII
// escaped as \uXXXX (Python's ensure_ascii), a final newline. Integers are written as integers
// and floats in the shortest form that reads back, as Python's repr does (0.0, 1e-05, 0.0001,
// 0.02) for every magnitude below 1e15; Python writes 1e15..1e16 without an exponent, nlohmann
// with one, and no value we write comes near.
std::string diffusers_json_text(const nlohmann::json& json);

// The object in `text`, or Error "SOURCE: not valid JSON (...)" / "SOURCE: not a JSON object".
nlohmann::json diffusers_json_parse(std::string_view text, std::string_view source);

// A value for an error message: its compact JSON, cut to about 60 characters.
std::string diffusers_json_shown(const nlohmann::json& value);

// The object's keys, sorted, comma-separated (for "allowed are ..." messages).
std::string diffusers_json_keys(const nlohmann::json& object);

}  // namespace diffuse
