#pragma once
// The MLP as a kind of network for the model factory (nn/network_kind.hpp).
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "nn/mlp.hpp"
#include "nn/mlp_config.hpp"
#include "nn/network_kind.hpp"

namespace diffuse {

template <>
struct NetworkKind<MlpConfig> {
  static constexpr const char* name = "mlp";
  static void validate(const MlpConfig& c) { mlp_config_validate(c); }
  static nlohmann::json to_json(const MlpConfig& c) { return mlp_config_to_json(c); }
  static MlpConfig from_json(const nlohmann::json& j) { return mlp_config_from_json(j); }
  static SampleShape sample_shape(const MlpConfig& c) { return {c.data_dim}; }
  static std::size_t classes(const MlpConfig& c) { return c.classes; }
  static ParamLayout layout(const MlpConfig& c) { return mlp_param_layout(c); }
  static std::string describe(const MlpConfig& c, std::size_t parameters) {
    return mlp_config_describe(c, parameters);
  }
  static std::unique_ptr<Network> make(const MlpConfig& c) { return std::make_unique<Mlp>(c); }
};

}  // namespace diffuse
