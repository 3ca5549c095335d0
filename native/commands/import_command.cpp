// diffuse import: a model from outside as a diffuse checkpoint that sample, predict, info and
// elbo accept (and the page loads): sampling only, no training state, like an export. Two sources:
//   --from diffusers DIR (the default, so `diffuse import DIR` reads it): a DDPMPipeline folder of
//     our U-Net family, what diffuse export --format diffusers writes or diffusers' own
//     save_pretrained of such a model (io/diffusers_pipeline.hpp; docs/diffusers-export.md);
//   --from torch F.safetensors --config C.json: a PyTorch state_dict under diffuse's names and the
//     diffuse configuration it was trained under (io/torch_state_dict.hpp; docs/torch.md). The CLI
//     reads no pickles: python/diffuse_torch converts a .pt state_dict to .safetensors first.
// Every file is validated, with its size bounded, before anything is written.
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "base/error.hpp"
#include "cli.hpp"
#include "commands/commands.hpp"
#include "io/diffusers_json.hpp"
#include "io/diffusers_pipeline.hpp"
#include "io/diffusers_unet_config.hpp"
#include "io/param_tensors.hpp"
#include "io/torch_state_dict.hpp"
#include "support/arguments.hpp"
#include "support/checkpoint_file.hpp"

namespace diffuse::cli {
namespace {

constexpr std::uint64_t max_json_bytes = 1u << 20;

struct ImportOptions {
  std::string source, out, from = "diffusers", config, dataset;
};

// The bytes of the file at `path` after checking its size, so that nothing larger than
// `max_bytes` is read. Errors name `shown` (the caller adds what it belongs to).
std::string read_bounded(const std::string& path, const std::string& shown, std::uint64_t max_bytes,
                         const char* what) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) fail(shown, ": cannot read it: ", std::strerror(errno));
  if (!S_ISREG(info.st_mode)) fail(shown, ": not a regular file");
  if (static_cast<std::uint64_t>(info.st_size) > max_bytes) {
    fail(shown, ": ", info.st_size, " bytes, more than ", what, " can have (", max_bytes, ")");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(shown, ": cannot open it");
  std::string bytes(static_cast<std::size_t>(info.st_size), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (in.gcount() != static_cast<std::streamsize>(bytes.size())) fail(shown, ": reading failed");
  return bytes;
}

// A file of the diffusers folder, named relative to it (the caller names the folder).
std::string read_in_folder(const ImportOptions& o, const char* file, std::uint64_t max_bytes, const char* what) {
  return read_bounded(o.source + (o.source.back() == '/' ? "" : "/") + file, file, max_bytes, what);
}

nlohmann::json read_json(const ImportOptions& o, const char* file) {
  return diffusers_json_parse(read_in_folder(o, file, max_json_bytes, "a configuration file"), file);
}

// Flags of `diffuse sample` that sample as the folder's scheduler does, where that is not what
// sample does without flags.
std::string sampling_flags(const SamplerConfig& s) {
  const SamplerConfig defaults;
  std::string flags;
  // learned_range is what sample does without flags for a model with a learned variance.
  if (s.variance != defaults.variance && s.variance != ReverseVariance::learned_range) {
    flags += " --variance " + reverse_variances.name(s.variance);
  }
  if (sampler_spacing(s) != sampler_spacing(defaults)) {
    flags += " --spacing " + timestep_spacings.name(sampler_spacing(s));
  }
  if (s.clip_sample) flags += " --clip-sample --clip-range " + format_number(s.clip_range);
  return flags;
}

void write_imported(const ImportOptions& o, const Checkpoint& c, const std::string& sample_flags) {
  run_work([&] {
    checkpoint_save(o.out, c);
    std::cout << "wrote " << o.out << ": " << model_describe(c.model) << ", predicts "
              << predictions.name(c.diffusion.prediction) << "; " << schedule_kinds.name(c.schedule.kind)
              << " T=" << c.schedule.timesteps << "; data " << c.data.source;
    if (c.data.normalization.discrete()) std::cout << " (levels " << c.data.normalization.levels << ")";
    std::cout << "; sampling only, no training state\n";
    if (!sample_flags.empty()) {
      std::cout << "to sample as its DDPMScheduler does: diffuse sample --model " << o.out << sample_flags << "\n";
    }
  });
}

void import_diffusers(const ImportOptions& o) {
  if (!o.config.empty()) fail("--config is for --from torch: a diffusers folder holds its own configuration");
  struct stat info {};
  if (::stat(o.source.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    fail("folder '", o.source, "' is not a directory: give the folder diffuse export --format ",
         "diffusers (or diffusers' save_pretrained) wrote, or --from torch for a state_dict file");
  }
  check_output_path("--out", o.out, {".safetensors"});
  std::optional<ImageDataset> dataset;
  if (!o.dataset.empty()) dataset = image_datasets.value(o.dataset);
  Checkpoint c;
  DiffusersScheduler scheduler;
  try {
    diffusers_model_index_check(read_json(o, diffusers_model_index_file));
    scheduler = diffusers_scheduler_config_from_json(read_json(o, diffusers_scheduler_file));
    const UNetConfig unet = diffusers_unet_config_from_json(read_json(o, diffusers_unet_config_file));
    const char* weights = diffusers_unet_weights_file;
    const std::string bytes = read_in_folder(o, weights, diffusers_unet_weights_max_bytes(unet),
                                             "the weights of this unet/config.json");
    Safetensors file = safetensors_read(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), weights);
    AlignedBuffer params = diffusers_unet_weights_read(std::move(file), unet, weights);
    c = diffusers_checkpoint(scheduler, unet, std::move(params), o.source, dataset);
  } catch (const Error& e) {
    fail("folder '", o.source, "': ", e.what());
  }
  write_imported(o, c, sampling_flags(scheduler.sampling));
}

void import_torch(const ImportOptions& o) {
  if (o.config.empty()) {
    fail("--from torch needs --config C.json: the diffuse configuration of the state_dict ",
         "(python3 -m diffuse_torch config CHECKPOINT prints a checkpoint's)");
  }
  if (!o.dataset.empty()) fail("--dataset is for --from diffusers: --config records the data");
  check_input_file("weights", o.source);
  check_input_file("--config", o.config);
  check_output_path("--out", o.out, {".safetensors"});
  check_not_input("--out", o.out, "weights", o.source);
  check_not_input("--out", o.out, "--config", o.config);
  const std::string config_text = read_bounded(o.config, "'" + o.config + "'", max_json_bytes, "a configuration file");
  const nlohmann::json config = diffusers_json_parse(config_text, "'" + o.config + "'");
  // The configuration's parameter count bounds the weights file before a byte of it is read.
  const Checkpoint shape = checkpoint_config_read(config, "'" + o.config + "'");
  const std::string shown = "'" + o.source + "'";
  const std::string bytes = read_bounded(o.source, shown, param_tensors_max_file_bytes(model_param_layout(shape.model)),
                                         "the weights of this configuration");
  const Safetensors file = safetensors_read(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), shown);
  write_imported(o, torch_state_dict_checkpoint(file, config, shown, "'" + o.config + "'"), "");
}

void run_import(const ImportOptions& o) {
  if (o.from == "torch") {
    import_torch(o);
  } else {
    import_diffusers(o);
  }
}

}  // namespace

void add_import_command(CLI::App& app) {
  auto o = std::make_shared<ImportOptions>();
  CLI::App* c = app.add_subcommand(
      "import", "Read a diffusers DDPMPipeline folder or a PyTorch state_dict as a checkpoint");
  c->add_option("source", o->source,
                "--from diffusers: the folder (model_index.json, scheduler/scheduler_config.json, "
                "unet/config.json, unet/diffusion_pytorch_model.safetensors); --from torch: the "
                "state_dict as .safetensors")
      ->required()
      ->type_name("PATH");
  c->add_option("--from", o->from,
                "diffusers (a DDPMPipeline folder, from diffuse export --format diffusers) | torch "
                "(a state_dict under diffuse's names, with --config)")
      ->check(one_of({"diffusers", "torch"}))
      ->capture_default_str()
      ->type_name("NAME");
  c->add_option("--config", o->config,
                "--from torch: the diffuse configuration JSON (a checkpoint's config: python3 -m "
                "diffuse_torch config CHECKPOINT)")
      ->type_name("FILE");
  c->add_option("--out", o->out, "The checkpoint, .safetensors (written atomically)")
      ->required()
      ->type_name("FILE");
  c->add_option("--dataset", o->dataset,
                "--from diffusers: the image data set the model was trained on: its levels and class "
                "names for PNG grids and diffuse elbo (default: 256 levels, as diffusers' 8-bit images)")
      ->check(one_of(image_datasets.names()))
      ->type_name("NAME");
  c->footer(
      "diffusers: every key of the three JSON files and every tensor is checked: values outside "
      "diffuse's U-Net family (docs/diffusers-unet.md) or its DDPM sampler are refused by name "
      "(docs/diffusers-export.md). torch: every configuration field and tensor is checked; "
      "python/diffuse_torch writes both files and converts .pt state_dicts (docs/torch.md). The "
      "checkpoint can be sampled, predicted and evaluated, not resumed.");
  c->callback([o] { run_import(*o); });
}

}  // namespace diffuse::cli
