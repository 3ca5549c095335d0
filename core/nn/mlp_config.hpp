#pragma once
// The MLP denoiser's configuration (docs/reference-workload.md, "Model"), validated at the edges
// (CLI flags, page settings, checkpoint metadata) and round-tripped through JSON, which is how a
// checkpoint records the architecture. Defaults are the reference workload.
#include <cstddef>
#include <nlohmann/json_fwd.hpp>

#include "diffusion/parameterization.hpp"
#include "kernels/activation.hpp"

namespace diffuse {

struct MlpConfig {
  std::size_t data_dim = 2;      // D: columns of x_t
  std::size_t time_embed = 32;   // E: sinusoidal time-embedding width (even, >= 4)
  bool time_projection = false;  // time_proj = Linear(E, E) + SiLU after the embedding
  std::size_t x_embed = 0;       // W: sinusoidal width per data coordinate; 0 = raw coordinates
  std::size_t hidden = 128;      // H: width of every hidden layer
  std::size_t layers = 3;        // number of hidden layers (layers.0 .. layers.{layers-1})
  kernels::Activation activation = kernels::Activation::silu;  // silu, relu or gelu
  bool residual = false;                    // layers 1.. are h + act(Linear(LayerNorm(h)))
  Prediction prediction = Prediction::eps;  // what the output means: eps, x0 or v

  bool operator==(const MlpConfig& other) const;
  bool operator!=(const MlpConfig& other) const { return !(*this == other); }
};

// Allowed ranges, also quoted in error messages.
inline constexpr std::size_t mlp_max_data_dim = 65536;
inline constexpr std::size_t mlp_max_time_embed = 4096;
inline constexpr std::size_t mlp_max_x_embed = 1024;
inline constexpr std::size_t mlp_max_hidden = 16384;
inline constexpr std::size_t mlp_max_layers = 64;
inline constexpr std::size_t mlp_max_input_width = 65536;

// Throws diffuse::Error naming the field, its value and what is allowed.
void mlp_config_validate(const MlpConfig& config);

// Width of the first layer's input h_0 = [x part, emb(t)]: (D or D * W) + E.
std::size_t mlp_input_width(const MlpConfig& config);
// Columns of h_0 taken by the data: D, or D * W with the input embedding.
std::size_t mlp_x_width(const MlpConfig& config);

// {"data_dim": 2, "time_embed": 32, "time_projection": false, "x_embed": 0, "hidden": 128,
//  "layers": 3, "activation": "silu", "residual": false, "prediction": "eps"}
nlohmann::json mlp_config_to_json(const MlpConfig& config);
// Every field is required, unknown fields and wrong types are errors, and the result is
// validated: a checkpoint's architecture is never guessed.
MlpConfig mlp_config_from_json(const nlohmann::json& json);

}  // namespace diffuse
