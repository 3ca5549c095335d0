#pragma once
// A PyTorch state_dict saved as safetensors (safetensors.torch.save_file(model.state_dict()), or
// python/diffuse_torch's save_for_import), plus the diffuse configuration it was trained under
// (a checkpoint's "config" JSON), as a diffuse checkpoint: what `diffuse import --from torch`
// writes (docs/torch.md). The names are the checkpoint's own (io/checkpoint.hpp: the EMA tensors,
// e.g. "layers.0.weight" [128, 34]); the result samples like an export (no training state).
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string_view>

#include "io/checkpoint.hpp"
#include "io/safetensors.hpp"

namespace diffuse {

// The prefix DistributedDataParallel puts before every name of a wrapped model's state_dict.
inline constexpr const char* torch_ddp_prefix = "module.";

// A sampling-only checkpoint of `config` (checkpoint_config_read: every field validated, Error
// naming it) with the weights of `weights`: exactly the configuration's tensors, each of its
// shape and finite; an extra tensor, a missing or misshaped one is an Error naming it (a name
// under "module." says to save model.module.state_dict()). Nothing is allocated for the model
// before every tensor has been checked against it.
Checkpoint torch_state_dict_checkpoint(const Safetensors& weights, const nlohmann::json& config,
                                       std::string_view weights_source, std::string_view config_source);

}  // namespace diffuse
