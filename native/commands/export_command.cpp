// diffuse export: a checkpoint without its training state, in one of two forms.
//   safetensors (default): the EMA weights under PyTorch's names, the configuration and the
//     normalization. A quarter of the size, and what a torch.nn.Module built from
//     docs/reference-workload.md loads with load_state_dict(strict=True) as is.
//   diffusers: a U-Net checkpoint as the folder diffusers' DDPMPipeline.save_pretrained writes
//     (io/diffusers_pipeline.hpp; docs/diffusers-export.md), written as a whole or not at all
//     into a new or empty folder (support/atomic_folder.hpp). `diffuse import` reads it back.
#include <iostream>
#include <memory>
#include <string>
#include <variant>

#include "base/error.hpp"
#include "cli.hpp"
#include "commands/commands.hpp"
#include "io/diffusers_pipeline.hpp"
#include "support/arguments.hpp"
#include "support/atomic_folder.hpp"
#include "support/checkpoint_file.hpp"

namespace diffuse::cli {
namespace {

struct ExportOptions {
  std::string path, out, format = "safetensors";
};

void export_safetensors(const ExportOptions& o, const Checkpoint& c) {
  check_output_path("--out", o.out, {".safetensors"});
  check_not_input("--out", o.out, "checkpoint", o.path);  // an export cannot be resumed
  run_work([&] {
    checkpoint_save(o.out, checkpoint_export(c));
    std::cout << "wrote " << o.out << ": the EMA weights (" << model_param_layout(c.model).count()
              << " parameters) of step " << c.step
              << " with the configuration, without training state\n";
  });
}

void export_diffusers(const ExportOptions& o, const Checkpoint& c) {
  if (!std::holds_alternative<UNetConfig>(c.model)) {
    fail("--format diffusers needs a U-Net checkpoint (model kind \"unet\", from diffuse train ",
         "--dataset digits|fashion): '", o.path, "' holds a model of kind \"", model_kind(c.model),
         "\", which diffusers has no class for; export it with --format safetensors");
  }
  check_output_folder("--out", o.out);
  const DiffusersPipelineText text = diffusers_pipeline_text(c);
  run_work([&] {
    atomic_write_folder(o.out, {{diffusers_model_index_file, [&](std::ostream& s) { s << text.model_index; }},
                                {diffusers_scheduler_file, [&](std::ostream& s) { s << text.scheduler_config; }},
                                {diffusers_unet_config_file, [&](std::ostream& s) { s << text.unet_config; }},
                                {diffusers_unet_weights_file,
                                 [&](std::ostream& s) { diffusers_unet_weights_write(s, c); }}});
    std::cout << "wrote " << o.out << ": a diffusers DDPMPipeline (UNet2DModel with the EMA weights, "
              << model_param_layout(c.model).count() << " parameters, of step " << c.step
              << "; DDPMScheduler)\n";
  });
}

void run_export(const ExportOptions& o) {
  const Checkpoint c = checkpoint_load("checkpoint", o.path);
  if (o.format == "diffusers") {
    export_diffusers(o, c);
  } else {
    export_safetensors(o, c);
  }
}

}  // namespace

void add_export_command(CLI::App& app) {
  auto o = std::make_shared<ExportOptions>();
  CLI::App* c = app.add_subcommand(
      "export", "Write a checkpoint's EMA weights and configuration only (loadable by PyTorch or diffusers)");
  c->add_option("checkpoint", o->path, "A checkpoint from diffuse train")
      ->required()
      ->type_name("FILE");
  c->add_option("--out", o->out,
                "safetensors: the export, .safetensors (written atomically); diffusers: a new (or "
                "empty) folder, written as a whole or not at all")
      ->required()
      ->type_name("PATH");
  c->add_option("--format", o->format,
                "safetensors (diffuse's checkpoint without training state) | diffusers (a "
                "DDPMPipeline folder of a U-Net checkpoint)")
      ->check(one_of({"safetensors", "diffusers"}))
      ->capture_default_str()
      ->type_name("NAME");
  c->footer(
      "safetensors keeps the tensors a torch.nn.Module of docs/reference-workload.md loads with "
      "load_state_dict(strict=True); it can be sampled and evaluated, not resumed. diffusers "
      "writes model_index.json, scheduler/scheduler_config.json, unet/config.json and "
      "unet/diffusion_pytorch_model.safetensors for DDPMPipeline.from_pretrained and "
      "UNet2DModel.from_pretrained (docs/diffusers-export.md); diffuse import reads it back.");
  c->callback([o] { run_export(*o); });
}

}  // namespace diffuse::cli
