#include "nn/classifier_config.hpp"

#include <nlohmann/json.hpp>
#include <sstream>

#include "base/error.hpp"
#include "base/json_fields.hpp"

namespace diffuse {
namespace {

void check_range(const char* field, std::int64_t value, const IntRange& range) {
  require_in_range("classifier config", field, value, range);
}

// 83466 -> "83,466"
std::string grouped(std::size_t value) {
  std::string digits = std::to_string(value);
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3)
    digits.insert(static_cast<std::size_t>(i), ",");
  return digits;
}

}  // namespace

bool ClassifierConfig::operator==(const ClassifierConfig& o) const {
  return shape == o.shape && levels == o.levels && classes == o.classes && hidden == o.hidden &&
         layers == o.layers && activation == o.activation;
}

void classifier_config_validate(const ClassifierConfig& c) {
  if (c.shape.empty() || c.shape.size() > 3) {
    fail("classifier config: shape has ", c.shape.size(),
         " dimensions: allowed are 1 to 3 (C, H, W)");
  }
  std::int64_t size = 1;
  for (std::size_t n : c.shape) {
    if (n < 1 || n > static_cast<std::size_t>(classifier_input_range.max)) {
      fail("classifier config: shape holds ", n, ": each dimension must be in 1..",
           classifier_input_range.max);
    }
    size *= static_cast<std::int64_t>(n);
    if (size > classifier_input_range.max) break;
  }
  check_range("input size (C H W)", size, classifier_input_range);
  check_range("levels", c.levels, classifier_levels_range);
  check_range("classes", static_cast<std::int64_t>(c.classes), classifier_classes_range);
  check_range("hidden", static_cast<std::int64_t>(c.hidden), classifier_hidden_range);
  check_range("layers", static_cast<std::int64_t>(c.layers), classifier_layers_range);
  if (c.activation == kernels::Activation::identity) {
    fail("classifier config: activation 'identity' is not allowed: allowed are ",
         classifier_activations.allowed());
  }
}

std::size_t classifier_input_size(const ClassifierConfig& c) {
  return sample_shape_size(c.shape);
}

nlohmann::json classifier_config_to_json(const ClassifierConfig& c) {
  return nlohmann::json{{"kind", "mlp"},
                        {"shape", c.shape},
                        {"levels", c.levels},
                        {"classes", c.classes},
                        {"hidden", c.hidden},
                        {"layers", c.layers},
                        {"activation", classifier_activations.name(c.activation)}};
}

ClassifierConfig classifier_config_from_json(const nlohmann::json& json) {
  const JsonFields f(json, "classifier config",
                     {"kind", "shape", "levels", "classes", "hidden", "layers", "activation"});
  const std::string kind = f.text("kind", "mlp");
  if (kind != "mlp") fail("classifier config: kind '", kind, "' is unknown: allowed is mlp");
  ClassifierConfig c;
  c.shape = f.sizes("shape");
  c.levels = static_cast<int>(f.size("levels"));
  c.classes = f.size("classes");
  c.hidden = f.size("hidden");
  c.layers = f.size("layers");
  try {
    c.activation = classifier_activations.value(f.text("activation", "relu, silu, gelu"));
  } catch (const Error& e) {
    fail("classifier config: ", e.what());
  }
  classifier_config_validate(c);
  return c;
}

std::string classifier_config_describe(const ClassifierConfig& c, std::size_t parameters) {
  std::ostringstream out;
  out << "MLP classifier, " << grouped(parameters) << " parameters: ";
  for (std::size_t i = 0; i < c.shape.size(); ++i) out << (i ? " x " : "") << c.shape[i];
  out << " images of " << c.levels << " levels, " << c.layers << " hidden layer"
      << (c.layers == 1 ? "" : "s") << " of " << c.hidden << " ("
      << classifier_activations.name(c.activation) << "), " << c.classes << " classes";
  return out.str();
}

}  // namespace diffuse
