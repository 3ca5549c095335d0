#include "io/checkpoint.hpp"

#include <cmath>
#include <istream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <set>

#include "base/error.hpp"
#include "base/version.hpp"
#include "io/safetensors.hpp"

namespace diffuse {
namespace {

constexpr const char* prefix_params = "training.params.";
constexpr const char* prefix_adam_m = "training.adam_m.";
constexpr const char* prefix_adam_v = "training.adam_v.";
constexpr const char* name_data = "training.data";
constexpr std::uint64_t max_checkpoint_bytes = 1ull << 32;

// Views of every slice of a flat buffer, under prefix + slice name.
void add_views(std::vector<SafetensorsTensorView>& views, const ParamLayout& layout,
               const AlignedBuffer& buffer, const std::string& prefix) {
  for (const ParamSlice& s : layout.slices()) {
    views.push_back({prefix + s.name, s.shape, buffer.data() + s.offset});
  }
}

std::string config_json(const Checkpoint& c) {
  nlohmann::ordered_json json;
  json["schedule"] = schedule_config_to_json(c.schedule);
  json["model"] = mlp_config_to_json(c.model);
  json["train"] = train_config_to_json(c.train);
  json["data"] = {{"source", c.data.source},
                  {"normalization", normalization_to_json(c.data.normalization)},
                  {"train_size", c.data.train_size}};
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
  Checkpoint c;
  c.schedule = trainer.schedule_config();
  c.model = trainer.model_config();
  c.train = trainer.train_config();
  c.data = {trainer.data().source, trainer.data().normalization, trainer.data().points.shape(0)};
  c.step = trainer.steps_done();
  c.ema_params = trainer.ema_weights();
  c.training = trainer.state();
  c.train_points = trainer.data().points;
  return c;
}

Checkpoint checkpoint_export(const Checkpoint& checkpoint) {
  Checkpoint out = checkpoint;
  out.training.reset();
  out.train_points = Tensor2();
  return out;
}

void checkpoint_write(std::ostream& out, const Checkpoint& c) {
  const ParamLayout layout = mlp_param_layout(c.model);
  std::vector<SafetensorsTensorView> views;
  add_views(views, layout, c.ema_params, "");
  if (c.training) {
    add_views(views, layout, c.training->params, prefix_params);
    add_views(views, layout, c.training->adam.m, prefix_adam_m);
    add_views(views, layout, c.training->adam.v, prefix_adam_v);
    views.push_back({name_data, {c.train_points.shape(0), c.train_points.shape(1)}, c.train_points.data()});
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

std::unique_ptr<Trainer> checkpoint_resume(const Checkpoint& c) {
  if (!c.training) {
    fail("this checkpoint holds no training state (it is an export): it can be sampled but not resumed");
  }
  TrainingData data{c.train_points, c.data.normalization, c.data.source};
  auto trainer = std::make_unique<Trainer>(c.schedule, c.model, c.train, std::move(data));
  trainer->set_state(*c.training);
  return trainer;
}

std::unique_ptr<MlpDenoiser> checkpoint_denoiser(const Checkpoint& c, bool use_ema) {
  if (!use_ema && !c.training) fail("this checkpoint holds no raw weights (it is an export): use the EMA weights");
  auto model = std::make_unique<MlpDenoiser>(c.model);
  const AlignedBuffer& source = use_ema ? c.ema_params : c.training->params;
  std::copy(source.begin(), source.end(), model->params().begin());
  return model;
}

}  // namespace diffuse
