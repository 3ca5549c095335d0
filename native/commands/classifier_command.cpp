// diffuse classifier: train the quality classifier of an image data set (core/nn/classifier.hpp,
// the recipe of core/nn/classifier_recipe.hpp), measure it on the held-out images and write it as
// a classifier checkpoint (core/io/classifier_checkpoint.hpp). It also prints the Fréchet distance
// between the two halves of the held-out images in the classifier's feature space: the score a
// perfect generator would get at that sample size (docs/datasets.md, "The quality classifier").
// With --if-outdated it does nothing when --out already holds a classifier of this data set,
// recipe, seed and classifier version (scripts/build.sh keeps data/ current that way).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "base/error.hpp"
#include "cli.hpp"
#include "commands/commands.hpp"
#include "metrics/class_agreement.hpp"
#include "metrics/frechet.hpp"
#include "nn/classifier_recipe.hpp"
#include "nn/classifier_trainer.hpp"
#include "support/arguments.hpp"
#include "support/classifier_file.hpp"
#include "support/image_datasets.hpp"
#include "support/progress.hpp"
#include "support/thread_pool.hpp"

namespace diffuse::cli {
namespace {

struct ClassifierOptions {
  std::string dataset, out, seed = "0";
  std::int64_t epochs = 0;  // 0: the recipe's
  std::int64_t threads = 1;
  bool if_outdated = false, quiet = false;
};

struct ClassifierRun {
  ImageDataset dataset = ImageDataset::digits;
  ClassifierRecipe recipe;
  std::string name;  // "digits"
};

ClassifierRun prepare(const ClassifierOptions& o) {
  ClassifierRun run;
  run.dataset = image_datasets.value(o.dataset);
  run.name = o.dataset;
  run.recipe = classifier_recipe(run.dataset);
  run.recipe.train.seed = parse_seed(o.seed);
  if (o.epochs > 0) run.recipe.train.epochs = o.epochs;
  check_output_path("--out", o.out, {".safetensors"});
  return run;
}

// Why --out must be (re)trained, or nothing if it already holds this very classifier.
std::optional<std::string> outdated_reason(const ClassifierRun& run, const std::string& path) {
  if (!std::filesystem::exists(path)) return "it does not exist";
  ClassifierCheckpoint c;
  try {
    c = classifier_load("--out", path);
  } catch (const Error& e) {
    return std::string("it cannot be read (") + e.what() + ")";
  }
  if (c.code_version != classifier_code_version) {
    return "it was trained by classifier version " + c.code_version + ", this build has version " +
           classifier_code_version;
  }
  if (c.dataset != run.dataset)
    return "it is the " + image_datasets.name(c.dataset) + " classifier";
  if (c.model != run.recipe.model || c.train != run.recipe.train) {
    return "it was trained with other settings (seed " + std::to_string(c.train.seed) + ", " +
           std::to_string(c.train.epochs) + " epochs)";
  }
  return std::nullopt;
}

// Trains to the end, showing progress; returns the last epoch's mean loss.
double train(ClassifierTrainer& trainer, const ClassifierOptions& o, const Executor& executor,
             double& seconds) {
  ProgressOptions display;
  display.enabled = !o.quiet;
  Progress progress("classifier", trainer.steps_total(), 0, "step", display);
  double epoch_loss = 0.0, last_epoch_loss = NAN;
  while (!trainer.finished()) {
    const ClassifierStepResult result = trainer.step(executor);
    if (!result.finite) {
      progress.finish();
      throw Failure(error_message("classifier training diverged at step ", result.step + 1,
                                  ": the loss or its gradient is not finite; nothing was written"));
    }
    epoch_loss += result.loss;
    if (result.step % trainer.steps_per_epoch() == 0) {
      last_epoch_loss = epoch_loss / static_cast<double>(trainer.steps_per_epoch());
      epoch_loss = 0.0;
    }
    progress.update(
        result.step,
        "loss " + fixed(std::isnan(last_epoch_loss) ? result.loss : last_epoch_loss, 4));
  }
  progress.finish("loss " + fixed(last_epoch_loss, 4));
  seconds = progress.elapsed();
  return last_epoch_loss;
}

// The first floor(N / 2) rows and the rest.
FrechetDistance halves_distance(const Tensor2& features) {
  const std::size_t n = features.shape(0), F = features.shape(1), half = n / 2;
  Tensor2 a = Tensor2::from_shape({half, F}), b = Tensor2::from_shape({n - half, F});
  std::copy(features.begin(), features.begin() + static_cast<std::ptrdiff_t>(half * F), a.begin());
  std::copy(features.begin() + static_cast<std::ptrdiff_t>(half * F), features.end(), b.begin());
  return frechet_distance(a, b);
}

void run_classifier(const ClassifierOptions& o) {
  const ClassifierRun run = prepare(o);  // every check; throws Error (exit 2)
  if (o.if_outdated) {
    const std::optional<std::string> reason = outdated_reason(run, o.out);
    if (!reason) {
      std::cout << o.out << " is up to date (" << run.name << " classifier, version "
                << classifier_code_version << ", seed " << run.recipe.train.seed << ", "
                << run.recipe.train.epochs << " epochs): nothing to do\n";
      return;
    }
    std::cout << "training " << o.out << ": " << *reason << '\n';
  }
  ImageSplit images = image_dataset_load(run.dataset);  // a missing file is an Error (exit 2)
  run_work([&] {
    ThreadPool pool(static_cast<std::size_t>(o.threads));
    const std::size_t train_count = images.train.count;
    ClassifierTrainer trainer(run.recipe.model, run.recipe.train, std::move(images.train));
    double seconds = 0.0;
    const double loss = train(trainer, o, pool, seconds);
    Classifier& classifier = trainer.classifier();
    Labels truth = Labels::from_shape({images.test.count});
    std::copy(images.test.labels.begin(), images.test.labels.end(), truth.begin());
    const ClassAgreement test = class_agreement(
        truth, classifier_classify(classifier, images.test, pool), run.recipe.model.classes);
    const FrechetDistance halves =
        halves_distance(classifier_image_features(classifier, images.test, pool));
    classifier_save(o.out, classifier_checkpoint_make(run.dataset, run.recipe.train, classifier,
                                                      test.overall(), test.total));
    const ClassifierTrainConfig& t = run.recipe.train;
    std::cout << run.name << " classifier: "
              << classifier_config_describe(run.recipe.model, classifier.layout().count()) << '\n'
              << "trained " << t.epochs << " epochs (" << trainer.steps_total() << " steps of "
              << t.batch << ", seed " << t.seed << ") on " << train_count << " images in "
              << fixed(seconds, 1) << " s on " << o.threads << " thread"
              << (o.threads == 1 ? "" : "s") << "; last epoch's loss " << fixed(loss, 4) << '\n'
              << "test accuracy " << fixed(test.overall(), 4) << " (" << test.total_agreed << " of "
              << test.total << " held-out images)\n  per class:";
    for (std::size_t k = 0; k < test.requested.size(); ++k) {
      std::cout << (k ? " |" : "") << ' ' << k << ' ' << fixed(test.of_class(k), 3);
    }
    std::cout << "\nFrechet distance between the halves of the held-out images ("
              << images.test.count / 2 << " and " << images.test.count - images.test.count / 2
              << "): " << format_number(halves.distance)
              << " (the data-vs-data baseline at that size)\nwrote " << o.out << '\n';
  });
}

}  // namespace

void add_classifier_command(CLI::App& app) {
  auto o = std::make_shared<ClassifierOptions>();
  CLI::App* c = app.add_subcommand(
      "classifier",
      "Train the quality classifier of an image data set and write it as a .safetensors file");
  c->add_option("--dataset", o->dataset, image_datasets.allowed(" | "))
      ->required()
      ->check(one_of(image_datasets.names()))
      ->type_name("NAME");
  c->add_option("--out", o->out, "Output file, .safetensors (written atomically)")
      ->required()
      ->type_name("FILE");
  c->add_option("--seed", o->seed, "Random seed (initial weights and batch order)")
      ->check(seed_text())
      ->capture_default_str();
  c->add_option("--epochs", o->epochs, "Epochs (default: the data set's recipe)")
      ->check(int_range(classifier_epochs_range));
  o->threads = static_cast<std::int64_t>(ThreadPool::hardware_threads());
  c->add_option("--threads", o->threads,
                "Worker threads (default: all cores; the result is the same for any number)")
      ->check(int_range(1, 1024))
      ->capture_default_str();
  c->add_flag("--if-outdated", o->if_outdated,
              "Do nothing if --out already holds this classifier (data set, recipe, seed, epochs "
              "and classifier version)");
  c->add_flag("--quiet,-q", o->quiet, "No progress display");
  c->footer(
      "digits holds out the fixed 297-image split, fashion the official 10,000 test images "
      "(docs/datasets.md). The recipes (architecture, batch, learning rate, epochs) are in "
      "core/nn/classifier_recipe.cpp.");
  c->callback([o] { run_classifier(*o); });
}

}  // namespace diffuse::cli
