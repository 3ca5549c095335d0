// diffuse schedule: print a noise schedule and every table derived from it (seed 004 eq. 11-12),
// one row per diffusers index t = 0..T-1 (the seeds' step t + 1).
#include <iostream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "cli.hpp"
#include "commands/commands.hpp"
#include "diffusion/schedule.hpp"

namespace diffuse::cli {
namespace {

struct ScheduleOptions {
  std::string kind = "linear";
  int timesteps = 1000;
  double beta_start = 1e-4;
  double beta_end = 0.02;
  bool zero_snr = false;
  std::string format = "csv";
};

void print_csv(const NoiseSchedule& schedule, std::ostream& out) {
  const auto columns = schedule_columns(schedule);
  out << "t";
  for (const auto& column : columns) out << ',' << column.name;
  out << '\n';
  for (int t = 0; t < schedule.T; ++t) {
    out << t;
    for (const auto& column : columns) out << ',' << format_number((*column.values)(t));
    out << '\n';
  }
}

void print_json(const NoiseSchedule& schedule, std::ostream& out) {
  nlohmann::ordered_json json;
  json["schedule"] = schedule_kinds.name(schedule.config.kind);
  json["timesteps"] = schedule.T;
  json["beta_start"] = schedule.config.beta_start;
  json["beta_end"] = schedule.config.beta_end;
  json["zero_terminal_snr"] = schedule.config.zero_terminal_snr;
  for (const auto& column : schedule_columns(schedule)) {
    json[column.name] = std::vector<double>(column.values->begin(), column.values->end());
  }
  out << json.dump() << '\n';
}

void run_schedule(const ScheduleOptions& options, const CLI::App& command) {
  ScheduleConfig config;
  config.kind = schedule_kinds.value(options.kind);
  config.timesteps = options.timesteps;
  config.beta_start = options.beta_start;
  config.beta_end = options.beta_end;
  config.zero_terminal_snr = options.zero_snr;
  if (config.kind == ScheduleKind::cosine) {
    for (const char* flag : {"--beta-start", "--beta-end"}) {
      if (command.count(flag) > 0) {
        fail(flag, " has no effect with --schedule cosine: its betas follow from alpha_bar(s) = ",
             "cos^2((s + 0.008) / 1.008 * pi / 2)");
      }
    }
  }
  if (options.format != "csv" && options.format != "json") {
    fail("--format ", options.format, " is unknown: allowed are csv, json");
  }
  const NoiseSchedule schedule = schedule_make(config);
  if (options.format == "csv") {
    print_csv(schedule, std::cout);
  } else {
    print_json(schedule, std::cout);
  }
}

}  // namespace

void add_schedule_command(CLI::App& app) {
  auto options = std::make_shared<ScheduleOptions>();
  CLI::App* command = app.add_subcommand(
      "schedule", "Print a noise schedule and its derived tables (beta, alpha_bar, posterior, SNR)");
  command->add_option("--schedule", options->kind,
                      "linear | scaled_linear | cosine | sigmoid (diffusers' definitions)")
      ->capture_default_str();
  command->add_option("--timesteps,-T", options->timesteps, "Number of diffusion steps T (>= 2)")
      ->capture_default_str();
  command->add_option("--beta-start", options->beta_start, "First beta, in (0, 1)")
      ->capture_default_str();
  command->add_option("--beta-end", options->beta_end, "Last beta, in (0, 1), >= beta-start")
      ->capture_default_str();
  command->add_flag("--zero-snr", options->zero_snr,
                    "Rescale to zero terminal SNR (Lin et al. 2024): last alpha_bar = 0");
  command->add_option("--format", options->format, "csv | json")->capture_default_str();
  command->callback([options, command] { run_schedule(*options, *command); });
}

}  // namespace diffuse::cli
