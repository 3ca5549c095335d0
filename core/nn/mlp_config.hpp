#pragma once
// The MLP's configuration (docs/reference-workload.md, "Model"), validated at the edges (CLI
// flags, page settings, checkpoint metadata) and round-tripped through JSON, which is how a
// checkpoint records the architecture. The defaults are the reference workload; the limits below
// are the only ones (the CLI and the page read them).
#include <cstddef>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "base/ranges.hpp"
#include "kernels/activation.hpp"

namespace diffuse {

struct MlpConfig {
  std::size_t data_dim = 2;      // D: columns of x
  std::size_t time_embed = 32;   // E: sinusoidal time-embedding width (even, >= 4)
  bool time_projection = false;  // time_proj = Linear(E, E) + SiLU after the embedding
  std::size_t x_embed = 0;       // W: sinusoidal width per data coordinate; 0 = raw coordinates
  std::size_t hidden = 128;      // H: width of every hidden layer
  std::size_t layers = 3;        // number of hidden layers (layers.0 .. layers.{layers-1})
  kernels::Activation activation = kernels::Activation::silu;  // silu, relu or gelu
  bool residual = false;         // layers 1.. are h + act(Linear(LayerNorm(h)))
  std::size_t classes = 0;       // K > 0: class-conditional, class_embedding (K + 1, E) added to
                                 // the time features (row K: the null class); 0: unconditional
  std::size_t out_dim = 0;       // O: the output layer's width; 0 means D (the prediction alone);
                                 // 2 D: [prediction, variance values] (improved DDPM's learned
                                 // variance, diffusion/learned_variance.hpp). Files before it: 0.

  bool operator==(const MlpConfig& other) const;
  bool operator!=(const MlpConfig& other) const { return !(*this == other); }
};

// Allowed ranges, also quoted in error messages.
inline constexpr IntRange mlp_data_dim_range{1, 65536, 65536};
inline constexpr IntRange mlp_time_embed_range{4, 4096, 1024};
inline constexpr IntRange mlp_x_embed_range{0, 1024, 256};  // 0 or even in 4..1024
inline constexpr IntRange mlp_hidden_range{1, 16384, 1024};
inline constexpr IntRange mlp_layers_range{1, 64, 16};
inline constexpr IntRange model_classes_range{0, 1000, 1000};
inline constexpr std::size_t mlp_max_input_width = 65536;

// The activations the MLP offers: silu, relu, gelu.
inline const EnumNames<kernels::Activation> mlp_activations{
    "activation",
    {{kernels::Activation::silu, "silu"},
     {kernels::Activation::relu, "relu"},
     {kernels::Activation::gelu, "gelu"}}};

// Throws diffuse::Error naming the field, its value and what is allowed.
void mlp_config_validate(const MlpConfig& config);

// O, the output width: out_dim, or D when it is 0.
std::size_t mlp_out_dim(const MlpConfig& config);

// Width of the first layer's input h_0 = [x part, time features]: (D or D * W) + E.
std::size_t mlp_input_width(const MlpConfig& config);
// Columns of h_0 taken by the data: D, or D * W with the input embedding.
std::size_t mlp_x_width(const MlpConfig& config);

// {"data_dim": 2, "time_embed": 32, "time_projection": false, "x_embed": 0, "hidden": 128,
//  "layers": 3, "activation": "silu", "residual": false, "classes": 0}, and "out_dim": 2 D when
// the output is doubled (absent otherwise, as in every file before it; absent reads as D).
nlohmann::json mlp_config_to_json(const MlpConfig& config);
// Every field is required, unknown fields and wrong types are errors, and the result is
// validated: a checkpoint's architecture is never guessed.
MlpConfig mlp_config_from_json(const nlohmann::json& json);

// "MLP, 37,762 parameters: D = 2, 3 hidden layers of 128 (silu), time embedding 32"
std::string mlp_config_describe(const MlpConfig& config, std::size_t parameters);

}  // namespace diffuse
