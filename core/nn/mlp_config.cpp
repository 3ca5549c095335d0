#include "nn/mlp_config.hpp"

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "base/error.hpp"
#include "base/json_fields.hpp"

namespace diffuse {
namespace {

void check_range(const char* field, std::size_t value, const IntRange& range) {
  require_in_range("model config", field, value, range);
}

void check_sinusoidal_width(const char* field, std::size_t value, std::int64_t hi) {
  if (value % 2 != 0 || value < 4 || static_cast<std::int64_t>(value) > hi) {
    fail("model config: ", field, " = ", value, " is not allowed: a sinusoidal width must be even",
         " and in 4..", hi);
  }
}

// 37762 -> "37,762"
std::string grouped(std::size_t value) {
  std::string digits = std::to_string(value);
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3)
    digits.insert(static_cast<std::size_t>(i), ",");
  return digits;
}

}  // namespace

bool MlpConfig::operator==(const MlpConfig& o) const {
  return data_dim == o.data_dim && time_embed == o.time_embed &&
         time_projection == o.time_projection && x_embed == o.x_embed && hidden == o.hidden &&
         layers == o.layers && activation == o.activation && residual == o.residual &&
         classes == o.classes && mlp_out_dim(*this) == mlp_out_dim(o);
}

void mlp_config_validate(const MlpConfig& c) {
  check_range("data_dim", c.data_dim, mlp_data_dim_range);
  check_sinusoidal_width("time_embed", c.time_embed, mlp_time_embed_range.max);
  if (c.x_embed != 0) {
    check_sinusoidal_width("x_embed (or 0 for raw coordinates)", c.x_embed, mlp_x_embed_range.max);
  }
  check_range("hidden", c.hidden, mlp_hidden_range);
  check_range("layers", c.layers, mlp_layers_range);
  check_range("classes", c.classes, model_classes_range);
  if (c.out_dim != 0 && c.out_dim != c.data_dim && c.out_dim != 2 * c.data_dim) {
    fail("model config: out_dim = ", c.out_dim, " is not allowed: must be data_dim = ", c.data_dim,
         " or 2 data_dim = ", 2 * c.data_dim, " (prediction and learned variance)");
  }
  if (mlp_input_width(c) > mlp_max_input_width) {
    fail("model config: input width ", mlp_x_width(c), " + ", c.time_embed, " = ",
         mlp_input_width(c), " (data_dim", c.x_embed ? " * x_embed" : "", " + time_embed) exceeds ",
         mlp_max_input_width);
  }
  if (c.activation != kernels::Activation::silu && c.activation != kernels::Activation::relu &&
      c.activation != kernels::Activation::gelu) {
    fail("model config: activation '", kernels::activations.name(c.activation),
         "' is not allowed: allowed are ", mlp_activations.allowed());
  }
}

std::size_t mlp_out_dim(const MlpConfig& c) {
  return c.out_dim == 0 ? c.data_dim : c.out_dim;
}

std::size_t mlp_x_width(const MlpConfig& c) {
  return c.x_embed == 0 ? c.data_dim : c.data_dim * c.x_embed;
}

std::size_t mlp_input_width(const MlpConfig& c) {
  return mlp_x_width(c) + c.time_embed;
}

nlohmann::json mlp_config_to_json(const MlpConfig& c) {
  nlohmann::json out{{"data_dim", c.data_dim},
                        {"time_embed", c.time_embed},
                        {"time_projection", c.time_projection},
                        {"x_embed", c.x_embed},
                        {"hidden", c.hidden},
                        {"layers", c.layers},
                        {"activation", kernels::activations.name(c.activation)},
                        {"residual", c.residual},
                        {"classes", c.classes}};
  if (mlp_out_dim(c) != c.data_dim) out["out_dim"] = mlp_out_dim(c);
  return out;
}

MlpConfig mlp_config_from_json(const nlohmann::json& json) {
  const JsonFields f(json, "model config",
                     {"data_dim", "hidden", "layers", "time_embed", "x_embed", "time_projection",
                      "residual", "activation", "classes", "out_dim"});
  MlpConfig c;
  c.data_dim = f.size("data_dim");
  c.time_embed = f.size("time_embed");
  c.time_projection = f.flag("time_projection");
  c.x_embed = f.size("x_embed");
  c.hidden = f.size("hidden");
  c.layers = f.size("layers");
  try {
    c.activation = mlp_activations.value(f.text("activation", "silu, relu, gelu"));
  } catch (const Error& e) {
    fail("model config: ", e.what());
  }
  c.residual = f.flag("residual");
  c.classes = f.size("classes");
  if (f.has("out_dim")) c.out_dim = f.size("out_dim");  // optional: absent in older files
  mlp_config_validate(c);
  return c;
}

std::string mlp_config_describe(const MlpConfig& m, std::size_t parameters) {
  std::ostringstream out;
  out << "MLP, " << grouped(parameters) << " parameters: D = " << m.data_dim << ", " << m.layers
      << " hidden layers of " << m.hidden << " (" << kernels::activations.name(m.activation)
      << (m.residual ? ", residual with LayerNorm" : "") << "), time embedding " << m.time_embed
      << (m.time_projection ? " with a learned projection" : "")
      << (m.x_embed > 0 ? ", input embedding " + std::to_string(m.x_embed) + " per coordinate" : "");
  if (m.classes > 0) out << ", " << m.classes << " classes (class embedding, null class " << m.classes << ")";
  if (mlp_out_dim(m) != m.data_dim) out << ", " << mlp_out_dim(m) << " outputs (learned variance)";
  return out.str();
}

}  // namespace diffuse
