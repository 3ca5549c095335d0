// diffuse: train, sample and evaluate diffusion models from the command line.
#include "cli.hpp"
#include "commands/commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"diffuse: train, sample and evaluate diffusion models.", "diffuse"};
  app.set_version_flag("--version", diffuse::cli::version_text(),
                       "Print the version and SIMD arch");
  app.require_subcommand(1, 1);
  app.footer(
      "Run 'diffuse COMMAND --help' for a command's options. Exit codes: 0 success, 1 the "
      "work failed (e.g. training diverged, a write failed), 2 a bad argument or input file "
      "(nothing was written), 130 interrupted.");
  diffuse::cli::add_train_command(app);
  diffuse::cli::add_sample_command(app);
  diffuse::cli::add_elbo_command(app);
  diffuse::cli::add_nll_command(app);
  diffuse::cli::add_eval_command(app);
  diffuse::cli::add_sweep_command(app);
  diffuse::cli::add_info_command(app);
  diffuse::cli::add_export_command(app);
  diffuse::cli::add_import_command(app);
  diffuse::cli::add_predict_command(app);
  diffuse::cli::add_bench_command(app);
  diffuse::cli::add_schedule_command(app);
  diffuse::cli::add_data_command(app);
  diffuse::cli::add_classifier_command(app);
  return diffuse::cli::run(app, argc, argv);
}
