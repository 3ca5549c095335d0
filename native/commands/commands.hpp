#pragma once
// Each command adds itself to the application; main() lists them.
#include <CLI/CLI.hpp>

namespace diffuse::cli {

void add_schedule_command(CLI::App& app);
void add_data_command(CLI::App& app);
void add_train_command(CLI::App& app);
void add_sample_command(CLI::App& app);
void add_elbo_command(CLI::App& app);
void add_nll_command(CLI::App& app);
void add_eval_command(CLI::App& app);
void add_info_command(CLI::App& app);
void add_export_command(CLI::App& app);
void add_import_command(CLI::App& app);
void add_predict_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_classifier_command(CLI::App& app);
void add_sweep_command(CLI::App& app);

}  // namespace diffuse::cli
