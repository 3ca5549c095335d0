// diffuse eval: how close a model's samples are to the data, as the energy distance and the RBF
// MMD^2 (core/metrics) between N samples and N data points, beside the same statistics between
// two independent sets of N data points. That baseline is what a perfect model would score at this
// sample size: both statistics are unbiased U-statistics whose noise at finite N is of the same
// order as the differences they measure, so a bare number is hard to read without it.
#include <iomanip>
#include <iostream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "cli.hpp"
#include "commands/commands.hpp"
#include "commands/eval_images.hpp"
#include "commands/eval_options.hpp"
#include "diffusion/sampler.hpp"
#include "metrics/energy_distance.hpp"
#include "metrics/mmd.hpp"
#include "support/arguments.hpp"
#include "support/checkpoint_file.hpp"
#include "support/datasets.hpp"
#include "support/progress.hpp"
#include "support/sampler_options.hpp"
#include "support/sample_draw.hpp"
#include "support/thread_pool.hpp"

namespace diffuse::cli {
namespace {


struct EvalRun {
  Checkpoint checkpoint;
  SamplerConfig config;
  Tensor2 data, baseline;  // (n, D) each, data units, independent
  std::string data_text;   // "fresh points of moons" / "points of f.csv"
  Labels labels;           // (n,) class i mod K of sample i for a conditional model, else empty
};

struct Scores {
  EnergyDistance energy;
  Mmd mmd;
};

EvalRun prepare(const EvalOptions& o, const CLI::App& command, Checkpoint checkpoint,
                const DatasetSpec& spec) {
  EvalRun run;
  run.checkpoint = std::move(checkpoint);
  if (command.count("--class") > 0) {
    fail("--class: eval draws every class in turn (sample i has class i mod K), like the data; ",
         "diffuse sample --class K draws one class");
  }
  if (model_classes(run.checkpoint.model) == 0 && command.count("--guidance") > 0) {
    fail("--guidance: the model is unconditional (train with --conditional for guidance)");
  }
  if (command.count("--classifier") > 0) {
    fail("--classifier applies to image data sets (digits, fashion), not to '", o.dataset, "'");
  }
  run.config = sampler_config_from(o.sampling, command, run.checkpoint);
  PointsReference reference =
      points_reference(o, command, spec, model_sample_size(run.checkpoint.model));
  run.data = std::move(reference.data);
  run.baseline = std::move(reference.baseline);
  run.data_text = std::move(reference.text);
  const std::size_t K = model_classes(run.checkpoint.model);
  if (K > 0) run.labels = classes_in_turn(run.data.shape(0), K);
  return run;
}

nlohmann::ordered_json scores_json(const Scores& s) {
  return {{"energy_distance", s.energy.u_statistic},
          {"energy_distance_v", s.energy.v_statistic},
          {"mmd2", s.mmd.mmd2}};
}

void print_text(const EvalRun& run, const SamplerOptions& sampling, const EvalOptions& o,
                const Scores& model, const Scores& base) {
  const int T = run.checkpoint.schedule.timesteps;
  const std::string classes = classes_description(sampling, run.checkpoint);
  std::cout << "Samples of " << o.model << " (" << sampler_description(run.config, T) << "; "
            << (classes.empty() ? "" : classes + "; ")
            << (o.sampling.raw ? "raw" : "EMA") << " weights; seed " << o.sampling.seed << ")\n"
            << "against " << run.data.shape(0) << " " << run.data_text << ", in data units\n\n";
  const auto row = [](const std::string& name, double a, double b) {
    std::cout << "  " << std::left << std::setw(34) << name << std::right << std::scientific
              << std::setprecision(3) << std::setw(16) << a << std::setw(18) << b << '\n';
  };
  std::cout << "  " << std::left << std::setw(34) << "statistic" << std::right << std::setw(16)
            << "samples-data" << std::setw(18) << "data-data" << '\n';
  row("energy distance^2 (U-statistic)", model.energy.u_statistic, base.energy.u_statistic);
  row("energy distance^2 (V-statistic)", model.energy.v_statistic, base.energy.v_statistic);
  row("MMD^2, RBF h = " + format_number(std::round(base.mmd.bandwidth * 1e4) / 1e4), model.mmd.mmd2,
      base.mmd.mmd2);
  std::cout
      << "\nThe data-data column is a perfect model's score at this N (two independent draws);"
         "\nU-statistics are unbiased and may be slightly negative.\n";
}

void run_eval(const EvalOptions& o, const CLI::App& command) {
  Checkpoint checkpoint = checkpoint_load("--model", o.model);
  const DatasetSpec spec = dataset_resolve("--dataset", o.dataset);
  if (spec.image()) return run_image_eval(o, command, checkpoint, *spec.images);
  const EvalRun run = prepare(o, command, std::move(checkpoint), spec);
  SamplerOptions sampling = o.sampling;
  if (run.labels.size() > 0) sampling.class_label = "all";  // for classes_description
  run_work([&] {
    ThreadPool pool(static_cast<std::size_t>(o.threads));
    const Tensor2 samples = draw_samples(run.checkpoint, sampling, run.config, run.labels,
                                         run.data.shape(0), pool, o.quiet);
    // One bandwidth for both rows, from the data alone, so that the two MMDs are comparable.
    MmdOptions mmd;
    mmd.bandwidth = mmd_median_bandwidth(run.data, run.baseline);
    const Scores model{energy_distance(samples, run.data), mmd_rbf(samples, run.data, mmd)};
    const Scores base{energy_distance(run.baseline, run.data),
                      mmd_rbf(run.baseline, run.data, mmd)};
    if (o.format == "json") {
      nlohmann::ordered_json j;
      j["model"] = o.model;
      j["dataset"] = o.dataset;
      j["n"] = run.data.shape(0);
      j["sampler"] = sampler_description(run.config, run.checkpoint.schedule.timesteps);
      if (run.labels.size() > 0) j["classes"] = classes_description(sampling, run.checkpoint);
      j["seed"] = o.sampling.seed;
      j["mmd_bandwidth"] = mmd.bandwidth;
      j["samples"] = scores_json(model);
      j["baseline"] = scores_json(base);
      std::cout << j.dump(2) << '\n';
    } else {
      print_text(run, sampling, o, model, base);
    }
  });
}

}  // namespace

PointsReference points_reference(const EvalOptions& o, const CLI::App& command,
                                 const DatasetSpec& spec, std::size_t D) {
  PointsReference run;
  auto n = static_cast<std::size_t>(o.n);
  if (spec.generated()) {
    if (D != 2) fail("--dataset ", o.dataset, " is 2D but the model has D = ", D);
    const std::uint64_t seed = parse_seed(o.sampling.seed);
    run.data = dataset_draw(*spec.set, n, seed, test_rng_stream);
    run.baseline = dataset_draw(*spec.set, n, seed, baseline_rng_stream);
    run.text = "fresh points of " + o.dataset;
    return run;
  }
  // A file has no fresh draws: its first half is the data, its second half the baseline.
  const Tensor2 all = dataset_read_csv("--dataset", spec.path).points;
  if (all.shape(1) != D)
    fail("--dataset '", o.dataset, "' has ", all.shape(1), " columns but the model has D = ", D);
  if (command.count("--n") == 0) n = std::min(n, all.shape(0) / 2);
  if (n < 2 || 2 * n > all.shape(0)) {
    fail("--dataset '", o.dataset, "' has ", all.shape(0), " points: --n ", n,
         " needs 2 n of them (data and baseline), n >= 2");
  }
  run.data = rows_head(all, n);
  run.baseline = rows_slice(all, n, n);
  run.text = "points of " + o.dataset + " (its first " + std::to_string(n) +
             "; baseline: the next " + std::to_string(n) + ")";
  return run;
}

void add_eval_command(CLI::App& app) {
  auto o = std::make_shared<EvalOptions>();
  CLI::App* c = app.add_subcommand(
      "eval", "Compare samples with data: energy distance and MMD, beside a data-vs-data baseline");
  c->add_option("--model", o->model, "Checkpoint to evaluate")->required()->type_name("FILE");
  c->add_option("--dataset", o->dataset,
                "Reference data: " + dataset_help() + " (named sets: fresh draws)")
      ->required()
      ->type_name("NAME|FILE");
  c->add_option("--n", o->n,
                "Samples, and data points in each of the two data sets (the metrics cost N^2; "
                "images: default 148 for digits, all of its held-out half, 1000 for fashion)")
      ->check(int_range(2, 100'000))
      ->capture_default_str();
  c->add_option("--classifier", o->classifier,
                "Images: the quality classifier (default data/<set>-classifier.safetensors, "
                "which scripts/build.sh trains)")
      ->type_name("FILE");
  c->add_option("--format", o->format, "text | json")
      ->check(one_of({"text", "json"}))
      ->capture_default_str()
      ->type_name("NAME");
  sampler_options_add(*c, o->sampling, "Sampler");
  o->threads = static_cast<std::int64_t>(ThreadPool::hardware_threads());
  c->add_option("--threads", o->threads, "Worker threads (default: all cores)")
      ->check(int_range(1, 1024))
      ->capture_default_str();
  c->add_flag("--quiet,-q", o->quiet, "No progress display");
  c->footer(
      "--seed also draws the two fresh data sets of a named data set (streams no training run "
      "uses); a CSV file's first N points are the data and the next N the baseline. An image "
      "data set compares with its held-out images (the first N; baseline: the next N) and adds "
      "the quality classifier's class agreement and Frechet distance (docs/images.md). A "
      "conditional model draws its classes in turn (sample i has class i mod K), guided by "
      "--guidance.");
  c->callback([o, c] { run_eval(*o, *c); });
}

}  // namespace diffuse::cli
