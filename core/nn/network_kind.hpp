#pragma once
// What the model factory (nn/model_config.hpp) needs to know of one kind of network, specialized
// next to each network for its configuration struct:
//
//   template <> struct NetworkKind<MlpConfig> {
//     static constexpr const char* name = "mlp";            // config.model.kind in checkpoints
//     static void validate(const MlpConfig&);               // Error naming field, value, allowed
//     static nlohmann::json to_json(const MlpConfig&);      // the fields, without "kind"
//     static MlpConfig from_json(const nlohmann::json&);    // strict: every field, validated
//     static SampleShape sample_shape(const MlpConfig&);    // {D} or {C, H, W}
//     static std::size_t classes(const MlpConfig&);         // K, 0 if unconditional
//     static ParamLayout layout(const MlpConfig&);          // names, shapes, offsets
//     static std::string describe(const MlpConfig&, std::size_t parameters);  // one line
//     static std::unique_ptr<Network> make(const MlpConfig&);  // parameters zero
//   };
#include "nn/network.hpp"

namespace diffuse {

template <typename Config>
struct NetworkKind;

}  // namespace diffuse
