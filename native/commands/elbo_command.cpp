// diffuse elbo: the negative ELBO of a checkpoint's model on test data (seed 004 eq. 8-10; core's
// ElboEvaluator, docs/reference-workload.md "ELBO evaluation"), in nats in the normalized space,
// in the data's units and in bits per dimension, with its three terms (prior matching, denoising
// matching, reconstruction), each also in bits per dimension. For the Gaussian-mixture data sets
// the true NLL is known exactly (core/data/gaussian_mixture.hpp), so the bound's gap is reported
// too. Image data sets are evaluated on their held-out split with the discretized decoder of their
// levels (seed 004 eq. 8), a bound on the discrete data's NLL.
#include <cmath>
#include <iomanip>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "cli.hpp"
#include "commands/commands.hpp"
#include "data/gaussian_mixture.hpp"
#include "diffusion/elbo.hpp"
#include "support/arguments.hpp"
#include "support/checkpoint_file.hpp"
#include "support/datasets.hpp"
#include "support/image_datasets.hpp"
#include "support/progress.hpp"
#include "support/sampler_options.hpp"
#include "support/test_points.hpp"
#include "support/thread_pool.hpp"

namespace diffuse::cli {
namespace {

constexpr double ln2 = 0.69314718055994530942;

struct ElboOptions {
  std::string model, dataset, variance = "fixed_small", seed = "0", format = "text";
  std::int64_t n = 1000, strata = 0, draws = 1, threads = 1;
  bool raw = false, quiet = false, given_label = false;
};

// Images: stratified by default, since an exact sum is T model calls per image.
constexpr std::int64_t image_default_strata = 100;
constexpr std::int64_t image_default_n = 1000;

// The NLL under the data's true density, where it is known.
struct TrueNll {
  double mean = 0, standard_error = 0;  // nats per example, data units
};

struct ElboRun {
  Checkpoint checkpoint;
  DatasetSpec dataset;
  Tensor2 points;  // (n, D) test data in data units
  Labels labels;   // (n,) with --given-label, else empty (the null class)
  ElboConfig config;
  std::uint64_t seed = 0;
};

ElboRun prepare(const ElboOptions& o, const CLI::App& command) {
  ElboRun run;
  run.checkpoint = checkpoint_load("--model", o.model);
  const Checkpoint& c = run.checkpoint;
  if (c.diffusion.objective == Objective::flow) {
    fail("--model ", o.model, " is a flow-matching model: the ELBO is the diffusion chain's ",
         "bound (seed 004); its exact likelihood is diffuse nll's business (not yet for flow)");
  }
  run.dataset = dataset_resolve("--dataset", o.dataset);
  run.seed = parse_seed(o.seed);
  TestPointsRequest request{o.dataset, static_cast<std::size_t>(o.n), command.count("--n") > 0,
                            static_cast<std::size_t>(image_default_n), run.seed, o.given_label};
  LabeledPoints test = test_points_load(c, run.dataset, request);
  run.points = test.points;
  if (o.given_label) {
    const std::size_t K = model_classes(c.model);
    if (K == 0) fail("--given-label needs a conditional model: '", o.model, "' has no classes");
    if (test.labels.size() == 0) fail("--given-label: the data '", o.dataset, "' has no labels");
    if (test.classes > K) {
      fail("--given-label: the data '", o.dataset, "' has ", test.classes, " classes, the model ", K);
    }
    run.labels = test.labels;
  }
  if (o.raw && !c.training) fail("--raw: the checkpoint holds no raw weights (it is an export)");
  run.config.variance = reverse_variance_for(o.variance, command, c);
  run.config.strata = static_cast<int>(
      run.dataset.image() && command.count("--strata") == 0 ? image_default_strata : o.strata);
  run.config.draws = static_cast<int>(o.draws);
  if (run.config.strata > c.schedule.timesteps - 1) {
    if (command.count("--strata") > 0) {
      fail("--strata ", o.strata, " is more than the model's T - 1 = ", c.schedule.timesteps - 1);
    }
    run.config.strata = 0;  // the default asks for more strata than steps: every step, exactly
  }
  // Discrete data (images): the decoder's probabilities are those of the data's own levels, so
  // the bound is in data units already (there is no density to rescale).
  run.config.levels = c.data.normalization.levels;
  run.config.log_std_sum =
      c.data.normalization.discrete() ? 0.0 : -normalization_log_det_jacobian(c.data.normalization);
  elbo_config_validate(run.config, c.schedule.timesteps);
  const NoiseSchedule schedule = schedule_make(c.schedule);
  for (int t = 0; t < schedule.T; ++t)
    reverse_step_check_prediction(c.diffusion.prediction, schedule, t);
  return run;
}

ElboResult evaluate(const ElboRun& run, const ElboOptions& o) {
  const Checkpoint& c = run.checkpoint;
  std::unique_ptr<NetworkDenoiser> denoiser = checkpoint_denoiser(c, !o.raw);
  const NoiseSchedule schedule = schedule_make(c.schedule);
  ThreadPool pool(static_cast<std::size_t>(o.threads));
  ElboEvaluator evaluator(*denoiser, schedule, run.config,
                          normalization_apply(c.data.normalization, run.points), run.seed, run.labels);
  ProgressOptions display;
  display.enabled = !o.quiet;
  Progress progress("elbo", evaluator.units_total(), 0, "unit", display);
  while (!evaluator.done()) {
    evaluator.advance(1, pool);
    progress.update(evaluator.units_done());
  }
  progress.finish();
  return evaluator.result();
}

std::optional<TrueNll> true_nll(const ElboRun& run) {
  if (!run.dataset.generated()) return std::nullopt;
  const std::string name = toy2d_sets.name(*run.dataset.set);
  const auto names = gaussian_mixture_names();
  if (std::find(names.begin(), names.end(), name) == names.end()) return std::nullopt;
  Table log_p;
  gaussian_mixture_log_density(log_p, gaussian_mixture_from_name(name), run.points);
  const double n = static_cast<double>(log_p.size());
  double sum = 0, sum_sq = 0;
  for (double v : log_p) sum += -v, sum_sq += v * v;
  const double variance = n > 1 ? std::max(0.0, (sum_sq - sum * sum / n) / (n - 1)) : NAN;
  return TrueNll{sum / n, std::sqrt(variance / n)};
}

nlohmann::ordered_json to_json(const ElboRun& run, const ElboOptions& o, const ElboResult& r,
                               const std::optional<TrueNll>& truth) {
  nlohmann::ordered_json j;
  j["model"] = o.model;
  j["dataset"] = o.dataset;
  j["n"] = r.examples;
  j["D"] = r.dims;
  j["T"] = run.checkpoint.schedule.timesteps;
  j["estimate"] = run.config.strata > 0 ? "stratified" : "exact";
  j["strata"] = run.config.strata;
  j["draws"] = r.draws;
  j["variance"] = reverse_variances.name(run.config.variance);
  j["weights"] = o.raw ? "raw" : "ema";
  j["seed"] = o.seed;
  j["LT"] = r.prior;
  j["Ldiffusion"] = r.diffusion;
  j["L0"] = r.decoder;
  j["nll_bound_nats"] = r.nll_bound_nats;
  j["nll_bound_data_nats"] = r.nll_bound_data_nats;
  j["bits_per_dim"] = r.bits_per_dim;
  const double per_dim = static_cast<double>(r.dims) * ln2;
  j["bits_per_dim_terms"] = {{"LT", r.prior / per_dim},
                             {"Ldiffusion", r.diffusion / per_dim},
                             {"L0", r.decoder / per_dim},
                             {"scale", run.config.log_std_sum / per_dim}};
  j["levels"] = run.config.levels;
  j["given_label"] = run.labels.size() > 0;
  j["standard_error"] =
      std::isfinite(r.standard_error) ? nlohmann::json(r.standard_error) : nlohmann::json();
  j["monte_carlo_standard_error"] = std::isfinite(r.monte_carlo_standard_error)
                                        ? nlohmann::json(r.monte_carlo_standard_error)
                                        : nlohmann::json();
  j["per_t"] = r.per_t.size() > 0
                   ? nlohmann::json(std::vector<double>(r.per_t.begin(), r.per_t.end()))
                   : nlohmann::json();
  if (truth) {
    j["true_nll_data_nats"] = truth->mean;
    j["true_nll_standard_error"] = truth->standard_error;
    j["true_bits_per_dim"] = truth->mean / (static_cast<double>(r.dims) * ln2);
    j["gap_nats"] = r.nll_bound_data_nats - truth->mean;
  }
  return j;
}

// One row of the table: nats per example and, dividing by D ln 2, bits per dimension.
void print_row(const std::string& name, const std::string& what, double nats, std::size_t D,
               const std::string& note = {}) {
  std::cout << "  " << std::left << std::setw(10) << name << std::setw(62) << what << std::right
            << std::fixed << std::setprecision(4) << std::setw(12) << nats << std::setw(10)
            << nats / (static_cast<double>(D) * ln2) << note << '\n';
}

// Where the denoising terms' mass lies: their sums over ten ranges of t.
void print_profile(const ElboResult& r) {
  const std::size_t T = r.per_t.size();
  std::cout << "\n  denoising terms summed over ranges of t (nats per example):\n";
  for (std::size_t k = 0; k < 10; ++k) {
    const std::size_t first = std::max<std::size_t>(1, k * T / 10), end = (k + 1) * T / 10;
    double sum = 0;
    for (std::size_t t = first; t < end; ++t) sum += r.per_t(t);
    std::cout << "    t = " << std::setw(5) << first << " .. " << std::setw(5) << end - 1 << "  "
              << std::setw(10) << std::fixed << std::setprecision(4) << sum << '\n';
  }
}

// How many Monte Carlo draws each term averages (ElboConfig::draws).
std::string draws_text(int draws, bool stratified) {
  const std::string what = stratified ? "(t, x_t)" : "x_t";
  if (draws == 1) return "one draw of " + what + " per example and term";
  return "each term the mean of " + std::to_string(draws) + " draws of " + what + " per example";
}

void print_text(const ElboRun& run, const ElboOptions& o, const ElboResult& r,
                const std::optional<TrueNll>& truth) {
  const int T = run.checkpoint.schedule.timesteps;
  std::cout << "Negative ELBO of " << o.model << " on " << r.examples << " "
            << (run.dataset.generated() ? "fresh points of "
                : run.dataset.image()   ? "held-out images of "
                                        : "points of ")
            << o.dataset << (run.labels.size() > 0 ? " given their labels" : "")
            << " (seed " << o.seed << ", " << (o.raw ? "raw" : "EMA") << " weights, variance "
            << reverse_variances.name(run.config.variance) << ")\n"
            << (run.config.strata > 0
                    ? "stratified estimate: one t in each of " + std::to_string(run.config.strata) +
                          " strata of t = 1.." + std::to_string(T - 1)
                    : "exact: all " + std::to_string(T - 1) + " denoising terms")
            << "; " << draws_text(r.draws, run.config.strata > 0) << "\n\n  " << std::left
            << std::setw(72) << "term" << std::right << std::setw(12) << "nats/example"
            << std::setw(10) << "bits/dim" << '\n';
  const std::size_t D = r.dims;
  const int levels = run.config.levels;
  print_row("L_T", "prior matching: KL(q(x_T | x_0) || N(0, I))", r.prior, D);
  print_row("sum L_t", "denoising matching: sum KL(q(x_t-1|x_t,x_0) || p(x_t-1|x_t))", r.diffusion, D);
  print_row("L_0",
            levels > 0 ? "reconstruction: -log P(x_0 | x_1) over " + std::to_string(levels) + " levels"
                       : "reconstruction: -log p(x_0 | x_1)",
            r.decoder, D);
  const std::string se =
      "  +- " + format_number(std::round(r.standard_error * 1e4) / 1e4) + " (s.e.)";
  if (levels > 0) {  // discrete data: the terms are in the data's units already
    print_row("total", "negative ELBO, data units (bound on the discrete NLL)", r.nll_bound_data_nats, D, se);
  } else {
    print_row("total", "negative ELBO, normalized space", r.nll_bound_nats, D, se);
    print_row("scale", "sum_d log std_d: normalized -> data units", run.config.log_std_sum, D);
    print_row("total", "negative ELBO, data units", r.nll_bound_data_nats, D, se);
  }
  if (truth) {
    print_row("true NLL", "-log p(x_0) under the known mixture, data units", truth->mean, D);
    print_row("gap", "bound - true NLL (>= 0 up to noise)", r.nll_bound_data_nats - truth->mean, D);
  }
  if (r.per_t.size() > 0) print_profile(r);
}

void run_elbo(const ElboOptions& o, const CLI::App& command) {
  const ElboRun run = prepare(o, command);
  run_work([&] {
    const ElboResult result = evaluate(run, o);
    const std::optional<TrueNll> truth = true_nll(run);
    if (o.format == "json") {
      std::cout << to_json(run, o, result, truth).dump(2) << '\n';
    } else {
      print_text(run, o, result, truth);
    }
  });
}

}  // namespace

void add_elbo_command(CLI::App& app) {
  auto o = std::make_shared<ElboOptions>();
  CLI::App* c = app.add_subcommand(
      "elbo", "Bound the model's negative log-likelihood (the ELBO) on test data");
  c->add_option("--model", o->model, "Checkpoint to evaluate")->required()->type_name("FILE");
  c->add_option("--dataset", o->dataset,
                "Test data: " + dataset_help() +
                    " (generated sets: fresh draws; image sets: the held-out split)")
      ->required()
      ->type_name("NAME|FILE");
  // No captured default: it depends on the data set (1000 fresh draws, or every row of a CSV).
  c->add_option("--n", o->n,
                "Test points: N fresh draws of a generated set (default: 1000); the first N rows "
                "of a CSV file (default: all) or of an image set's held-out split (default: "
                "1000, or all if fewer)")
      ->check(int_range(1, 10'000'000))
      ->type_name("INT");
  c->add_option("--strata", o->strata,
                "0: exact sum over every t; K: stratified estimate with K strata (default: 0 for "
                "points, " + std::to_string(image_default_strata) + " for images)")
      ->check(int_range(0, schedule_timesteps_range.max - 1))
      ->type_name("INT");
  c->add_option("--draws", o->draws,
                "Monte Carlo draws of x_t (and, with --strata, of t) per example and term; each "
                "term is their mean and the JSON's monte_carlo_standard_error accounts for it")
      ->check(int_range(1, elbo_max_draws))
      ->capture_default_str()
      ->type_name("INT");
  c->add_option("--variance", o->variance,
                "Reverse variance: fixed_small (beta~) | fixed_large (beta) | learned_range (the "
                "model's own; the default for a model trained with --learn-variance)")
      ->check(one_of(reverse_variances.names()))
      ->capture_default_str()
      ->type_name("NAME");
  c->add_option("--seed", o->seed, "Seed of the test draw and of the x_t (and t) draws")
      ->check(seed_text())
      ->capture_default_str()
      ->type_name("UINT");
  c->add_option("--format", o->format, "text | json")
      ->check(one_of({"text", "json"}))
      ->capture_default_str()
      ->type_name("NAME");
  c->add_flag("--raw", o->raw, "Use the raw weights instead of the EMA weights");
  c->add_flag("--given-label", o->given_label,
              "Conditional models: bound -log p(x | label) with the test data's labels (default: "
              "-log p(x), the null class)");
  o->threads = static_cast<std::int64_t>(ThreadPool::hardware_threads());
  c->add_option("--threads", o->threads, "Worker threads (default: all cores)")
      ->check(int_range(1, 1024))
      ->capture_default_str();
  c->add_flag("--quiet,-q", o->quiet, "No progress display");
  c->footer(
      "Terms follow seed 004 eq. 8-10 with diffusers' indices (docs/reference-workload.md); "
      "the data-unit bound adds sum_d log std_d of the checkpoint's normalization.");
  c->callback([o, c] { run_elbo(*o, *c); });
}

}  // namespace diffuse::cli
