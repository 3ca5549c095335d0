#pragma once
// The image classifier's architecture (nn/classifier.hpp), validated at the edges (CLI flags,
// checkpoint metadata) and round-tripped through JSON, which is how a classifier checkpoint records
// it (io/classifier_checkpoint.hpp). The limits below are the only ones.
#include <cstddef>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "base/ranges.hpp"
#include "base/tensor.hpp"
#include "kernels/activation.hpp"

namespace diffuse {

struct ClassifierConfig {
  SampleShape shape = {1, 8, 8};  // one image (C, H, W); the classifier reads its D = C H W pixels
  int levels = 17;                // L: pixels 0..L-1, seen as x_norm = 2 x / (L - 1) - 1
  std::size_t classes = 10;       // K: logits per image
  std::size_t hidden = 256;       // width of every hidden layer (letter H elsewhere)
  std::size_t layers = 2;         // number of hidden layers (layers.0 .. layers.{layers-1})
  kernels::Activation activation = kernels::Activation::relu;  // relu, silu or gelu

  bool operator==(const ClassifierConfig& other) const;
  bool operator!=(const ClassifierConfig& other) const { return !(*this == other); }
};

// Allowed ranges, also quoted in error messages.
inline constexpr IntRange classifier_input_range{1, 65536, 65536};  // D = C H W
inline constexpr IntRange classifier_levels_range{2, 256, 256};     // pixels are bytes (ImageSet)
inline constexpr IntRange classifier_classes_range{2, 1000, 1000};
inline constexpr IntRange classifier_hidden_range{1, 4096, 4096};
inline constexpr IntRange classifier_layers_range{1, 16, 16};

// The activations the classifier offers.
inline const EnumNames<kernels::Activation> classifier_activations{
    "activation",
    {{kernels::Activation::relu, "relu"},
     {kernels::Activation::silu, "silu"},
     {kernels::Activation::gelu, "gelu"}}};

// Throws diffuse::Error naming the field, its value and what is allowed.
void classifier_config_validate(const ClassifierConfig& config);

// D = C H W: the inputs of one image.
std::size_t classifier_input_size(const ClassifierConfig& config);

// {"kind": "mlp", "shape": [1, 8, 8], "levels": 17, "classes": 10, "hidden": 256, "layers": 2,
//  "activation": "relu"}. "kind" names the architecture, so that another one (a small CNN) can
// be told apart later.
nlohmann::json classifier_config_to_json(const ClassifierConfig& config);
// Every field is required, unknown fields and wrong types are errors, and the result is validated.
ClassifierConfig classifier_config_from_json(const nlohmann::json& json);

// "MLP classifier, 83,466 parameters: 1 x 8 x 8 images of 17 levels, 2 hidden layers of 256
// (relu), 10 classes"
std::string classifier_config_describe(const ClassifierConfig& config, std::size_t parameters);

}  // namespace diffuse
