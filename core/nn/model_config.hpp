#pragma once
// A model's configuration, tagged with its kind, and the one factory of networks. A checkpoint
// records {"kind": "mlp", ...the kind's fields} as config.model.
//
// Adding a kind of network: its files (the network, its config, its NetworkKind specialization,
// nn/network_kind.hpp) and its config type in the list below.
#include <cstddef>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <variant>
#include <vector>

#include "nn/mlp_kind.hpp"
#include "nn/network.hpp"
#include "nn/unet_kind.hpp"

namespace diffuse {

using ModelConfig = std::variant<MlpConfig, UNetConfig>;

std::string model_kind(const ModelConfig& config);  // "mlp"
std::vector<std::string> model_kinds();              // every kind, in the list's order
void model_config_validate(const ModelConfig& config);
SampleShape model_sample_shape(const ModelConfig& config);
std::size_t model_sample_size(const ModelConfig& config);  // D, the shape's size
std::size_t model_classes(const ModelConfig& config);
// The network's output has twice the sample's values (MlpConfig::out_dim, UNetConfig::out_channels).
bool model_output_doubled(const ModelConfig& config);
// Doubles the network's output (out_dim = 2 D, out_channels = 2 C): a learned variance's values.
void model_double_output(ModelConfig& config);
// The parameters' names, shapes and offsets in a network of this configuration.
ParamLayout model_param_layout(const ModelConfig& config);
std::string model_describe(const ModelConfig& config);

nlohmann::json model_config_to_json(const ModelConfig& config);  // {"kind": ..., fields}
// Dispatches on "kind" (required); the rest must be that kind's fields exactly.
ModelConfig model_config_from_json(const nlohmann::json& json);

// A network of this configuration with zero parameters (init_params or load them).
std::unique_ptr<Network> network_make(const ModelConfig& config);

}  // namespace diffuse
