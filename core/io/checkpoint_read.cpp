// Reading a checkpoint: every check names the first problem (io/checkpoint.hpp).
#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <type_traits>

#include "base/error.hpp"
#include "base/version.hpp"
#include "io/checkpoint.hpp"
#include "io/param_tensors.hpp"
#include "io/safetensors.hpp"

namespace diffuse {
namespace {

const char* const training_prefixes[] = {"training.params.", "training.adam_m.", "training.adam_v."};

nlohmann::json parse_config(const Safetensors& file, std::string_view source) {
  const auto format = file.metadata.find("format");
  if (format == file.metadata.end() || format->second != checkpoint_format_name) {
    fail(source, ": not a diffuse checkpoint (its metadata has no \"format\": \"",
         checkpoint_format_name, "\"; is it another program's safetensors file?)");
  }
  const auto version = file.metadata.find("format_version");
  if (version == file.metadata.end()) fail(source, ": metadata 'format_version' is missing");
  if (version->second != "1" && version->second != std::to_string(checkpoint_format_version)) {
    fail(source, ": checkpoint format version '", version->second, "' is not supported: this build ",
         "reads versions 1 and ", checkpoint_format_version);
  }
  const auto config = file.metadata.find("config");
  if (config == file.metadata.end()) fail(source, ": metadata 'config' is missing");
  try {
    auto json = nlohmann::json::parse(config->second);
    if (!json.is_object()) fail(source, ": metadata 'config' is not a JSON object");
    return json;
  } catch (const nlohmann::json::exception& e) {
    fail(source, ": metadata 'config' is not valid JSON (", printable_text(e.what(), 200), ")");
  }
}

// An integer field read as T: a fraction, a negative number for an unsigned T, or a number past
// T's range is refused here, where nlohmann's get<T> would convert it silently (-1 as 2^64 - 1, or
// 2^32 + 1500 as 1500 where size_t has 32 bits) or with undefined behaviour (1e63 as size_t).
template <typename T>
void check_integer(const nlohmann::json& v, const std::string& name, std::string_view source) {
  const auto max = static_cast<std::uint64_t>(std::numeric_limits<T>::max());
  bool ok = false;
  if (v.is_number_unsigned()) {
    ok = v.get<std::uint64_t>() <= max;
  } else if (v.is_number_integer()) {  // negative, or set as a signed integer (upgrade_version_1)
    const std::int64_t x = v.get<std::int64_t>();
    ok = x >= 0 ? static_cast<std::uint64_t>(x) <= max
                : std::is_signed_v<T> && x >= static_cast<std::int64_t>(std::numeric_limits<T>::min());
  }
  if (!ok && v.is_number()) {
    fail(source, ": config field '", name, "' = ", v.dump(), " is invalid: must be an integer in [",
         +std::numeric_limits<T>::min(), ", ", +std::numeric_limits<T>::max(), "]");
  }
}

template <typename T>
T config_field(const nlohmann::json& json, const char* name, std::string_view source) {
  if (!json.contains(name)) fail(source, ": config field '", name, "' is missing");
  const nlohmann::json& v = json.at(name);
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) check_integer<T>(v, name, source);
  if constexpr (std::is_same_v<T, std::vector<std::size_t>>) {
    for (std::size_t i = 0; v.is_array() && i < v.size(); ++i) {
      check_integer<std::size_t>(v[i], std::string(name) + "[" + std::to_string(i) + "]", source);
    }
  }
  try {
    return v.get<T>();
  } catch (const nlohmann::json::exception&) {
    fail(source, ": config field '", name, "' has the wrong type: ", json.at(name).dump());
  }
}

// Format version 1 (diffuse 0.1.0) in version 2's terms: its model was always an MLP whose config
// held the prediction type; it had no classes, no label dropout, and points of shape {data_dim}.
void upgrade_version_1(nlohmann::json& json, std::string_view source) {
  auto model = config_field<nlohmann::json>(json, "model", source);
  if (!model.is_object()) fail(source, ": config field 'model' is not an object");
  const auto prediction = config_field<nlohmann::json>(model, "prediction", source);
  model.erase("prediction");
  model["kind"] = "mlp";
  model["classes"] = 0;
  json["diffusion"] = {{"prediction", prediction}};
  auto train = config_field<nlohmann::json>(json, "train", source);
  if (train.is_object()) train["label_dropout"] = TrainConfig{}.label_dropout;
  auto data = config_field<nlohmann::json>(json, "data", source);
  if (data.is_object()) {
    data["shape"] = nlohmann::json::array({config_field<nlohmann::json>(model, "data_dim", source)});
    data["classes"] = 0;
    data["class_names"] = nlohmann::json::array();
    data["stored"] = true;
    data["fingerprint"] = "0000000000000000";
  }
  json["model"] = model;
  json["train"] = train;
  json["data"] = data;
}

// The stored training set: training.data (N, D) and, with classes, training.labels (N,).
void read_training_set(Checkpoint& c, const Safetensors& file, std::string_view source) {
  const std::size_t D = sample_shape_size(c.data.shape);
  const SafetensorsTensor* data = file.find("training.data");
  if (data == nullptr) fail(source, ": tensor 'training.data' is missing");
  if (data->shape.size() != 2 || data->shape[1] != D || data->shape[0] < 1) {
    fail(source, ": tensor 'training.data' must have shape [N, ", D, "] with N >= 1");
  }
  for (std::size_t i = 0; i < data->values.size(); ++i) {
    if (!std::isfinite(data->values[i])) {
      fail(source, ": tensor 'training.data' holds a non-finite value (", data->values[i], ") at row ",
           i / D, ", column ", i % D, ": a training set must be finite");
    }
  }
  c.train_samples = Tensor2::from_shape({data->shape[0], data->shape[1]});
  std::copy(data->values.begin(), data->values.end(), c.train_samples.begin());
  const SafetensorsTensor* labels = file.find("training.labels");
  if ((labels != nullptr) != (c.data.classes > 0)) {
    fail(source, ": tensor 'training.labels' is ", labels ? "present" : "missing", " but the data has ",
         c.data.classes, " classes");
  }
  if (labels != nullptr) {
    if (labels->shape != std::vector<std::size_t>{data->shape[0]}) {
      fail(source, ": tensor 'training.labels' must have shape [", data->shape[0], "]");
    }
    c.train_labels = Labels::from_shape({data->shape[0]});
    for (std::size_t n = 0; n < labels->values.size(); ++n) {
      const float v = labels->values[n];
      if (!(v >= 0 && v < static_cast<float>(c.data.classes) && v == static_cast<float>(static_cast<int>(v)))) {
        fail(source, ": tensor 'training.labels' holds ", v, " at index ", n,
             ": labels are whole numbers in 0..", c.data.classes - 1);
      }
      c.train_labels(n) = static_cast<std::int32_t>(v);
    }
  }
}

// Importance-sampled t: training.t_history (T, 10) and training.t_history_counts (T,) (whole
// numbers stored as F32); values are checked by LossSecondMomentSampler::set_state on resume.
void read_t_history(TrainerState& state, const Checkpoint& c, const Safetensors& file,
                    std::string_view source) {
  const bool importance = c.train.t_sampling == TimestepSampling::importance;
  const SafetensorsTensor* history = file.find("training.t_history");
  const SafetensorsTensor* counts = file.find("training.t_history_counts");
  if ((history != nullptr) != importance || (counts != nullptr) != importance) {
    fail(source, ": tensors 'training.t_history' and 'training.t_history_counts' must be present ",
         "exactly when t sampling is importance");
  }
  if (!importance) return;
  const auto T = static_cast<std::size_t>(c.schedule.timesteps);
  if (history->shape != std::vector<std::size_t>{T, loss_history_per_t} ||
      counts->shape != std::vector<std::size_t>{T}) {
    fail(source, ": tensors 'training.t_history' [T, ", loss_history_per_t,
         "] and 'training.t_history_counts' [T] must have T = ", T);
  }
  state.t_history.assign(history->values.begin(), history->values.end());
  for (std::size_t t = 0; t < T; ++t) {
    const float v = counts->values[t];
    if (!(v >= 0 && v <= loss_history_per_t && v == static_cast<float>(static_cast<int>(v)))) {
      fail(source, ": tensor 'training.t_history_counts' holds ", v, " at index ", t,
           ": counts are whole numbers in 0..", loss_history_per_t);
    }
    state.t_history_counts.push_back(static_cast<std::int32_t>(v));
  }
}

void read_training_state(Checkpoint& c, const Safetensors& file, const ParamLayout& layout,
                         const nlohmann::json& json, std::string_view source) {
  TrainerState state;
  state.step = c.step;
  state.params = param_tensors_read(file, layout, training_prefixes[0], source);
  state.adam.m = param_tensors_read(file, layout, training_prefixes[1], source);
  state.adam.v = param_tensors_read(file, layout, training_prefixes[2], source);
  // Adam's second moments are running means of squared gradients: a negative one would make
  // the first resumed step's sqrt(v) NaN, and its weights with it (found by the checkpoint
  // mutation fuzz, tests/cli/test_checkpoint_mutation.py).
  for (const ParamSlice& slice : layout.slices()) {
    for (std::size_t i = 0; i < slice.size; ++i) {
      const float v = state.adam.v[slice.offset + i];
      if (v < 0) {
        fail(source, ": tensor '", training_prefixes[2], slice.name, "' holds a negative second moment (",
             v, ") at index ", i, ": Adam's second moments are never negative");
      }
    }
  }
  state.adam.step = config_field<std::int64_t>(json, "adam_step", source);
  state.ema.updates = config_field<std::int64_t>(json, "ema_updates", source);
  state.ema.weights = c.ema_params;
  read_t_history(state, c, file, source);
  if (state.adam.step < 0 || state.ema.updates < 0) fail(source, ": negative optimizer step counts");
  c.training = std::move(state);
  if (c.data.stored) read_training_set(c, file, source);
}

// Every tensor must be one the configuration explains.
void reject_unknown_tensors(const Safetensors& file, const ParamLayout& layout, bool training,
                            bool stored_data, std::string_view source) {
  std::set<std::string> known;
  for (const ParamSlice& s : layout.slices()) {
    known.insert(s.name);
    if (training) {
      for (const char* prefix : training_prefixes) known.insert(prefix + s.name);
    }
  }
  if (training && stored_data) {
    known.insert("training.data");
    known.insert("training.labels");
  }
  if (training) {
    known.insert("training.t_history");
    known.insert("training.t_history_counts");
  }
  for (const SafetensorsTensor& t : file.tensors) {
    if (known.count(t.name) == 0) fail(source, ": unexpected tensor '", t.name, "' for this model configuration");
  }
}

}  // namespace

namespace {

void read_data_config(CheckpointData& data, const nlohmann::json& json, std::string_view source) {
  data.source = config_field<std::string>(json, "source", source);
  data.normalization = normalization_from_json(config_field<nlohmann::json>(json, "normalization", source));
  data.train_size = config_field<std::size_t>(json, "train_size", source);
  data.shape = config_field<std::vector<std::size_t>>(json, "shape", source);
  data.classes = config_field<std::size_t>(json, "classes", source);
  data.class_names = config_field<std::vector<std::string>>(json, "class_names", source);
  data.stored = config_field<bool>(json, "stored", source);
  const std::string fingerprint = config_field<std::string>(json, "fingerprint", source);
  if (fingerprint.size() != 16 || fingerprint.find_first_not_of("0123456789abcdef") != std::string::npos) {
    fail(source, ": data fingerprint '", fingerprint, "' is not 16 hexadecimal digits");
  }
  data.fingerprint = std::stoull(fingerprint, nullptr, 16);
  if (!data.class_names.empty() && data.class_names.size() != data.classes) {
    fail(source, ": the data has ", data.classes, " classes but ", data.class_names.size(), " class names");
  }
  if (data.shape.empty() || data.shape.size() > 3 || sample_shape_size(data.shape) < 1 ||
      sample_shape_size(data.shape) > (1u << 24)) {
    fail(source, ": data shape has ", data.shape.size(), " dimensions of ",
         sample_shape_size(data.shape), " values: expected 1 to 3 dimensions, 1 to 2^24 values");
  }
  if (static_cast<std::int64_t>(data.classes) > model_classes_range.max) {
    fail(source, ": data classes = ", data.classes, " is out of range: allowed is 0..",
         model_classes_range.max);
  }
}

void check_consistency(const Checkpoint& c, std::string_view source) {
  const SampleShape shape = model_sample_shape(c.model);
  if (c.data.shape != shape) {
    fail(source, ": the data's sample shape has ", sample_shape_size(c.data.shape),
         " values but the model's has ", sample_shape_size(shape));
  }
  if (!c.data.normalization.discrete() && c.data.normalization.mean.size() != sample_shape_size(shape)) {
    fail(source, ": the normalization has ", c.data.normalization.mean.size(),
         " dimensions but the model has D = ", sample_shape_size(shape));
  }
  const std::size_t K = model_classes(c.model);
  if (K > 0 && c.data.classes != K) {
    fail(source, ": the model has ", K, " classes but its data's labels have ", c.data.classes);
  }
  if (c.step < 0) fail(source, ": step = ", c.step, " is invalid");
  if (c.diffusion.learned_variance != model_output_doubled(c.model)) {
    fail(source, ": the diffusion config ", c.diffusion.learned_variance ? "learns" : "does not learn",
         " a variance but the model's output is ", model_output_doubled(c.model) ? "" : "not ",
         "doubled");
  }
}

// Every configuration field of `json` into c (c.format_version says whether to upgrade it first).
void read_config_fields(Checkpoint& c, nlohmann::json json, std::string_view source) {
  try {
    if (c.format_version == 1) upgrade_version_1(json, source);
    c.schedule = schedule_config_from_json(config_field<nlohmann::json>(json, "schedule", source));
    c.diffusion = diffusion_config_from_json(config_field<nlohmann::json>(json, "diffusion", source));
    c.model = model_config_from_json(config_field<nlohmann::json>(json, "model", source));
    c.train = train_config_from_json(config_field<nlohmann::json>(json, "train", source));
    read_data_config(c.data, config_field<nlohmann::json>(json, "data", source), source);
    c.step = config_field<std::int64_t>(json, "step", source);
    c.written_by = json.value("diffuse_version", std::string("?"));
  } catch (const Error& e) {
    const std::string what = e.what();
    if (what.rfind(std::string(source), 0) == 0) throw;
    fail(source, ": ", what);
  } catch (const nlohmann::json::exception& e) {
    fail(source, ": metadata 'config' is malformed (", e.what(), ")");
  }
  check_consistency(c, source);
}

}  // namespace

Checkpoint checkpoint_config_read(const nlohmann::json& json, std::string_view source) {
  if (!json.is_object()) fail(source, ": the configuration is not a JSON object");
  Checkpoint c;
  read_config_fields(c, json, source);
  c.written_by = version_string;
  return c;
}

Checkpoint checkpoint_read(const std::uint8_t* bytes, std::size_t size, std::string_view source) {
  const Safetensors file = safetensors_read(bytes, size, source);
  nlohmann::json json = parse_config(file, source);
  Checkpoint c;
  c.format_version = std::stoi(file.metadata.at("format_version"));
  read_config_fields(c, json, source);  // a copy: read_training_state reads json again
  const ParamLayout layout = model_param_layout(c.model);
  c.ema_params = param_tensors_read(file, layout, "", source);
  // Training state is all or nothing: its first parameter slice decides, and a missing rest fails.
  const bool training = file.find("training.data") != nullptr ||
                        file.find(std::string(training_prefixes[0]) + layout.slices().front().name) != nullptr;
  reject_unknown_tensors(file, layout, training, c.data.stored, source);
  if (training) read_training_state(c, file, layout, json, source);
  return c;
}

}  // namespace diffuse
