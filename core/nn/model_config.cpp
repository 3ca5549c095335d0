#include "nn/model_config.hpp"

#include <nlohmann/json.hpp>

#include "base/error.hpp"

namespace diffuse {
namespace {

template <typename F>
auto visit_kind(const ModelConfig& config, F f) {
  return std::visit(
      [&](const auto& c) { return f(c, NetworkKind<std::decay_t<decltype(c)>>{}); }, config);
}

// The alternative of the variant whose kind is `kind`, read from json (the fields without "kind").
template <std::size_t I = 0>
ModelConfig from_json_of_kind(const std::string& kind, const nlohmann::json& json) {
  if constexpr (I < std::variant_size_v<ModelConfig>) {
    using Config = std::variant_alternative_t<I, ModelConfig>;
    if (kind == NetworkKind<Config>::name) return NetworkKind<Config>::from_json(json);
    return from_json_of_kind<I + 1>(kind, json);
  } else {
    std::string allowed;
    for (const auto& k : model_kinds()) allowed += (allowed.empty() ? "" : ", ") + k;
    fail("model config: kind '", kind, "' is unknown: allowed are ", allowed);
  }
}

template <std::size_t... I>
std::vector<std::string> kind_names(std::index_sequence<I...>) {
  return {NetworkKind<std::variant_alternative_t<I, ModelConfig>>::name...};
}

}  // namespace

std::string model_kind(const ModelConfig& config) {
  return visit_kind(config, [](const auto&, auto kind) { return std::string(kind.name); });
}

std::vector<std::string> model_kinds() {
  return kind_names(std::make_index_sequence<std::variant_size_v<ModelConfig>>{});
}

void model_config_validate(const ModelConfig& config) {
  visit_kind(config, [](const auto& c, auto kind) { kind.validate(c); });
}

SampleShape model_sample_shape(const ModelConfig& config) {
  return visit_kind(config, [](const auto& c, auto kind) { return kind.sample_shape(c); });
}

std::size_t model_sample_size(const ModelConfig& config) {
  return sample_shape_size(model_sample_shape(config));
}

std::size_t model_classes(const ModelConfig& config) {
  return visit_kind(config, [](const auto& c, auto kind) { return kind.classes(c); });
}

bool model_output_doubled(const ModelConfig& config) {
  if (const auto* mlp = std::get_if<MlpConfig>(&config)) return mlp_out_dim(*mlp) != mlp->data_dim;
  const auto& unet = std::get<UNetConfig>(config);
  return unet_out_channels(unet) != unet.in_channels;
}

void model_double_output(ModelConfig& config) {
  if (auto* mlp = std::get_if<MlpConfig>(&config)) {
    mlp->out_dim = 2 * mlp->data_dim;
    return;
  }
  auto& unet = std::get<UNetConfig>(config);
  unet.out_channels = 2 * unet.in_channels;
}

ParamLayout model_param_layout(const ModelConfig& config) {
  return visit_kind(config, [](const auto& c, auto kind) { return kind.layout(c); });
}

std::string model_describe(const ModelConfig& config) {
  const std::size_t parameters = model_param_layout(config).count();
  return visit_kind(config, [&](const auto& c, auto kind) { return kind.describe(c, parameters); });
}

nlohmann::json model_config_to_json(const ModelConfig& config) {
  return visit_kind(config, [](const auto& c, auto kind) {
    nlohmann::json out = kind.to_json(c);
    out["kind"] = kind.name;
    return out;
  });
}

ModelConfig model_config_from_json(const nlohmann::json& json) {
  if (!json.is_object()) fail("model config: expected a JSON object, got ", json.type_name());
  const auto it = json.find("kind");
  if (it == json.end()) fail("model config: missing field 'kind' (the network's kind)");
  if (!it->is_string()) fail("model config: field 'kind' must be a string, got ", it->dump());
  nlohmann::json fields = json;
  fields.erase("kind");
  return from_json_of_kind(it->get<std::string>(), fields);
}

std::unique_ptr<Network> network_make(const ModelConfig& config) {
  return visit_kind(config, [](const auto& c, auto kind) { return kind.make(c); });
}

}  // namespace diffuse
