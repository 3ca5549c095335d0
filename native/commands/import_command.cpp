// diffuse import: a diffusers DDPMPipeline folder of our U-Net family (what diffuse export
// --format diffusers writes, or diffusers' own save_pretrained of such a model) as a diffuse
// checkpoint that sample, predict, info and elbo accept: sampling only, no training state, like
// an export. Every file is validated before anything is written (io/diffusers_pipeline.hpp).
//
// The name mirrors export: `export --format diffusers` leaves diffuse, `import` comes back, and
// diffusers' folder is the only foreign format there is to import.
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
#include "support/arguments.hpp"
#include "support/checkpoint_file.hpp"

namespace diffuse::cli {
namespace {

constexpr std::uint64_t max_json_bytes = 1u << 20;

struct ImportOptions {
  std::string folder, out, dataset;
};

// The bytes of `file` in the folder after checking its size, so that nothing larger than
// `max_bytes` is read. Errors name the file relative to the folder (the caller names the folder).
std::string read_bounded(const ImportOptions& o, const char* file, std::uint64_t max_bytes, const char* what) {
  const std::string path = o.folder + (o.folder.back() == '/' ? "" : "/") + file;
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) fail(file, ": cannot read it: ", std::strerror(errno));
  if (!S_ISREG(info.st_mode)) fail(file, ": not a regular file");
  if (static_cast<std::uint64_t>(info.st_size) > max_bytes) {
    fail(file, ": ", info.st_size, " bytes, more than ", what, " can have (", max_bytes, ")");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(file, ": cannot open it");
  std::string bytes(static_cast<std::size_t>(info.st_size), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (in.gcount() != static_cast<std::streamsize>(bytes.size())) fail(file, ": reading failed");
  return bytes;
}

nlohmann::json read_json(const ImportOptions& o, const char* file) {
  return diffusers_json_parse(read_bounded(o, file, max_json_bytes, "a configuration file"), file);
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

void run_import(const ImportOptions& o) {
  struct stat info {};
  if (::stat(o.folder.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    fail("folder '", o.folder, "' is not a directory: give the folder diffuse export --format ",
         "diffusers (or diffusers' save_pretrained) wrote");
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
    const std::string bytes =
        read_bounded(o, weights, diffusers_unet_weights_max_bytes(unet), "the weights of this unet/config.json");
    Safetensors file = safetensors_read(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), weights);
    AlignedBuffer params = diffusers_unet_weights_read(std::move(file), unet, weights);
    c = diffusers_checkpoint(scheduler, unet, std::move(params), o.folder, dataset);
  } catch (const Error& e) {
    fail("folder '", o.folder, "': ", e.what());
  }
  run_work([&] {
    checkpoint_save(o.out, c);
    std::cout << "wrote " << o.out << ": " << model_describe(c.model) << ", predicts "
              << predictions.name(c.diffusion.prediction) << "; " << schedule_kinds.name(c.schedule.kind)
              << " T=" << c.schedule.timesteps << "; data " << c.data.source << " (levels "
              << c.data.normalization.levels << "); sampling only, no training state\n";
    const std::string flags = sampling_flags(scheduler.sampling);
    if (!flags.empty()) {
      std::cout << "to sample as its DDPMScheduler does: diffuse sample --model " << o.out << flags << "\n";
    }
  });
}

}  // namespace

void add_import_command(CLI::App& app) {
  auto o = std::make_shared<ImportOptions>();
  CLI::App* c = app.add_subcommand(
      "import", "Read a diffusers DDPMPipeline folder (from diffuse export --format diffusers) as a checkpoint");
  c->add_option("folder", o->folder,
                "The folder: model_index.json, scheduler/scheduler_config.json, unet/config.json, "
                "unet/diffusion_pytorch_model.safetensors")
      ->required()
      ->type_name("DIR");
  c->add_option("--out", o->out, "The checkpoint, .safetensors (written atomically)")
      ->required()
      ->type_name("FILE");
  c->add_option("--dataset", o->dataset,
                "The image data set the model was trained on: its levels and class names for PNG "
                "grids and diffuse elbo (default: 256 levels, as diffusers' 8-bit images)")
      ->check(one_of(image_datasets.names()))
      ->type_name("NAME");
  c->footer(
      "Every key of the three JSON files and every tensor is checked: values outside diffuse's "
      "U-Net family (docs/diffusers-unet.md) or its DDPM sampler are refused by name "
      "(docs/diffusers-export.md). The checkpoint can be sampled, predicted and evaluated, not "
      "resumed; diffusers' files hold no training settings, so info shows diffuse's defaults "
      "and step 0.");
  c->callback([o] { run_import(*o); });
}

}  // namespace diffuse::cli
