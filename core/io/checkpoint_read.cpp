// Reading a checkpoint: every check names the first problem (io/checkpoint.hpp).
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "base/error.hpp"
#include "io/checkpoint.hpp"
#include "io/safetensors.hpp"

namespace diffuse {
namespace {

const char* const training_prefixes[] = {"training.params.", "training.adam_m.", "training.adam_v."};

// Copies the slices stored under prefix into a zero-filled flat buffer; every slice must be
// present with its exact shape and finite values.
AlignedBuffer read_slices(const Safetensors& file, const ParamLayout& layout,
                          const std::string& prefix, std::string_view source) {
  AlignedBuffer buffer = params_allocate(layout);
  for (const ParamSlice& slice : layout.slices()) {
    const std::string name = prefix + slice.name;
    const SafetensorsTensor* t = file.find(name);
    if (t == nullptr) fail(source, ": tensor '", name, "' is missing for this model configuration");
    if (t->shape != slice.shape) {
      auto shape_text = [](const std::vector<std::size_t>& s) {
        std::string out = "[";
        for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
        return out + "]";
      };
      fail(source, ": tensor '", name, "' has shape ", shape_text(t->shape), " but the model needs ",
           shape_text(slice.shape));
    }
    for (std::size_t i = 0; i < t->values.size(); ++i) {
      if (!std::isfinite(t->values[i])) {
        fail(source, ": tensor '", name, "' holds a non-finite value (", t->values[i], ") at index ", i);
      }
    }
    std::copy(t->values.begin(), t->values.end(), buffer.begin() + slice.offset);
  }
  return buffer;
}

nlohmann::json parse_config(const Safetensors& file, std::string_view source) {
  const auto format = file.metadata.find("format");
  if (format == file.metadata.end() || format->second != checkpoint_format_name) {
    fail(source, ": not a diffuse checkpoint (its metadata has no \"format\": \"",
         checkpoint_format_name, "\"; is it another program's safetensors file?)");
  }
  const auto version = file.metadata.find("format_version");
  if (version == file.metadata.end()) fail(source, ": metadata 'format_version' is missing");
  if (version->second != std::to_string(checkpoint_format_version)) {
    fail(source, ": checkpoint format version '", version->second, "' is not supported: this build ",
         "reads version ", checkpoint_format_version);
  }
  const auto config = file.metadata.find("config");
  if (config == file.metadata.end()) fail(source, ": metadata 'config' is missing");
  try {
    auto json = nlohmann::json::parse(config->second);
    if (!json.is_object()) fail(source, ": metadata 'config' is not a JSON object");
    return json;
  } catch (const nlohmann::json::exception& e) {
    fail(source, ": metadata 'config' is not valid JSON (", e.what(), ")");
  }
}

template <typename T>
T config_field(const nlohmann::json& json, const char* name, std::string_view source) {
  if (!json.contains(name)) fail(source, ": config field '", name, "' is missing");
  try {
    return json.at(name).get<T>();
  } catch (const nlohmann::json::exception&) {
    fail(source, ": config field '", name, "' has the wrong type: ", json.at(name).dump());
  }
}

void read_training_state(Checkpoint& c, const Safetensors& file, const ParamLayout& layout,
                         const nlohmann::json& json, std::string_view source) {
  TrainerState state;
  state.step = c.step;
  state.params = read_slices(file, layout, training_prefixes[0], source);
  state.adam.m = read_slices(file, layout, training_prefixes[1], source);
  state.adam.v = read_slices(file, layout, training_prefixes[2], source);
  state.adam.step = config_field<std::int64_t>(json, "adam_step", source);
  state.ema.updates = config_field<std::int64_t>(json, "ema_updates", source);
  state.ema.weights = c.ema_params;
  if (state.adam.step < 0 || state.ema.updates < 0) fail(source, ": negative optimizer step counts");
  const SafetensorsTensor* data = file.find("training.data");
  if (data == nullptr) fail(source, ": tensor 'training.data' is missing");
  if (data->shape.size() != 2 || data->shape[1] != c.model.data_dim || data->shape[0] < 1) {
    fail(source, ": tensor 'training.data' must have shape [N, ", c.model.data_dim, "] with N >= 1");
  }
  c.train_points = Tensor2::from_shape({data->shape[0], data->shape[1]});
  std::copy(data->values.begin(), data->values.end(), c.train_points.begin());
  c.training = std::move(state);
}

// Every tensor must be one the configuration explains.
void reject_unknown_tensors(const Safetensors& file, const ParamLayout& layout, bool training,
                            std::string_view source) {
  std::set<std::string> known;
  for (const ParamSlice& s : layout.slices()) {
    known.insert(s.name);
    if (training) {
      for (const char* prefix : training_prefixes) known.insert(prefix + s.name);
    }
  }
  if (training) known.insert("training.data");
  for (const SafetensorsTensor& t : file.tensors) {
    if (known.count(t.name) == 0) fail(source, ": unexpected tensor '", t.name, "' for this model configuration");
  }
}

}  // namespace

Checkpoint checkpoint_read(const std::uint8_t* bytes, std::size_t size, std::string_view source) {
  const Safetensors file = safetensors_read(bytes, size, source);
  const nlohmann::json json = parse_config(file, source);
  Checkpoint c;
  try {
    c.schedule = schedule_config_from_json(config_field<nlohmann::json>(json, "schedule", source));
    c.model = mlp_config_from_json(config_field<nlohmann::json>(json, "model", source));
    c.train = train_config_from_json(config_field<nlohmann::json>(json, "train", source));
    const auto data = config_field<nlohmann::json>(json, "data", source);
    c.data.source = config_field<std::string>(data, "source", source);
    c.data.normalization = normalization_from_json(config_field<nlohmann::json>(data, "normalization", source));
    c.data.train_size = config_field<std::size_t>(data, "train_size", source);
    c.step = config_field<std::int64_t>(json, "step", source);
  } catch (const Error& e) {
    const std::string what = e.what();
    if (what.rfind(std::string(source), 0) == 0) throw;
    fail(source, ": ", what);
  }
  if (c.data.normalization.mean.size() != c.model.data_dim) {
    fail(source, ": the normalization has ", c.data.normalization.mean.size(),
         " dimensions but the model has D = ", c.model.data_dim);
  }
  if (c.step < 0) fail(source, ": step = ", c.step, " is invalid");
  const ParamLayout layout = mlp_param_layout(c.model);
  c.ema_params = read_slices(file, layout, "", source);
  const bool training = file.find("training.data") != nullptr || file.find(std::string(training_prefixes[0]) + layout.slices().front().name) != nullptr;
  reject_unknown_tensors(file, layout, training, source);
  if (training) read_training_state(c, file, layout, json, source);
  return c;
}

}  // namespace diffuse
