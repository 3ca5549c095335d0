// diffuse info: what a checkpoint holds (its configuration, step, size, whether it can resume),
// readably or as JSON. The file is validated first, exactly as every other command reads it.
#include <sys/stat.h>

#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "cli.hpp"
#include "commands/commands.hpp"
#include "io/safetensors.hpp"
#include "support/arguments.hpp"
#include "support/checkpoint_file.hpp"

namespace diffuse::cli {
namespace {

struct InfoOptions {
  std::string path, format = "text";
};

std::string list(const std::vector<double>& values) {
  std::string out = "(";
  for (std::size_t i = 0; i < values.size(); ++i) {
    std::ostringstream v;
    v.precision(4);
    v << values[i];
    out += (i ? ", " : "") + v.str();
  }
  return out + ")";
}

// 37762 -> "37,762"
std::string grouped(std::size_t value) {
  std::string digits = std::to_string(value);
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3)
    digits.insert(static_cast<std::size_t>(i), ",");
  return digits;
}

std::string model_text(const Checkpoint& c) {
  if (c.diffusion.objective == Objective::flow) {
    return model_describe(c.model) + ", flow matching: predicts the velocity eps - x_0 (shift " +
           format_number(c.diffusion.flow_shift) + ")";
  }
  return model_describe(c.model) + ", predicts " + predictions.name(c.diffusion.prediction);
}

std::string shape_text(const SampleShape& shape) {
  std::string out;
  for (std::size_t i = 0; i < shape.size(); ++i) out += (i ? "x" : "") + std::to_string(shape[i]);
  return out;
}

std::string data_text(const CheckpointData& d) {
  const bool points = d.shape.size() == 1;
  std::string out = d.source + ", " + grouped(d.train_size) + (points ? " points" : " samples of " + shape_text(d.shape));
  if (d.normalization.discrete()) {
    return out + "; levels 0.." + std::to_string(d.normalization.levels - 1) + " mapped to [-1, 1]";
  }
  return out + "; normalized with mean " + list(d.normalization.mean) + ", std " +
         list(d.normalization.stddev);
}

std::string classes_text(const Checkpoint& c) {
  const std::size_t K = model_classes(c.model);
  if (K > 0) {
    std::string names;  // "0 T-shirt/top, 1 Trouser, ..." when the classes have names
    for (std::size_t k = 0; k < c.data.class_names.size(); ++k) {
      if (c.data.class_names[k] == std::to_string(k)) continue;  // the digits: names add nothing
      names += (names.empty() ? "; " : ", ") + std::to_string(k) + " " + c.data.class_names[k];
    }
    return std::to_string(K) + " (labels 0.." + std::to_string(K - 1) + "; " + std::to_string(K) +
           " is the null class of classifier-free guidance), label dropout " +
           format_number(c.train.label_dropout) + names;
  }
  return "none: unconditional" +
         (c.data.classes > 0 ? " (its data has " + std::to_string(c.data.classes) + " classes)"
                             : std::string());
}

std::string schedule_text(const ScheduleConfig& s) {
  std::ostringstream out;
  out << schedule_kinds.name(s.kind) << ", T = " << s.timesteps;
  if (s.kind != ScheduleKind::cosine) out << ", beta " << s.beta_start << " .. " << s.beta_end;
  if (s.zero_terminal_snr) out << ", rescaled to zero terminal SNR";
  out << "; alpha_bar at t = T-1: " << schedule_make(s).alpha_bar(s.timesteps - 1);
  return out.str();
}

std::string training_text(const TrainConfig& t, bool learned_variance) {
  std::ostringstream out;
  out << t.steps << " steps of batch " << t.batch << ", " << optimizer_kinds.name(t.optimizer.kind)
      << " (beta1 " << t.optimizer.beta1 << ", beta2 " << t.optimizer.beta2 << ", eps "
      << t.optimizer.eps;
  if (t.optimizer.kind == OptimizerKind::adamw)
    out << ", weight decay " << t.optimizer.weight_decay;
  out << "), lr " << t.learning_rate << " " << lr_schedule_kinds.name(t.lr_schedule) << " after "
      << t.warmup_steps << " warm-up steps, grad clip "
      << (t.grad_clip > 0 ? format_number(t.grad_clip) : "off") << ", EMA " << t.ema_decay
      << ", loss " << predictions.name(t.loss.space);
  if (t.loss.weighting == LossWeighting::min_snr) out << " with min_snr gamma " << t.loss.snr_gamma;
  if (learned_variance) {
    out << " + " << format_number(t.vlb_weight) << " L_vlb (hybrid), t "
        << timestep_samplings.name(t.t_sampling);
  }
  out << ", seed " << t.seed;
  return out.str();
}

std::string resume_text(const Checkpoint& c) {
  if (!c.training) return "no: an export (EMA weights and configuration only)";
  const std::string step = "(step " + std::to_string(c.training->adam.step) + ")";
  if (c.data.stored) return "yes: raw weights, Adam moments " + step + " and the training set are saved";
  return "yes: raw weights and Adam moments " + step + " are saved; the training set (" +
         c.data.source + ") is loaded again by name and checked against its fingerprint";
}

void print_text(const InfoOptions& o, const Checkpoint& c, const Safetensors& file,
                std::size_t bytes) {
  const auto row = [](const char* name, const std::string& value) {
    std::cout << std::left << std::setw(11) << name << value << '\n';
  };
  row("file", o.path + " (" + grouped(bytes) + " bytes, " + std::to_string(file.tensors.size()) +
                  " tensors, written by diffuse " + c.written_by + ", format version " +
                  std::to_string(c.format_version) + ")");
  // diffuse import writes no training record: no steps, no training set (train_size 0).
  const bool imported = !c.training && c.data.train_size == 0;
  const char* unrecorded = "not recorded (imported from a diffusers folder by diffuse import)";
  row("step", imported ? unrecorded
                       : std::to_string(c.step) + " of " + std::to_string(c.train.steps) +
                             (c.step >= c.train.steps ? " (finished)" : " (stopped early)"));
  row("resume", imported ? "no: an import (weights and configuration only)" : resume_text(c));
  row("model", model_text(c));
  row("classes", imported && model_classes(c.model) > 0
                     ? std::to_string(model_classes(c.model)) + " (labels 0.." +
                           std::to_string(model_classes(c.model) - 1) + "; " +
                           std::to_string(model_classes(c.model)) +
                           " is the null class of classifier-free guidance)"
                     : classes_text(c));
  row("schedule", schedule_text(c.schedule));
  row("training", imported ? unrecorded : training_text(c.train, c.diffusion.learned_variance));
  row("data", imported ? c.data.source + ", " + shape_text(c.data.shape) + " images; levels 0.." +
                             std::to_string(c.data.normalization.levels - 1) + " mapped to [-1, 1]"
                       : data_text(c.data));
}

void print_json(const InfoOptions& o, const Checkpoint& c, const Safetensors& file,
                std::size_t bytes) {
  nlohmann::ordered_json j;
  j["file"] = o.path;
  j["bytes"] = bytes;
  j["format"] = file.metadata.at("format");
  j["format_version"] = std::stoi(file.metadata.at("format_version"));
  j["model_kind"] = model_kind(c.model);
  j["parameters"] = model_param_layout(c.model).count();
  j["classes"] = model_classes(c.model);
  j["can_resume"] = c.training.has_value();
  j["finished"] = c.step >= c.train.steps;
  j["alpha_bar_last"] = schedule_make(c.schedule).alpha_bar(c.schedule.timesteps - 1);
  j["config"] = nlohmann::ordered_json::parse(file.metadata.at("config"));
  nlohmann::ordered_json tensors = nlohmann::ordered_json::array();
  for (const SafetensorsTensor& t : file.tensors)
    tensors.push_back({{"name", t.name}, {"shape", t.shape}});
  j["tensors"] = tensors;
  std::cout << j.dump(2) << '\n';
}

void run_info(const InfoOptions& o) {
  const Checkpoint c = checkpoint_load("checkpoint", o.path);  // validates everything
  const std::string bytes = read_input_file("checkpoint", o.path);
  const Safetensors file =
      safetensors_read(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), o.path);
  if (o.format == "json") {
    print_json(o, c, file, bytes.size());
  } else {
    print_text(o, c, file, bytes.size());
  }
}

}  // namespace

void add_info_command(CLI::App& app) {
  auto o = std::make_shared<InfoOptions>();
  CLI::App* c = app.add_subcommand("info", "Show a checkpoint's configuration, step and contents");
  c->add_option("checkpoint", o->path, "A .safetensors checkpoint from diffuse train or export")
      ->required()
      ->type_name("FILE");
  c->add_option("--format", o->format, "text | json")
      ->check(one_of({"text", "json"}))
      ->capture_default_str()
      ->type_name("NAME");
  c->footer(
      "The checkpoint is validated as every command reads it; --format json prints its stored "
      "configuration as is.");
  c->callback([o] { run_info(*o); });
}

}  // namespace diffuse::cli
