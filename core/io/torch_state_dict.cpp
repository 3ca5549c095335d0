#include "io/torch_state_dict.hpp"

#include <set>
#include <string>

#include "base/error.hpp"
#include "io/param_tensors.hpp"

namespace diffuse {

Checkpoint torch_state_dict_checkpoint(const Safetensors& weights, const nlohmann::json& config,
                                       std::string_view weights_source, std::string_view config_source) {
  Checkpoint c = checkpoint_config_read(config, config_source);
  const ParamLayout layout = model_param_layout(c.model);
  std::set<std::string> known;
  for (const ParamSlice& s : layout.slices()) known.insert(s.name);
  const std::string ddp = torch_ddp_prefix;
  for (const SafetensorsTensor& t : weights.tensors) {
    if (known.count(t.name) > 0) continue;
    if (t.name.rfind(ddp, 0) == 0 && known.count(t.name.substr(ddp.size())) > 0) {
      fail(weights_source, ": tensor ", quote_text(t.name, 80), " is a DistributedDataParallel name: save ",
           "model.module.state_dict(), whose names have no '", ddp, "' prefix");
    }
    fail(weights_source, ": unexpected tensor ", quote_text(t.name, 80), " for the model of ", config_source, " (",
         layout.slices().size(), " tensors, e.g. ", layout.slices().front().name, ")");
  }
  c.ema_params = param_tensors_read(weights, layout, "", weights_source);
  return c;
}

}  // namespace diffuse
