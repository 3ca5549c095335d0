// diffuse export: a checkpoint without its training state: the EMA weights under PyTorch's names,
// the configuration and the normalization. A quarter of the size, and what a torch.nn.Module built
// from docs/reference-workload.md loads with load_state_dict(strict=True) as is.
#include <iostream>
#include <memory>
#include <string>

#include "cli.hpp"
#include "commands/commands.hpp"
#include "support/arguments.hpp"
#include "support/checkpoint_file.hpp"

namespace diffuse::cli {
namespace {

struct ExportOptions {
  std::string path, out;
};

void run_export(const ExportOptions& o) {
  const Checkpoint c = checkpoint_load("checkpoint", o.path);
  check_output_path("--out", o.out, {".safetensors"});
  run_work([&] {
    checkpoint_save(o.out, checkpoint_export(c));
    std::cout << "wrote " << o.out << ": the EMA weights (" << model_param_layout(c.model).count()
              << " parameters) of step " << c.step
              << " with the configuration, without training state\n";
  });
}

}  // namespace

void add_export_command(CLI::App& app) {
  auto o = std::make_shared<ExportOptions>();
  CLI::App* c = app.add_subcommand(
      "export", "Write a checkpoint's EMA weights and configuration only (loadable by PyTorch)");
  c->add_option("checkpoint", o->path, "A checkpoint from diffuse train")
      ->required()
      ->type_name("FILE");
  c->add_option("--out", o->out, "The export, .safetensors (written atomically)")
      ->required()
      ->type_name("FILE");
  c->footer(
      "The export keeps the tensors a torch.nn.Module of docs/reference-workload.md loads with "
      "load_state_dict(strict=True); it can be sampled and evaluated, not resumed.");
  c->callback([o] { run_export(*o); });
}

}  // namespace diffuse::cli
