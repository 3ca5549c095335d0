#include "io/checkpoint.hpp"

#include <cstdio>
#include <istream>
#include <nlohmann/json.hpp>
#include <ostream>

#include "base/error.hpp"
#include "base/version.hpp"
#include "io/param_tensors.hpp"
#include "io/safetensors.hpp"

namespace diffuse {
namespace {

constexpr const char* prefix_params = "training.params.";
constexpr const char* prefix_adam_m = "training.adam_m.";
constexpr const char* prefix_adam_v = "training.adam_v.";
constexpr const char* name_data = "training.data";
constexpr const char* name_labels = "training.labels";
constexpr std::uint64_t max_checkpoint_bytes = 1ull << 32;

std::string config_json(const Checkpoint& c) {
  nlohmann::ordered_json json;
  json["schedule"] = schedule_config_to_json(c.schedule);
  json["diffusion"] = diffusion_config_to_json(c.diffusion);
  json["model"] = model_config_to_json(c.model);
  json["train"] = train_config_to_json(c.train);
  char fingerprint[17];
  std::snprintf(fingerprint, sizeof fingerprint, "%016llx", static_cast<unsigned long long>(c.data.fingerprint));
  json["data"] = {{"source", c.data.source},
                  {"normalization", normalization_to_json(c.data.normalization)},
                  {"train_size", c.data.train_size},
                  {"shape", c.data.shape},
                  {"classes", c.data.classes},
                  {"class_names", c.data.class_names},
                  {"stored", c.data.stored},
                  {"fingerprint", fingerprint}};
  json["step"] = c.step;
  if (c.training) {
    json["adam_step"] = c.training->adam.step;
    json["ema_updates"] = c.training->ema.updates;
  }
  json["diffuse_version"] = version_string;
  return json.dump();
}

}  // namespace

Checkpoint checkpoint_from_trainer(const Trainer& trainer) {
  const TrainingData& data = trainer.data();
  Checkpoint c;
  c.schedule = trainer.schedule_config();
  c.diffusion = trainer.diffusion_config();
  c.model = trainer.model_config();
  c.train = trainer.train_config();
  c.data = {data.source, data.normalization, data.size(), data.shape, data.classes,
            data.class_names, !data.reloadable,
            data.reloadable ? training_data_fingerprint(data) : 0};
  c.step = trainer.steps_done();
  c.ema_params = trainer.ema_weights();
  c.training = trainer.state();
  if (!data.reloadable) {
    c.train_samples = data.samples;
    c.train_labels = data.labels;
  }
  c.written_by = version_string;
  return c;
}

Checkpoint checkpoint_export(const Checkpoint& checkpoint) {
  Checkpoint out = checkpoint;
  out.training.reset();
  out.train_samples = Tensor2();
  out.train_labels = Labels();
  return out;
}

void checkpoint_write(std::ostream& out, const Checkpoint& c) {
  const ParamLayout layout = model_param_layout(c.model);
  std::vector<SafetensorsTensorView> views;
  param_tensors_add(views, layout, c.ema_params, "");
  std::vector<float> labels;  // whole numbers, exact in float32 (classes <= 1000)
  std::vector<float> history_counts;  // whole numbers 0..10
  if (c.training) {
    param_tensors_add(views, layout, c.training->params, prefix_params);
    param_tensors_add(views, layout, c.training->adam.m, prefix_adam_m);
    param_tensors_add(views, layout, c.training->adam.v, prefix_adam_v);
    if (c.data.stored) {
      views.push_back({name_data, {c.train_samples.shape(0), c.train_samples.shape(1)},
                       c.train_samples.data()});
    }
    if (!c.training->t_history.empty()) {  // importance-sampled t
      const std::size_t T = c.training->t_history_counts.size();
      views.push_back({"training.t_history", {T, static_cast<std::size_t>(loss_history_per_t)},
                       c.training->t_history.data()});
      history_counts.assign(c.training->t_history_counts.begin(), c.training->t_history_counts.end());
      views.push_back({"training.t_history_counts", {T}, history_counts.data()});
    }
    if (c.data.stored && c.train_labels.size() > 0) {
      labels.assign(c.train_labels.begin(), c.train_labels.end());
      views.push_back({name_labels, {labels.size()}, labels.data()});
    }
  }
  const SafetensorsMetadata metadata = {{"format", checkpoint_format_name},
                                        {"format_version", std::to_string(checkpoint_format_version)},
                                        {"config", config_json(c)}};
  safetensors_write(out, views, metadata);
}

Checkpoint checkpoint_read(std::istream& in, std::string_view source) {
  std::vector<std::uint8_t> bytes;
  char chunk[1 << 16];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    bytes.insert(bytes.end(), chunk, chunk + in.gcount());
    // (a uint64 comparison: on wasm32, size_t cannot reach 4 GiB and clang rejects the tautology)
    if (static_cast<std::uint64_t>(bytes.size()) > max_checkpoint_bytes) {
      fail(source, ": larger than 4 GiB, not a checkpoint");
    }
  }
  return checkpoint_read(bytes.data(), bytes.size(), source);
}

TrainingData checkpoint_training_data(const Checkpoint& c) {
  if (!c.data.stored) {
    fail("this checkpoint does not store its training data: it is the data set '", c.data.source,
         "', loaded again by name");
  }
  if (c.train_samples.size() == 0) fail("this checkpoint holds no training data (it is an export)");
  TrainingData data;
  data.samples = c.train_samples;
  data.shape = c.data.shape;
  data.labels = c.train_labels;
  data.classes = c.data.classes;
  data.normalization = c.data.normalization;
  data.source = c.data.source;
  data.class_names = c.data.class_names;
  return data;
}

std::unique_ptr<Trainer> checkpoint_resume(const Checkpoint& c) {
  if (!c.data.stored) {
    fail("this checkpoint does not store its training data ('", c.data.source,
         "'): load the data set and resume with it");
  }
  return checkpoint_resume(c, c.training ? checkpoint_training_data(c) : TrainingData{});
}

std::unique_ptr<Trainer> checkpoint_resume(const Checkpoint& c, TrainingData data) {
  if (!c.training) {
    fail("this checkpoint holds no training state (it is an export): it can be sampled but not resumed");
  }
  if (!c.data.stored) {
    if (data.size() != c.data.train_size || data.shape != c.data.shape ||
        training_data_fingerprint(data) != c.data.fingerprint) {
      fail("the data set '", c.data.source, "' loaded now is not the one this run trained on (",
           data.size(), " samples against ", c.data.train_size,
           ", or different values): its files changed since");
    }
    data.reloadable = true;
  }
  auto trainer = std::make_unique<Trainer>(c.schedule, c.diffusion, c.model, c.train, std::move(data));
  trainer->set_state(*c.training);
  return trainer;
}

std::unique_ptr<NetworkDenoiser> checkpoint_denoiser(const Checkpoint& c, bool use_ema) {
  if (!use_ema && !c.training) fail("this checkpoint holds no raw weights (it is an export): use the EMA weights");
  std::unique_ptr<Network> network = network_make(c.model);
  const AlignedBuffer& source = use_ema ? c.ema_params : c.training->params;
  std::copy(source.begin(), source.end(), network->params().begin());
  return std::make_unique<NetworkDenoiser>(std::move(network), c.diffusion.prediction);
}

}  // namespace diffuse
