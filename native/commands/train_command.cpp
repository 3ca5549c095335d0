// diffuse train: validate a training run's configuration (docs/reference-workload.md, "Training
// defaults", are the flags' defaults), then call the core trainer step by step, showing progress
// and writing checkpoints atomically. The step itself is core's (diffusion/trainer.hpp); this file
// only decides when to stop and what to save.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "base/error.hpp"
#include "cli.hpp"
#include "commands/commands.hpp"
#include "commands/image_defaults.hpp"
#include "commands/train_options.hpp"
#include "diffusion/divergence.hpp"
#include "diffusion/trainer.hpp"
#include "support/checkpoint_file.hpp"
#include "support/executor_choice.hpp"
#include "support/interrupt.hpp"
#include "support/progress.hpp"
#include "support/thread_pool.hpp"

namespace diffuse::cli {
namespace {

// A smoothed loss for display: an exponential moving average, bias-corrected as in Adam so that
// the first steps are not pulled towards 0.
class SmoothedLoss {
 public:
  void add(double loss) {
    value_ = factor_ * value_ + (1 - factor_) * loss;
    weight_ = factor_ * weight_ + (1 - factor_);
  }
  double value() const { return weight_ > 0 ? value_ / weight_ : NAN; }

 private:
  double factor_ = 0.98, value_ = 0, weight_ = 0;
};

std::string loss_status(const SmoothedLoss& loss) {
  char text[40];
  const double value = loss.value();
  std::snprintf(text, sizeof text, std::abs(value) < 1e4 ? "loss %.4f" : "loss %.3e", value);
  return text;
}

// "NaN", "inf", or the number: printf's "-nan" says nothing more.
std::string value_text(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  return format_number(value);
}

[[noreturn]] void stop_diverged(const Trainer& trainer, const TrainStepResult& result,
                                const TrainRun& run) {
  checkpoint_save(run.out, checkpoint_from_trainer(trainer));
  const std::int64_t step = result.step + 1;
  throw Failure(error_message(
      "training diverged at step ", step, " of ", trainer.train_config().steps, ": the ",
      std::isfinite(result.loss) ? "gradient norm" : "loss", " is ",
      value_text(std::isfinite(result.loss) ? result.grad_norm : result.loss), " (learning rate ",
      result.learning_rate, "); that step was not applied and '", run.out,
      "' holds the last good state (step ", result.step, "). Try a lower learning rate (--lr ",
      trainer.train_config().learning_rate, " now) or gradient clipping (--grad-clip)"));
}

// A finite loss above 100x the median of the recent ones (diffusion/divergence.hpp): the weights
// that produced it are already bad, so the last state the watch had passed is saved instead.
[[noreturn]] void stop_blown_up(Trainer& trainer, const TrainStepResult& result, const DivergenceWatch& watch,
                                TrainerState good, const TrainRun& run) {
  const std::int64_t good_step = good.step;
  trainer.set_state(std::move(good));
  checkpoint_save(run.out, checkpoint_from_trainer(trainer));
  throw Failure(error_message(
      "training diverged at step ", result.step, " of ", trainer.train_config().steps, ": the loss ",
      value_text(result.loss), " is above ", format_number(watch.factor()), "x the median ",
      format_number(watch.median()), " of the last losses (learning rate ", result.learning_rate, "); '",
      run.out, "' holds the last good state (step ", good_step, "). Try a lower learning rate (--lr ",
      trainer.train_config().learning_rate, " now) or gradient clipping (--grad-clip)"));
}

[[noreturn]] void stop_interrupted(const Trainer& trainer, const TrainRun& run, int signal) {
  checkpoint_save(run.out, checkpoint_from_trainer(trainer));
  throw Failure(error_message("interrupted (signal ", signal, ") after step ", trainer.steps_done(),
                              " of ", trainer.train_config().steps, "; saved to '", run.out,
                              "': continue with --resume ", run.out),
                exit_interrupted);
}

void print_summary(const Trainer& trainer, const TrainRun& run, std::int64_t first_step,
                   double seconds, const SmoothedLoss& loss, const std::string& threads) {
  const std::int64_t done = trainer.steps_done() - first_step;
  std::cout << "trained " << done << " steps" << (first_step > 0 ? " (resumed at step " : "")
            << (first_step > 0 ? std::to_string(first_step) + ")" : "") << " on "
            << trainer.data().source << " in " << format_duration(seconds) << " ("
            << format_rate(seconds > 0 ? done / seconds : 0.0) << " steps/s " << threads << "); "
            << loss_status(loss)
            << "; wrote " << run.out << " (step " << trainer.steps_done() << " of "
            << trainer.train_config().steps << ")\n";
}

// "on 2 threads" or, when the count was chosen by measuring, what was measured.
std::string threads_report(const TrainRun& run, const ExecutorChoice* choice) {
  const std::string all = std::to_string(run.threads) + " threads";
  if (choice == nullptr || !choice->decided()) {
    return "on " + (run.threads == 1 ? std::string("1 thread") : all);
  }
  const double one = 1.0 / choice->seconds_per_unit(0), many = 1.0 / choice->seconds_per_unit(1);
  return std::string("on ") + (choice->chosen() == 0 ? "1 thread" : all) + ", chosen by measuring: 1 thread " +
         format_rate(one) + ", " + all + " " + format_rate(many);
}

void train_loop(Trainer& trainer, const TrainRun& run) {
  ThreadPool pool(static_cast<std::size_t>(run.threads)), single(1);
  std::optional<ExecutorChoice> choice;
  // 3 rounds of 20 steps on each: long enough that one preempted step does not decide.
  if (run.threads_auto) choice.emplace(single, pool, 3, 20);
  const std::int64_t first_step = trainer.steps_done();
  const std::int64_t last_step = run.stop_at > 0 ? run.stop_at : trainer.train_config().steps;
  ProgressOptions display;
  display.enabled = !run.quiet;
  Progress progress("train", last_step, first_step, "step", display);
  SmoothedLoss loss;
  InterruptGuard interrupts;
  DivergenceWatch watch;
  TrainerState good = trainer.state();  // the last state the watch passed, every good_every steps
  constexpr std::int64_t good_every = 100;
  while (trainer.steps_done() < last_step) {
    const auto started = std::chrono::steady_clock::now();
    const TrainStepResult result = trainer.step(choice ? choice->current() : pool);
    if (choice && !choice->decided()) {
      choice->unit_done(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    }
    if (!result.finite) {
      progress.finish(loss_status(loss));
      stop_diverged(trainer, result, run);
    }
    if (watch.diverged(result.loss)) {
      progress.finish(loss_status(loss));
      stop_blown_up(trainer, result, watch, std::move(good), run);
    }
    if (result.step % good_every == 0) good = trainer.state();
    loss.add(result.loss);
    progress.update(result.step, loss_status(loss));
    if (run.save_every > 0 && result.step % run.save_every == 0 && result.step < last_step) {
      checkpoint_save(run.out, checkpoint_from_trainer(trainer));
    }
    if (const int signal = InterruptGuard::signal_received(); signal != 0) {
      progress.finish(loss_status(loss));
      stop_interrupted(trainer, run, signal);
    }
  }
  progress.finish(loss_status(loss));
  checkpoint_save(run.out, checkpoint_from_trainer(trainer));
  print_summary(trainer, run, first_step, progress.elapsed(), loss,
                threads_report(run, choice ? &*choice : nullptr));
}

void run_train(const TrainOptions& options, const CLI::App& command) {
  TrainRun run = train_run_prepare(options, command);  // every check; throws Error (exit 2)
  run_work([&] {
    std::unique_ptr<Trainer> trainer = train_run_trainer(run);
    train_loop(*trainer, run);
  });
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto options = std::make_shared<TrainOptions>();
  CLI::App* command = app.add_subcommand(
      "train",
      "Train a denoiser (an MLP on points, a U-Net on images) on a data set and write a checkpoint");
  train_options_add(*command, *options);
  command->footer(
      "Defaults are the reference workload (docs/reference-workload.md). Image data sets train a "
      "U-Net (docs/images.md) with their own defaults, each overridden by its flag: digits " +
      image_defaults_flags(ImageDataset::digits) + "; fashion " +
      image_defaults_flags(ImageDataset::fashion) +
      ". With --resume the run continues exactly where the checkpoint stopped, with its "
      "configuration; only --steps (the run's new total), --stop-at, --save-every, --threads, "
      "--quiet and --out may be given. Training stops with exit code 1 when it diverges: a loss or "
      "gradient that is not finite, or a loss above 100 times the median of the last 1,000; --out "
      "then holds the last good state.");
  command->callback([options, command] { run_train(*options, *command); });
}

}  // namespace diffuse::cli
