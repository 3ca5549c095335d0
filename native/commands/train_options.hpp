#pragma once
// diffuse train's flags and their validation, apart from the loop in train_command.cpp: the
// flags are many (the whole training configuration), and turning them into validated core
// structs is a separate job from running the trainer.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "diffusion/trainer.hpp"
#include "io/checkpoint.hpp"

namespace diffuse::cli {

// The flags as given (strings and signed integers: see support/arguments.hpp).
struct TrainOptions {
  // data
  std::string dataset;
  std::int64_t train_size = 10000;
  std::string seed = "0";
  // model (docs/reference-workload.md, "Model")
  std::string prediction = "eps";
  std::int64_t hidden = 128, layers = 3, time_embed = 32, x_embed = 0;
  std::string activation = "silu";
  bool residual = false, time_projection = false;
  // schedule
  std::string schedule = "linear";
  std::int64_t timesteps = 1000;
  double beta_start = 1e-4, beta_end = 0.02;
  bool zero_snr = false;
  // training
  std::int64_t steps = 10000, batch = 256, warmup = 100;
  double lr = 1e-3, grad_clip = 1.0, ema = 0.999, weight_decay = 0.0;
  double adam_beta1 = 0.9, adam_beta2 = 0.999, adam_eps = 1e-8;
  std::string optimizer = "adam", lr_schedule = "cosine";
  std::string loss;  // empty: the prediction's own space
  std::string loss_weighting = "none";
  double snr_gamma = 5.0;
  // run
  std::string resume, out;
  std::int64_t threads = 1, save_every = 0, stop_at = 0;
  bool quiet = false;
};

// Everything the loop needs, validated.
struct TrainRun {
  // A fresh run: the configuration and the (normalized) training set. Unused when resuming.
  ScheduleConfig schedule;
  MlpConfig model;
  TrainConfig train;
  TrainingData data;
  // A resumed run: the checkpoint it continues, and the run's total number of steps.
  std::optional<Checkpoint> resume;
  std::int64_t total_steps = 0;

  std::string out;
  std::int64_t threads = 1;
  // --threads not given: train on 1 thread or on `threads` (all cores), whichever the first steps
  // measure faster (support/executor_choice.hpp).
  bool threads_auto = false;
  std::int64_t save_every = 0;  // 0: only at the end
  std::int64_t stop_at = 0;     // 0: run to total_steps
  bool quiet = false;
};

void train_options_add(CLI::App& command, TrainOptions& options);

// Every check, before any work: throws Error naming the flag (exit code 2).
TrainRun train_run_prepare(const TrainOptions& options, const CLI::App& command);

// The trainer for a prepared run: a new one, or one positioned where the checkpoint stopped.
std::unique_ptr<Trainer> train_run_trainer(const TrainRun& run);

}  // namespace diffuse::cli
