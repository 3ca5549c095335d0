#include "commands/eval_images.hpp"

#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <numeric>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "cli.hpp"
#include "data/image_set.hpp"
#include "io/classifier_checkpoint.hpp"
#include "metrics/class_agreement.hpp"
#include "metrics/energy_distance.hpp"
#include "metrics/frechet.hpp"
#include "metrics/mmd.hpp"
#include "nn/classifier_trainer.hpp"
#include "support/arguments.hpp"
#include "support/checkpoint_file.hpp"
#include "support/classifier_file.hpp"
#include "support/datasets.hpp"
#include "support/image_datasets.hpp"
#include "support/sample_draw.hpp"
#include "support/thread_pool.hpp"

namespace diffuse::cli {
namespace {

// Everything checked before any work.
struct ImageEval {
  ImageDataset dataset = ImageDataset::digits;
  std::string name;                 // "digits"
  std::string classifier_path;
  ClassifierCheckpoint classifier;
  ImageSet reference, baseline;     // n held-out images each: the first n and the next n
  std::size_t held_out = 0;         // images in the held-out split
  SamplerConfig config;
  Labels labels;                    // (n,) class i mod K of sample i; empty if unconditional
};

// The measurements of one image set against the reference images.
struct SetScores {
  FrechetDistance frechet;
  EnergyDistance energy;
  Mmd mmd;
};

std::string classifier_path_of(const EvalOptions& o, ImageDataset dataset) {
  if (!o.classifier.empty()) return o.classifier;
  const std::string path = classifier_default_path(data_dir_default(), dataset);
  if (!std::filesystem::exists(path)) {
    fail("the quality classifier ", path, " is missing: scripts/build.sh trains it (or run ",
         "diffuse classifier --dataset ", image_datasets.name(dataset), " --out ", path,
         "), or give --classifier FILE");
  }
  return path;
}

std::vector<std::size_t> index_range(std::size_t first, std::size_t n) {
  std::vector<std::size_t> out(n);
  std::iota(out.begin(), out.end(), first);
  return out;
}

ImageEval prepare(const EvalOptions& o, const CLI::App& command, const Checkpoint& c,
                  ImageDataset dataset) {
  ImageEval run;
  run.dataset = dataset;
  run.name = image_datasets.name(dataset);
  DatasetSpec spec;
  spec.text = run.name;
  spec.images = dataset;
  require_model_of_images("--dataset", spec, c);
  if (command.count("--class") > 0) {
    fail("--class: eval draws every class in turn (sample i has class i mod K), as the held-out ",
         "images hold every class; diffuse sample --class K draws one class");
  }
  const std::size_t K = model_classes(c.model);
  if (K == 0 && command.count("--guidance") > 0) {
    fail("--guidance: the model is unconditional (train with --conditional for guidance)");
  }
  run.config = sampler_config_from(o.sampling, command, c);
  run.classifier_path = classifier_path_of(o, dataset);
  run.classifier = classifier_load("--classifier", run.classifier_path);
  if (run.classifier.dataset != dataset) {
    fail("--classifier ", run.classifier_path, " judges ",
         image_datasets.name(run.classifier.dataset), " images, not ", run.name);
  }
  if (K > 0 && K != run.classifier.model.classes) {
    fail("--model ", o.model, " has ", K, " classes but the ", run.name, " classifier has ",
         run.classifier.model.classes);
  }
  ImageSet test = image_dataset_load(dataset).test;  // a missing file is an Error (exit 2)
  run.held_out = test.count;
  const std::size_t n = command.count("--n") > 0 ? static_cast<std::size_t>(o.n)
                                                 : image_eval_default_n(dataset, test.count);
  if (2 * n > test.count) {
    fail("--n ", n, " needs 2 n held-out ", run.name, " images (reference and baseline) but ",
         "there are ", test.count, ": at most --n ", test.count / 2);
  }
  run.reference = image_set_subset(test, index_range(0, n));
  run.baseline = image_set_subset(test, index_range(n, n));
  if (K > 0) run.labels = classes_in_turn(n, K);
  return run;
}

SetScores scores_of(Classifier& classifier, const ImageSet& images, const Tensor2& reference_features,
                    const Tensor2& reference_pixels, const MmdOptions& mmd, const Executor& executor) {
  const Tensor2 pixels = image_set_points(images).points;
  return {frechet_distance(classifier_image_features(classifier, images, executor), reference_features),
          energy_distance(pixels, reference_pixels), mmd_rbf(pixels, reference_pixels, mmd)};
}

nlohmann::ordered_json scores_json(const SetScores& s) {
  return {{"frechet_distance", s.frechet.distance},
          {"frechet_mean_term", s.frechet.mean_term},
          {"frechet_trace_term", s.frechet.trace_term},
          {"energy_distance", s.energy.u_statistic},
          {"energy_distance_v", s.energy.v_statistic},
          {"mmd2", s.mmd.mmd2}};
}

nlohmann::ordered_json agreement_json(const ClassAgreement& a) {
  nlohmann::ordered_json per_class = nlohmann::ordered_json::array();
  for (std::size_t k = 0; k < a.requested.size(); ++k) per_class.push_back(a.of_class(k));
  return {{"overall", a.overall()}, {"agreed", a.total_agreed}, {"total", a.total},
          {"per_class", per_class}};
}

void print_agreement(const char* title, const ClassAgreement& a) {
  std::cout << "  " << std::left << std::setw(34) << title << std::right << std::setw(16)
            << fixed(a.overall(), 4) << "  (" << a.total_agreed << " of " << a.total << ")\n"
            << "    per class:";
  for (std::size_t k = 0; k < a.requested.size(); ++k) {
    std::cout << (k ? " |" : "") << ' ' << k << ' ' << fixed(a.of_class(k), 2);
  }
  std::cout << '\n';
}

void print_text(const EvalOptions& o, const SamplerOptions& sampling, const ImageEval& run, const SetScores& model,
                const SetScores& base, const ClassAgreement* agreement,
                const ClassAgreement& accuracy, const Checkpoint& c) {
  const std::size_t n = run.reference.count;
  const std::string classes = classes_description(sampling, c);
  std::cout << "Samples of " << o.model << " ("
            << sampler_description(run.config, c.schedule.timesteps) << "; "
            << (classes.empty() ? "" : classes + "; ") << (o.sampling.raw ? "raw" : "EMA")
            << " weights; seed " << o.sampling.seed << ")\n"
            << "against " << n << " held-out " << run.name << " images (the first " << n << " of "
            << run.held_out << "; baseline: the next " << n << "), samples rounded to the "
            << c.data.normalization.levels << " levels\n"
            << "classifier: "
            << (o.classifier.empty() ? "the " + run.name + " quality classifier" : run.classifier_path)
            << " (test accuracy "
            << fixed(run.classifier.test_accuracy, 4) << " on " << run.classifier.test_images
            << " held-out images)\n\n";
  const auto row = [](const std::string& name, double a, double b) {
    std::cout << "  " << std::left << std::setw(34) << name << std::right << std::scientific
              << std::setprecision(3) << std::setw(16) << a << std::setw(18) << b << '\n'
              << std::defaultfloat;
  };
  std::cout << "  " << std::left << std::setw(34) << "statistic" << std::right << std::setw(16)
            << "samples-data" << std::setw(18) << "data-data" << '\n';
  row("Frechet distance, classifier space", model.frechet.distance, base.frechet.distance);
  row("energy distance^2, pixels (U)", model.energy.u_statistic, base.energy.u_statistic);
  row("MMD^2, pixels, RBF h = " + format_number(std::round(model.mmd.bandwidth * 1e2) / 1e2),
      model.mmd.mmd2, base.mmd.mmd2);
  std::cout << '\n';
  if (agreement != nullptr) {
    print_agreement("class agreement of the samples", *agreement);
  } else {
    std::cout << "  class agreement: none (an unconditional model)\n";
  }
  print_agreement("classifier accuracy, held-out", accuracy);
  std::cout << "\nThe data-data column is a perfect model's score at this N (held-out images "
               "against held-out\nimages); the classifier's accuracy on them is the agreement "
               "a perfect model would reach.\n";
}

}  // namespace

struct ImageFrechetJudge::State {
  explicit State(ImageEval eval)
      : run(std::move(eval)), classifier(classifier_from_checkpoint(run.classifier)) {}
  ImageEval run;
  Classifier classifier;
  Tensor2 reference_features;
};

ImageFrechetJudge::ImageFrechetJudge(const EvalOptions& o, const CLI::App& command,
                                     const Checkpoint& c, ImageDataset dataset,
                                     const Executor& executor)
    : state_(std::make_unique<State>(prepare(o, command, c, dataset))) {
  state_->reference_features =
      classifier_image_features(state_->classifier, state_->run.reference, executor);
  baseline_ = frechet_distance(classifier_image_features(state_->classifier, state_->run.baseline, executor),
                               state_->reference_features).distance;
}

ImageFrechetJudge::~ImageFrechetJudge() = default;

std::size_t ImageFrechetJudge::n() const { return state_->run.reference.count; }

const Labels& ImageFrechetJudge::labels() const { return state_->run.labels; }

double ImageFrechetJudge::score(const Tensor2& samples, const Executor& executor) {
  const Labels& labels = state_->run.labels;
  const ImageSet generated = image_set_quantize(
      samples, std::vector<std::int32_t>(labels.begin(), labels.end()), state_->run.reference);
  return frechet_distance(classifier_image_features(state_->classifier, generated, executor),
                          state_->reference_features).distance;
}

std::size_t image_eval_default_n(ImageDataset dataset, std::size_t held_out) {
  return dataset == ImageDataset::digits ? held_out / 2 : std::min<std::size_t>(1000, held_out / 2);
}

void run_image_eval(const EvalOptions& o, const CLI::App& command, const Checkpoint& c,
                    ImageDataset dataset) {
  const ImageEval run = prepare(o, command, c, dataset);
  SamplerOptions sampling = o.sampling;
  if (run.labels.size() > 0) sampling.class_label = "all";  // for classes_description
  run_work([&] {
    ThreadPool pool(static_cast<std::size_t>(o.threads));
    const std::size_t n = run.reference.count;
    const Tensor2 samples = draw_samples(c, sampling, run.config, run.labels, n, pool, o.quiet);
    const ImageSet generated = image_set_quantize(
        samples, std::vector<std::int32_t>(run.labels.begin(), run.labels.end()), run.reference);
    Classifier classifier = classifier_from_checkpoint(run.classifier);
    const Tensor2 reference_pixels = image_set_points(run.reference).points;
    const Tensor2 reference_features = classifier_image_features(classifier, run.reference, pool);
    // One bandwidth for both rows, from the data alone, so that the two MMDs are comparable.
    MmdOptions mmd;
    mmd.bandwidth = mmd_median_bandwidth(reference_pixels, image_set_points(run.baseline).points);
    const SetScores model =
        scores_of(classifier, generated, reference_features, reference_pixels, mmd, pool);
    const SetScores base =
        scores_of(classifier, run.baseline, reference_features, reference_pixels, mmd, pool);
    const std::size_t K = run.classifier.model.classes;
    Labels truth = Labels::from_shape({n});
    std::copy(run.reference.labels.begin(), run.reference.labels.end(), truth.begin());
    const ClassAgreement accuracy =
        class_agreement(truth, classifier_classify(classifier, run.reference, pool), K);
    std::optional<ClassAgreement> agreement;
    if (run.labels.size() > 0) {
      agreement = class_agreement(run.labels, classifier_classify(classifier, generated, pool), K);
    }
    if (o.format == "json") {
      nlohmann::ordered_json j;
      j["model"] = o.model;
      j["dataset"] = run.name;
      j["n"] = n;
      j["sampler"] = sampler_description(run.config, c.schedule.timesteps);
      j["classes"] = classes_description(sampling, c);
      j["seed"] = o.sampling.seed;
      j["classifier"] = run.classifier_path;
      j["classifier_test_accuracy"] = run.classifier.test_accuracy;
      j["mmd_bandwidth"] = mmd.bandwidth;
      j["samples"] = scores_json(model);
      j["baseline"] = scores_json(base);
      if (agreement) j["samples"]["class_agreement"] = agreement_json(*agreement);
      j["baseline"]["class_agreement"] = agreement_json(accuracy);
      std::cout << j.dump(2) << '\n';
    } else {
      print_text(o, sampling, run, model, base, agreement ? &*agreement : nullptr, accuracy, c);
    }
  });
}

}  // namespace diffuse::cli
