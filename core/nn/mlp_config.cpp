#include "nn/mlp_config.hpp"

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "base/error.hpp"

namespace diffuse {
namespace {

const char* const field_names[] = {"data_dim",   "hidden",     "layers",
                                   "time_embed", "x_embed",    "time_projection",
                                   "residual",   "activation", "prediction"};

std::string known_fields() {
  std::string out;
  for (const char* name : field_names) out += (out.empty() ? "" : ", ") + std::string(name);
  return out;
}

void check_range(const char* field, std::size_t value, std::size_t lo, std::size_t hi) {
  if (value < lo || value > hi) {
    fail("model config: ", field, " = ", value, " is out of range: allowed is ", lo, "..", hi);
  }
}

void check_sinusoidal_width(const char* field, std::size_t value, std::size_t hi) {
  if (value % 2 != 0 || value < 4 || value > hi) {
    fail("model config: ", field, " = ", value, " is not allowed: a sinusoidal width must be even",
         " and in 4..", hi);
  }
}

const nlohmann::json& require(const nlohmann::json& json, const char* field, const char* what) {
  const auto it = json.find(field);
  if (it == json.end()) fail("model config: missing field '", field, "' (", what, ")");
  return *it;
}

std::size_t read_size(const nlohmann::json& json, const char* field) {
  const auto& v = require(json, field, "a non-negative integer");
  if (!v.is_number_integer()) {
    fail("model config: field '", field, "' must be an integer, got ", v.dump(), " (",
         v.type_name(), ")");
  }
  // Every allowed value is far below 2^31, so larger ones are rejected before any narrowing (size_t
  // is 32 bits in WebAssembly).
  if (v.is_number_unsigned()) {
    const auto value = v.get<std::uint64_t>();
    if (value > std::numeric_limits<std::int32_t>::max()) {
      fail("model config: field '", field, "' = ", value, " is far out of range");
    }
    return static_cast<std::size_t>(value);
  }
  const auto value = v.get<std::int64_t>();
  if (value < 0)
    fail("model config: field '", field, "' must be a non-negative integer, got ", value);
  if (value > std::numeric_limits<std::int32_t>::max()) {
    fail("model config: field '", field, "' = ", value, " is far out of range");
  }
  return static_cast<std::size_t>(value);
}

bool read_bool(const nlohmann::json& json, const char* field) {
  const auto& v = require(json, field, "true or false");
  if (!v.is_boolean()) {
    fail("model config: field '", field, "' must be true or false, got ", v.dump(), " (",
         v.type_name(), ")");
  }
  return v.get<bool>();
}

std::string read_string(const nlohmann::json& json, const char* field, const char* allowed) {
  const auto& v = require(json, field, allowed);
  if (!v.is_string()) {
    fail("model config: field '", field, "' must be a string (", allowed, "), got ", v.dump(), " (",
         v.type_name(), ")");
  }
  return v.get<std::string>();
}

kernels::Activation activation_from_config_name(const std::string& name) {
  if (name == "silu") return kernels::Activation::silu;
  if (name == "relu") return kernels::Activation::relu;
  if (name == "gelu") return kernels::Activation::gelu;
  fail("model config: activation '", name, "' is unknown: allowed are silu, relu, gelu");
}

}  // namespace

bool MlpConfig::operator==(const MlpConfig& o) const {
  return data_dim == o.data_dim && time_embed == o.time_embed &&
         time_projection == o.time_projection && x_embed == o.x_embed && hidden == o.hidden &&
         layers == o.layers && activation == o.activation && residual == o.residual &&
         prediction == o.prediction;
}

void mlp_config_validate(const MlpConfig& c) {
  check_range("data_dim", c.data_dim, 1, mlp_max_data_dim);
  check_sinusoidal_width("time_embed", c.time_embed, mlp_max_time_embed);
  if (c.x_embed != 0)
    check_sinusoidal_width("x_embed (or 0 for raw coordinates)", c.x_embed, mlp_max_x_embed);
  check_range("hidden", c.hidden, 1, mlp_max_hidden);
  check_range("layers", c.layers, 1, mlp_max_layers);
  if (mlp_input_width(c) > mlp_max_input_width) {
    fail("model config: input width ", mlp_x_width(c), " + ", c.time_embed, " = ",
         mlp_input_width(c), " (data_dim", c.x_embed ? " * x_embed" : "", " + time_embed) exceeds ",
         mlp_max_input_width);
  }
  if (c.activation != kernels::Activation::silu && c.activation != kernels::Activation::relu &&
      c.activation != kernels::Activation::gelu) {
    fail("model config: activation '", kernels::activation_name(c.activation),
         "' is not allowed: allowed are silu, relu, gelu");
  }
}

std::size_t mlp_x_width(const MlpConfig& c) {
  return c.x_embed == 0 ? c.data_dim : c.data_dim * c.x_embed;
}

std::size_t mlp_input_width(const MlpConfig& c) {
  return mlp_x_width(c) + c.time_embed;
}

nlohmann::json mlp_config_to_json(const MlpConfig& c) {
  return nlohmann::json{{"data_dim", c.data_dim},
                        {"time_embed", c.time_embed},
                        {"time_projection", c.time_projection},
                        {"x_embed", c.x_embed},
                        {"hidden", c.hidden},
                        {"layers", c.layers},
                        {"activation", kernels::activation_name(c.activation)},
                        {"residual", c.residual},
                        {"prediction", prediction_name(c.prediction)}};
}

MlpConfig mlp_config_from_json(const nlohmann::json& json) {
  if (!json.is_object()) {
    fail("model config: expected a JSON object with fields ", known_fields(), ", got ",
         json.type_name());
  }
  for (const auto& item : json.items()) {
    bool known = false;
    for (const char* name : field_names) known = known || item.key() == name;
    if (!known) fail("model config: unknown field '", item.key(), "': known are ", known_fields());
  }
  MlpConfig c;
  c.data_dim = read_size(json, "data_dim");
  c.time_embed = read_size(json, "time_embed");
  c.time_projection = read_bool(json, "time_projection");
  c.x_embed = read_size(json, "x_embed");
  c.hidden = read_size(json, "hidden");
  c.layers = read_size(json, "layers");
  c.activation = activation_from_config_name(read_string(json, "activation", "silu, relu, gelu"));
  c.residual = read_bool(json, "residual");
  const std::string prediction = read_string(json, "prediction", "eps, x0, v");
  if (prediction != "eps" && prediction != "x0" && prediction != "v") {
    fail("model config: prediction '", prediction, "' is unknown: allowed are eps, x0, v");
  }
  c.prediction = prediction_from_name(prediction);
  mlp_config_validate(c);
  return c;
}

}  // namespace diffuse
