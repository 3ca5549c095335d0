// diffuse nll: the exact negative log-likelihood of a checkpoint's model on test data through the
// probability-flow ODE (core's OdeLikelihoodEvaluator, diffusion/ode_likelihood.hpp; docs/
// likelihood.md), in nats per example in the normalized space and in the data's units, and in bits
// per dimension. Test data as `diffuse elbo` takes it: fresh draws of a generated set, the rows of
// a CSV file, or an image set's held-out split. Images are dequantized (uniform noise over each
// value's bin, seeded), so their NLL bounds the discrete NLL in the data's own levels, as the
// ELBO's discretized decoder does. For the Gaussian-mixture sets the true NLL is known and shown.
#include <algorithm>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "cli.hpp"
#include "commands/commands.hpp"
#include "data/gaussian_mixture.hpp"
#include "diffusion/ode_likelihood.hpp"
#include "support/arguments.hpp"
#include "support/checkpoint_file.hpp"
#include "support/datasets.hpp"
#include "support/image_datasets.hpp"
#include "support/progress.hpp"
#include "support/test_points.hpp"
#include "support/thread_pool.hpp"

namespace diffuse::cli {
namespace {

constexpr double ln2 = 0.69314718055994530942;
constexpr std::int64_t default_n = 1000;
constexpr std::int64_t image_default_n = 100;  // ~(2 M + 1) x 200 U-Net rows per image
constexpr std::size_t image_batch = 50;        // images solved together

struct NllOptions {
  std::string model, dataset, method = "ode", divergence, seed = "0", format = "text";
  std::int64_t n = default_n, probes = 1, threads = 1;
  double tolerance = 1e-5;
  bool raw = false, quiet = false;
};

struct NllRun {
  Checkpoint checkpoint;
  DatasetSpec dataset;
  Tensor2 points;      // (n, D) test data in data units
  Tensor2 normalized;  // (n, D) in the model's space, dequantized for images
  OdeLikelihoodConfig config;
  double scale = 0;  // nats added to go from the normalized space to data units
  std::uint64_t seed = 0;
};

OdeLikelihoodConfig ode_config(const NllOptions& o, const CLI::App& command, std::size_t D,
                               bool image) {
  OdeLikelihoodConfig config;
  config.divergence =
      o.divergence.empty() ? ode_default_divergence(D) : divergence_methods.value(o.divergence);
  if (config.divergence == DivergenceMethod::exact && D > ode_exact_max_dim) {
    fail("--divergence exact is for models of D <= ", ode_exact_max_dim,
         " (2 D + 1 model rows per "
         "evaluation); the model has D = ",
         D, ": use hutchinson");
  }
  if (command.count("--probes") > 0 && config.divergence == DivergenceMethod::exact) {
    fail("--probes ", o.probes, " is for --divergence hutchinson; exact takes no probes");
  }
  config.probes = config.divergence == DivergenceMethod::exact ? 1 : static_cast<int>(o.probes);
  config.rtol = config.atol = o.tolerance;
  if (image) config.batch = image_batch;
  ode_likelihood_config_validate(config, D);
  return config;
}

NllRun prepare(const NllOptions& o, const CLI::App& command) {
  NllRun run;
  run.checkpoint = checkpoint_load("--model", o.model);
  run.dataset = dataset_resolve("--dataset", o.dataset);
  run.seed = parse_seed(o.seed);
  if (o.raw && !run.checkpoint.training)
    fail("--raw: the checkpoint holds no raw weights (it is an export)");
  const std::size_t D = model_sample_size(run.checkpoint.model);
  run.config = ode_config(o, command, D, run.dataset.image());
  // A flow-matching model: its own ODE dx/ds = u from s = 0 to 1 (diffusion/ode_likelihood.hpp).
  run.config.flow = run.checkpoint.diffusion.objective == Objective::flow;
  const TestPointsRequest request{o.dataset, static_cast<std::size_t>(o.n), command.count("--n") > 0,
                                  static_cast<std::size_t>(image_default_n), run.seed, false};
  run.points = test_points_load(run.checkpoint, run.dataset, request).points;
  const Normalization& norm = run.checkpoint.data.normalization;
  run.normalized = normalization_apply(norm, run.points);
  if (norm.discrete()) {
    // Uniform over each level's bin (width 2 / (L - 1) normalized, 1 in levels): the continuous
    // NLL in levels units bounds the discrete NLL; the map to levels adds D log((L - 1) / 2).
    ode_dequantize(run.normalized, norm.levels, run.seed);
    run.scale = static_cast<double>(D) * std::log((norm.levels - 1) / 2.0);
  } else {
    run.scale = -normalization_log_det_jacobian(norm);
  }
  return run;
}

OdeLikelihoodResult evaluate(const NllRun& run, const NllOptions& o) {
  const Checkpoint& c = run.checkpoint;
  std::unique_ptr<NetworkDenoiser> denoiser = checkpoint_denoiser(c, !o.raw);
  const NoiseSchedule schedule = schedule_make(c.schedule);
  ThreadPool pool(static_cast<std::size_t>(o.threads));
  OdeLikelihoodEvaluator evaluator(*denoiser, schedule, run.config, run.normalized, run.seed);
  ProgressOptions display;
  display.enabled = !o.quiet;
  Progress progress("nll", evaluator.blocks_total(), 0, "block", display);
  while (!evaluator.done()) {
    evaluator.advance(1, pool);
    progress.update(evaluator.blocks_done());
  }
  progress.finish();
  return evaluator.result();
}

// -log p(x) under a known data density (the Gaussian-mixture sets), in data units: of the data
// itself, and of the data smoothed by the model's sigma_min (what a perfect model's ODE NLL is);
// and the standard error of the gap NLL - true NLL from the paired per-example differences.
struct TrueNll {
  double nll = 0, standard_error = 0, smoothed = 0, gap_standard_error = 0;
};

// Mean and standard error of values (NaN error for one value).
std::pair<double, double> mean_and_error(const std::vector<double>& values) {
  const double n = static_cast<double>(values.size());
  double sum = 0, spread = 0;
  for (double v : values) sum += v;
  for (double v : values) spread += (v - sum / n) * (v - sum / n);
  return {sum / n, values.size() > 1 ? std::sqrt(spread / (n - 1) / n) : NAN};
}

std::optional<TrueNll> true_nll(const NllRun& run, const OdeLikelihoodResult& r) {
  if (!run.dataset.generated()) return std::nullopt;
  const std::string name = toy2d_sets.name(*run.dataset.set);
  const auto names = gaussian_mixture_names();
  if (std::find(names.begin(), names.end(), name) == names.end()) return std::nullopt;
  const GaussianMixture data = gaussian_mixture_from_name(name);
  GaussianMixture smoothed = data;  // sigma_min in the normalized space is sigma_min std_d here
  const std::vector<double>& stddev = run.checkpoint.data.normalization.stddev;
  for (std::size_t k = 0; k < data.components(); ++k)
    for (std::size_t d = 0; d < data.dims(); ++d)
      smoothed.stds(k, d) = std::hypot(data.stds(k, d), r.sigma_min * stddev[d]);
  Table log_p, log_smoothed;
  gaussian_mixture_log_density(log_p, data, run.points);
  gaussian_mixture_log_density(log_smoothed, smoothed, run.points);
  std::vector<double> nll(log_p.size()), nll_smoothed(log_p.size()), gap(log_p.size());
  for (std::size_t i = 0; i < log_p.size(); ++i) {
    nll[i] = -log_p(i);
    nll_smoothed[i] = -log_smoothed(i);
    gap[i] = r.per_example(i) + run.scale - nll[i];
  }
  const auto [mean, error] = mean_and_error(nll);
  return TrueNll{mean, error, mean_and_error(nll_smoothed).first, mean_and_error(gap).second};
}

nlohmann::json number_or_null(double value) {
  return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json();
}

nlohmann::ordered_json to_json(const NllRun& run, const NllOptions& o, const OdeLikelihoodResult& r,
                               const std::optional<TrueNll>& truth) {
  const double per_dim = static_cast<double>(r.dims) * ln2;
  nlohmann::ordered_json j;
  j["model"] = o.model;
  j["dataset"] = o.dataset;
  j["method"] = o.method;
  j["n"] = r.examples;
  j["D"] = r.dims;
  j["nll_nats"] = r.nll_nats + run.scale;
  j["standard_error"] = number_or_null(r.standard_error);
  j["bits_per_dim"] = (r.nll_nats + run.scale) / per_dim;
  j["nll_normalized_nats"] = r.nll_nats;
  j["prior_nats"] = r.prior;
  j["divergence_integral_nats"] = r.divergence_integral;
  j["scale_nats"] = run.scale;
  j["divergence"] = divergence_methods.name(r.divergence);
  j["probes"] =
      r.divergence == DivergenceMethod::hutchinson ? nlohmann::json(r.probes) : nlohmann::json();
  j["probe_standard_error"] = number_or_null(r.probe_standard_error);
  j["dequantized"] = run.checkpoint.data.normalization.discrete();
  j["levels"] = run.checkpoint.data.normalization.levels;
  j["objective"] = objectives.name(run.checkpoint.diffusion.objective);
  // A flow integrates s from 0 to 1 (no sigma): null there.
  j["sigma_min"] = run.config.flow ? nlohmann::json() : nlohmann::json(r.sigma_min);
  j["sigma_max"] = run.config.flow ? nlohmann::json() : nlohmann::json(r.sigma_max);
  j["rtol"] = run.config.rtol;
  j["atol"] = run.config.atol;
  j["nfe"] = r.nfe;
  j["rows_per_evaluation"] = r.rows_per_evaluation;
  j["steps"] = r.steps;
  j["rejected_steps"] = r.rejected;
  j["weights"] = o.raw ? "raw" : "ema";
  j["seed"] = o.seed;
  if (truth) {
    j["true_nll_data_nats"] = truth->nll;
    j["true_nll_standard_error"] = truth->standard_error;
    j["true_nll_smoothed_data_nats"] = truth->smoothed;
    j["true_bits_per_dim"] = truth->nll / per_dim;
    j["gap_nats"] = r.nll_nats + run.scale - truth->nll;
    j["gap_standard_error"] = number_or_null(truth->gap_standard_error);
  }
  return j;
}

void print_row(const std::string& name, const std::string& what, double nats, std::size_t D,
               const std::string& note = {}) {
  std::cout << "  " << std::left << std::setw(10) << name << std::setw(62) << what << std::right
            << std::fixed << std::setprecision(4) << std::setw(12) << nats << std::setw(10)
            << nats / (static_cast<double>(D) * ln2) << note << '\n';
}

void print_text(const NllRun& run, const NllOptions& o, const OdeLikelihoodResult& r,
                const std::optional<TrueNll>& truth) {
  const bool discrete = run.checkpoint.data.normalization.discrete();
  std::cout << "Negative log-likelihood of " << o.model << " through the probability-flow ODE on "
            << r.examples << " "
            << (run.dataset.generated() ? "fresh points of "
                : run.dataset.image()   ? "held-out images (dequantized) of "
                                        : "points of ")
            << o.dataset << " (seed " << o.seed << ", " << (o.raw ? "raw" : "EMA") << " weights)\n"
            << "Dormand-Prince 5(4), rtol " << format_number(run.config.rtol)
            << (run.config.flow ? ", the flow's s 0 .. 1" : ", sigma " +
                    format_number(std::round(r.sigma_min * 1e4) / 1e4) + " .. " +
                    format_number(std::round(r.sigma_max * 10) / 10))
            << "; divergence "
            << divergence_methods.name(r.divergence)
            << (r.divergence == DivergenceMethod::hutchinson
                    ? " (" + std::to_string(r.probes) + (r.probes == 1 ? " probe)" : " probes)")
                    : "")
            << "; " << fixed(r.nfe, 1) << " evaluations of " << r.rows_per_evaluation
            << " model rows per example\n\n  " << std::left << std::setw(72) << "term" << std::right
            << std::setw(12) << "nats/example" << std::setw(10) << "bits/dim" << '\n';
  const std::size_t D = r.dims;
  const std::string se =
      "  +- " + format_number(std::round(r.standard_error * 1e4) / 1e4) + " (s.e.)";
  if (run.config.flow) {
    print_row("prior", "-log N(x(1); 0, I)", r.prior, D);
    print_row("flow", "-integral of div_x u over s: 0 -> 1", -r.divergence_integral, D);
  } else {
    print_row("prior", "-log N(y(sigma_max); 0, (1 + sigma_max^2) I)", r.prior, D);
    print_row("flow", "-integral of div_y over log sigma: sigma_min -> sigma_max",
              -r.divergence_integral, D);
  }
  print_row("total", "NLL, normalized space", r.nll_nats, D, se);
  print_row("scale",
            discrete ? "D log((L - 1) / 2): normalized -> levels"
                     : "sum_d log std_d: normalized -> data units",
            run.scale, D);
  print_row("total", discrete ? "NLL, data units (bound on the discrete NLL)" : "NLL, data units",
            r.nll_nats + run.scale, D, se);
  if (truth) {
    print_row("true NLL", "-log p(x_0) under the known mixture, data units", truth->nll, D);
    print_row("true NLL", "the same, the mixture smoothed to sigma_min", truth->smoothed, D);
    print_row("gap", "NLL - true NLL (>= 0 up to noise)", r.nll_nats + run.scale - truth->nll, D,
              "  +- " + format_number(std::round(truth->gap_standard_error * 1e4) / 1e4) + " (s.e.)");
  }
}

void run_nll(const NllOptions& o, const CLI::App& command) {
  const NllRun run = prepare(o, command);
  run_work([&] {
    const OdeLikelihoodResult result = evaluate(run, o);
    const std::optional<TrueNll> truth = true_nll(run, result);
    if (o.format == "json") {
      std::cout << to_json(run, o, result, truth).dump(2) << '\n';
    } else {
      print_text(run, o, result, truth);
    }
  });
}

}  // namespace

void add_nll_command(CLI::App& app) {
  auto o = std::make_shared<NllOptions>();
  CLI::App* c = app.add_subcommand(
      "nll", "The model's exact negative log-likelihood on test data (probability-flow ODE)");
  c->add_option("--model", o->model, "Checkpoint to evaluate")->required()->type_name("FILE");
  c->add_option("--dataset", o->dataset,
                "Test data: " + dataset_help() +
                    " (generated sets: fresh draws; image sets: the held-out split)")
      ->required()
      ->type_name("NAME|FILE");
  c->add_option("--method", o->method,
                "ode: the probability-flow ODE (instantaneous change of variables)")
      ->check(one_of({"ode"}))
      ->capture_default_str()
      ->type_name("NAME");
  c->add_option(
       "--n", o->n,
       "Test points: N fresh draws of a generated set (default: " + std::to_string(default_n) +
           "); the first N rows of a CSV file (default: all) or of an image set's held-out "
           "split (default: " +
           std::to_string(image_default_n) + ")")
      ->check(int_range(1, 10'000'000))
      ->type_name("INT");
  c->add_option(
       "--divergence", o->divergence,
       "exact (2 D + 1 model rows per evaluation; D <= " + std::to_string(ode_exact_max_dim) +
           ") | hutchinson (Rademacher probes; default for larger D)")
      ->check(one_of(divergence_methods.names()))
      ->type_name("NAME");
  c->add_option("--probes", o->probes, "Hutchinson probes per example (2 model rows each)")
      ->check(int_range(1, ode_max_probes))
      ->capture_default_str()
      ->type_name("INT");
  c->add_option("--tolerance", o->tolerance, "The ODE solver's rtol and atol (Dormand-Prince 5(4))")
      ->check(number_range(1e-10, 0.1))
      ->capture_default_str()
      ->type_name("NUMBER");
  c->add_option("--seed", o->seed, "Seed of the test draw, the probes and the dequantization")
      ->check(seed_text())
      ->capture_default_str()
      ->type_name("UINT");
  c->add_option("--format", o->format, "text | json")
      ->check(one_of({"text", "json"}))
      ->capture_default_str()
      ->type_name("NAME");
  c->add_flag("--raw", o->raw, "Use the raw weights instead of the EMA weights");
  o->threads = static_cast<std::int64_t>(ThreadPool::hardware_threads());
  c->add_option("--threads", o->threads, "Worker threads (default: all cores)")
      ->check(int_range(1, 1024))
      ->capture_default_str();
  c->add_flag("--quiet,-q", o->quiet, "No progress display");
  c->footer(
      "Song et al. 2021 (appendix D.2) with the instantaneous change of variables (Chen et al. "
      "2018); the NLL of the model the deterministic samplers sample (docs/likelihood.md). The "
      "data-unit NLL adds sum_d log std_d of the checkpoint's normalization.");
  c->callback([o, c] { run_nll(*o, *c); });
}

}  // namespace diffuse::cli
