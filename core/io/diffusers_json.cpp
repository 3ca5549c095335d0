#include "io/diffusers_json.hpp"

#include "base/error.hpp"

namespace diffuse {

std::string diffusers_json_text(const nlohmann::json& json) {
  // nlohmann::json keeps objects in a std::map: keys come out sorted at every level.
  return json.dump(2, ' ', /*ensure_ascii=*/true) + "\n";
}

nlohmann::json diffusers_json_parse(std::string_view text, std::string_view source) {
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::exception& e) {
    fail(source, ": not valid JSON (", printable_text(e.what(), 200), ")");
  }
  if (!json.is_object()) fail(source, ": not a JSON object but ", diffusers_json_shown(json));
  return json;
}

std::string diffusers_json_shown(const nlohmann::json& value) {
  constexpr std::size_t max_length = 60;
  std::string text = value.dump(-1, ' ', true);
  if (text.size() > max_length) text = text.substr(0, max_length) + "...";
  return text;
}

std::string diffusers_json_keys(const nlohmann::json& object) {
  std::string out;
  for (const auto& item : object.items()) out += (out.empty() ? "" : ", ") + item.key();
  return out;
}

}  // namespace diffuse
