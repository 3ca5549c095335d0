#include "base/json_fields.hpp"

#include <cstdint>
#include <limits>

#include "base/error.hpp"

namespace diffuse {

JsonFields::JsonFields(const nlohmann::json& json, std::string what, std::vector<std::string> known)
    : json_(json), what_(std::move(what)) {
  std::string list;
  for (const auto& name : known) list += (list.empty() ? "" : ", ") + name;
  if (!json.is_object()) {
    fail(what_, ": expected a JSON object with fields ", list, ", got ", json.type_name());
  }
  for (const auto& item : json.items()) {
    bool found = false;
    for (const auto& name : known) found = found || item.key() == name;
    if (!found) fail(what_, ": unknown field '", item.key(), "': known are ", list);
  }
}

bool JsonFields::has(const char* field) const {
  return json_.contains(field);
}

const nlohmann::json& JsonFields::require(const char* field, const char* expected) const {
  const auto it = json_.find(field);
  if (it == json_.end()) fail(what_, ": missing field '", field, "' (", expected, ")");
  return *it;
}

std::size_t JsonFields::checked_size(const nlohmann::json& v, const std::string& name) const {
  if (!v.is_number_integer()) {
    fail(what_, ": field '", name, "' must be an integer, got ", v.dump(), " (", v.type_name(), ")");
  }
  // Every allowed value is far below 2^31, so larger ones are rejected before any narrowing (size_t
  // is 32 bits in WebAssembly).
  if (v.is_number_unsigned()) {
    const auto value = v.get<std::uint64_t>();
    if (value > std::numeric_limits<std::int32_t>::max()) {
      fail(what_, ": field '", name, "' = ", value, " is far out of range");
    }
    return static_cast<std::size_t>(value);
  }
  const auto value = v.get<std::int64_t>();
  if (value < 0) fail(what_, ": field '", name, "' must be a non-negative integer, got ", value);
  if (value > std::numeric_limits<std::int32_t>::max()) {
    fail(what_, ": field '", name, "' = ", value, " is far out of range");
  }
  return static_cast<std::size_t>(value);
}

std::size_t JsonFields::size(const char* field) const {
  return checked_size(require(field, "a non-negative integer"), field);
}

std::vector<std::size_t> JsonFields::sizes(const char* field) const {
  const auto& v = require(field, "an array of non-negative integers");
  if (!v.is_array()) {
    fail(what_, ": field '", field, "' must be an array of integers, got ", v.dump(), " (",
         v.type_name(), ")");
  }
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    out.push_back(checked_size(v[i], std::string(field) + "[" + std::to_string(i) + "]"));
  }
  return out;
}

bool JsonFields::flag(const char* field) const {
  const auto& v = require(field, "true or false");
  if (!v.is_boolean()) {
    fail(what_, ": field '", field, "' must be true or false, got ", v.dump(), " (",
         v.type_name(), ")");
  }
  return v.get<bool>();
}

std::string JsonFields::text(const char* field, const char* allowed) const {
  const auto& v = require(field, allowed);
  if (!v.is_string()) {
    fail(what_, ": field '", field, "' must be a string (", allowed, "), got ", v.dump(), " (",
         v.type_name(), ")");
  }
  return v.get<std::string>();
}

double JsonFields::number(const char* field) const {
  const auto& v = require(field, "a number");
  if (!v.is_number()) {
    fail(what_, ": field '", field, "' must be a number, got ", v.dump(), " (", v.type_name(), ")");
  }
  return v.get<double>();
}

}  // namespace diffuse
