#pragma once
// The U-Net as a kind of network for the model factory (nn/network_kind.hpp).
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "nn/network_kind.hpp"
#include "nn/unet.hpp"
#include "nn/unet_config.hpp"

namespace diffuse {

template <>
struct NetworkKind<UNetConfig> {
  static constexpr const char* name = "unet";
  static void validate(const UNetConfig& c) { unet_config_validate(c); }
  static nlohmann::json to_json(const UNetConfig& c) { return unet_config_to_json(c); }
  static UNetConfig from_json(const nlohmann::json& j) { return unet_config_from_json(j); }
  static SampleShape sample_shape(const UNetConfig& c) {
    return {c.in_channels, c.sample_size, c.sample_size};
  }
  static std::size_t classes(const UNetConfig& c) { return c.classes; }
  static ParamLayout layout(const UNetConfig& c) { return unet_param_layout(c); }
  static std::string describe(const UNetConfig& c, std::size_t parameters) {
    return unet_config_describe(c, parameters);
  }
  static std::unique_ptr<Network> make(const UNetConfig& c) { return std::make_unique<UNet>(c); }
};

}  // namespace diffuse
