#pragma once
// diffuse train's flags and their validation, apart from the loop in train_command.cpp: the
// flags are many (the whole training configuration), and turning them into validated core
// structs is a separate job from running the trainer.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "commands/train_model.hpp"
#include "diffusion/trainer.hpp"
#include "io/checkpoint.hpp"

namespace diffuse::cli {

// The flags as given (strings and signed integers: see support/arguments.hpp). Their defaults
// are the core configs' own (docs/reference-workload.md), set in train_options_add; an image
// data set changes some (commands/image_defaults.hpp).
struct TrainOptions {
  // data
  std::string dataset;
  std::int64_t train_size = 0;
  std::string seed = "0";
  bool conditional = false;
  double label_dropout = 0;
  // model
  std::string prediction;
  std::string objective;  // diffusion | flow
  double shift = 1.0;     // flow only
  ModelOptions model;
  // schedule
  std::string schedule;
  std::int64_t timesteps = 0;
  double beta_start = 0, beta_end = 0;
  bool zero_snr = false;
  // training
  std::int64_t steps = 0, batch = 0, warmup = 0;
  double lr = 0, grad_clip = 0, ema = 0, weight_decay = 0;
  double adam_beta1 = 0, adam_beta2 = 0, adam_eps = 0;
  std::string optimizer, lr_schedule;
  std::string loss;  // empty: the prediction's own space
  std::string loss_weighting;
  double snr_gamma = 0;
  // improved DDPM's learned variance
  bool learn_variance = false;
  double vlb_weight = 0;
  std::string t_sampling;
  // run
  std::string resume, out;
  std::int64_t threads = 1, save_every = 0, stop_at = 0;
  bool quiet = false;
};

// Everything the loop needs, validated.
struct TrainRun {
  // A fresh run: the configuration and the (normalized) training set. Unused when resuming.
  ScheduleConfig schedule;
  DiffusionConfig diffusion;
  ModelConfig model;
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

// The trainer for a prepared run: a new one, or one positioned where the checkpoint stopped. A new
// trainer takes run.data over (moved, not copied: Fashion-MNIST's training set is 188 MB of
// floats), so run.data is empty afterwards; trainer->data() has it.
std::unique_ptr<Trainer> train_run_trainer(TrainRun& run);

}  // namespace diffuse::cli
