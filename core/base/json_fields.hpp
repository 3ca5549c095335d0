#pragma once
// Strict reading of a configuration object in JSON (a checkpoint's record of its architecture and
// settings): every field is required, unknown fields and wrong types are errors, and each message
// names the object, the field and the value. Nothing is guessed.
#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace diffuse {

class JsonFields {
 public:
  // what names the object in messages ("model config"); known lists every allowed field.
  JsonFields(const nlohmann::json& json, std::string what, std::vector<std::string> known);

  std::size_t size(const char* field) const;  // a non-negative integer below 2^31
  bool flag(const char* field) const;
  std::string text(const char* field, const char* allowed) const;
  double number(const char* field) const;
  std::vector<std::size_t> sizes(const char* field) const;  // an array of size()s
  bool has(const char* field) const;

 private:
  const nlohmann::json& require(const char* field, const char* expected) const;
  std::size_t checked_size(const nlohmann::json& v, const std::string& name) const;

  const nlohmann::json& json_;
  std::string what_;
};

}  // namespace diffuse
