// diffuse sweep: sample quality against the number of model calls, for every sampler (issue 13
// item 5). Each sampler runs at each budget of model calls with the largest step count that fits
// (Heun's N steps cost 2N - 1 calls; a multistep solver whose rounded steps would repeat takes
// fewer), from the same seed, and is scored against held-out data as `diffuse eval` scores it:
// the energy distance for points, the Fréchet distance in the quality classifier's features for
// images, beside the data-vs-data baseline (a perfect model's score at this n). Output: a table
// (text or JSON) and optionally a PNG chart of quality against calls on log-log axes.
#include <algorithm>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "cli.hpp"
#include "commands/commands.hpp"
#include "commands/eval_images.hpp"
#include "commands/eval_options.hpp"
#include "diffusion/sampler_plan.hpp"
#include "metrics/energy_distance.hpp"
#include "support/arguments.hpp"
#include "support/atomic_file.hpp"
#include "support/checkpoint_file.hpp"
#include "support/datasets.hpp"
#include "support/line_chart.hpp"
#include "support/sample_draw.hpp"
#include "support/thread_pool.hpp"

namespace diffuse::cli {
namespace {

struct SweepOptions {
  EvalOptions eval;  // --model, --dataset, --n, --classifier, --format, --threads, sampling flags
  std::string samplers = "ddpm,ddim,euler,euler_a,heun,dpmpp_2m,dpmpp_2m_sde,unipc";
  std::string budgets = "5,10,20,50,100,1000";
  std::string out;   // PNG chart
};

struct Point {
  int budget = 0, steps = 0, calls = 0;
  double score = 0.0;
};

struct Series {
  SamplerKind kind;
  std::vector<Point> points;
};

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

// The largest N whose plan fits the budget (and is valid), or 0 if none does.
int steps_for_budget(const NoiseSchedule& schedule, SamplerConfig config, int budget) {
  for (int N = std::min(budget, schedule.T); N >= 1; --N) {
    config.steps = N;
    const int calls = config.kind == SamplerKind::heun ? 2 * N - 1 : N;
    if (calls > budget) continue;
    try {
      sampler_plan(schedule, config);
      return N;
    } catch (const Error&) {
      continue;  // rounded steps repeat at this N: try fewer
    }
  }
  return 0;
}

// The sampling flags of one sampler's runs: the common ones, --karras only where offered, and one
// step (checked so; each budget sets its own).
SamplerOptions flags_for(const SweepOptions& o, SamplerKind kind) {
  SamplerOptions flags = o.eval.sampling;
  flags.sampler = sampler_kinds.name(kind);
  flags.steps = 1;
  if (flags.karras && !sampler_offers_karras(kind)) flags.karras = false;
  return flags;
}

// The score of samples (n, D), data units: energy distance or Fréchet distance.
struct Judge {
  std::string metric;
  double baseline = 0.0;
  std::size_t n = 0;
  Labels labels;
  std::function<double(const Tensor2&)> score;
};

Judge judge_for(const SweepOptions& o, const CLI::App& command, const Checkpoint& c,
                const DatasetSpec& spec, const Executor& executor,
                std::unique_ptr<ImageFrechetJudge>& images) {
  Judge judge;
  if (spec.image()) {
    images = std::make_unique<ImageFrechetJudge>(o.eval, command, c, *spec.images, executor);
    judge.metric = "Frechet distance (classifier features)";
    judge.baseline = images->baseline();
    judge.n = images->n();
    judge.labels = images->labels();
    ImageFrechetJudge* j = images.get();
    judge.score = [j, &executor](const Tensor2& samples) { return j->score(samples, executor); };
    return judge;
  }
  auto reference = std::make_shared<PointsReference>(
      points_reference(o.eval, command, spec, model_sample_size(c.model)));
  judge.metric = "energy distance^2";
  judge.baseline = energy_distance(reference->baseline, reference->data).u_statistic;
  judge.n = reference->data.shape(0);
  const std::size_t K = model_classes(c.model);
  if (K > 0) judge.labels = classes_in_turn(judge.n, K);
  judge.score = [reference](const Tensor2& samples) {
    return energy_distance(samples, reference->data).u_statistic;
  };
  return judge;
}

void print_table(const SweepOptions& o, const Judge& judge, const std::vector<Series>& all,
                 const std::vector<int>& budgets) {
  std::cout << "Quality against model calls: " << judge.metric << " of " << judge.n
            << " samples of " << o.eval.model << " to held-out " << o.eval.dataset
            << " (seed " << o.eval.sampling.seed << "); data-vs-data baseline "
            << std::scientific << std::setprecision(3) << judge.baseline << "\n\n";
  std::cout << std::left << std::setw(14) << "sampler" << std::right;
  for (int b : budgets) std::cout << std::setw(12) << (std::to_string(b) + " calls");
  std::cout << '\n';
  for (const Series& s : all) {
    std::cout << std::left << std::setw(14) << sampler_kinds.name(s.kind) << std::right;
    for (const Point& p : s.points) {
      if (p.steps == 0) {
        std::cout << std::setw(12) << "-";
      } else {
        std::cout << std::setw(12) << std::scientific << std::setprecision(3) << p.score;
      }
    }
    std::cout << '\n';
  }
  std::cout << "\nEach cell is the largest step count within the budget (heun: N steps = 2N - 1 "
               "calls); lower is better; the baseline is a perfect model's score at this n.\n";
}

nlohmann::ordered_json sweep_json(const SweepOptions& o, const Judge& judge,
                                  const std::vector<Series>& all) {
  nlohmann::ordered_json j;
  j["model"] = o.eval.model;
  j["dataset"] = o.eval.dataset;
  j["n"] = judge.n;
  j["seed"] = o.eval.sampling.seed;
  j["metric"] = judge.metric;
  j["baseline"] = judge.baseline;
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const Series& s : all) {
    for (const Point& p : s.points) {
      if (p.steps == 0) continue;
      rows.push_back({{"sampler", sampler_kinds.name(s.kind)}, {"budget", p.budget},
                      {"steps", p.steps}, {"calls", p.calls}, {"score", p.score}});
    }
  }
  j["results"] = rows;
  return j;
}

void write_chart(const SweepOptions& o, const Judge& judge, const std::vector<Series>& all) {
  LineChart chart;
  chart.title = o.eval.dataset + ": quality against model calls";
  chart.subtitle = judge.metric + " of " + std::to_string(judge.n) + " samples of " + o.eval.model +
                   " to held-out data (lower is better)";
  if (judge.baseline <= 0) {  // an unbiased estimate of 0 may be negative: no place on a log axis
    std::ostringstream text;
    text << std::scientific << std::setprecision(2) << judge.baseline;
    chart.subtitle += "; data vs data: " + text.str();
  }
  chart.x_label = "model calls";
  chart.y_label = judge.metric;
  chart.reference = judge.baseline;
  chart.reference_label = "data vs data (a perfect model)";
  for (std::size_t i = 0; i < all.size(); ++i) {
    LineSeries line{sampler_kinds.name(all[i].kind), {}, {}, line_chart_color(i)};
    for (const Point& p : all[i].points) {
      if (p.steps == 0) continue;
      line.x.push_back(p.calls);
      line.y.push_back(p.score);
    }
    chart.series.push_back(std::move(line));
  }
  atomic_write_file(o.out, line_chart_draw(chart).encode_png());
}

void run_sweep(SweepOptions& o, const CLI::App& command) {
  const Checkpoint c = checkpoint_load("--model", o.eval.model);
  const DatasetSpec spec = dataset_resolve("--dataset", o.eval.dataset);
  // A flow model samples with euler and heun only: those are its default list.
  if (c.diffusion.objective == Objective::flow && command.count("--samplers") == 0) o.samplers = "euler,heun";
  std::vector<SamplerKind> kinds;
  for (const std::string& name : split_list(o.samplers)) kinds.push_back(sampler_kinds.value(name));
  if (kinds.empty()) fail("--samplers is empty: name at least one of ", sampler_kinds.allowed());
  std::vector<int> budgets;
  for (const std::string& text : split_list(o.budgets)) {
    const std::int64_t b = parse_integer("--budgets", text);
    if (b < 1 || b > 100000) fail("--budgets: ", text, " is invalid: budgets are 1..100000 model calls");
    budgets.push_back(static_cast<int>(b));
  }
  if (budgets.empty()) fail("--budgets is empty: give model-call budgets such as 5,10,20");
  if (!o.out.empty()) check_output_path("--out", o.out, {".png"});
  if (command.count("--sampler") > 0 || command.count("--steps") > 0) {
    fail("--sampler/--steps: sweep runs every sampler of --samplers at every budget of --budgets");
  }
  const NoiseSchedule schedule = schedule_make(c.schedule);
  // Every (sampler, budget) is checked before any work: a flag that does not apply fails now.
  std::vector<Series> all;
  for (SamplerKind kind : kinds) {
    Series s{kind, {}};
    const SamplerOptions flags = flags_for(o, kind);
    for (int budget : budgets) {
      SamplerConfig config = sampler_config_from(flags, command, c);
      Point p;
      p.budget = budget;
      p.steps = steps_for_budget(schedule, config, budget);
      p.calls = kind == SamplerKind::heun ? 2 * p.steps - 1 : p.steps;
      s.points.push_back(p);
    }
    all.push_back(std::move(s));
  }
  run_work([&] {
    ThreadPool pool(static_cast<std::size_t>(o.eval.threads));
    std::unique_ptr<ImageFrechetJudge> images;
    const Judge judge = judge_for(o, command, c, spec, pool, images);
    for (Series& s : all) {
      const SamplerOptions flags = flags_for(o, s.kind);
      for (Point& p : s.points) {
        if (p.steps == 0) continue;
        SamplerConfig config = sampler_config_from(flags, command, c);
        config.steps = p.steps;
        const Tensor2 samples = draw_samples(c, flags, config, judge.labels, judge.n, pool, true);
        p.score = judge.score(samples);
        if (!o.eval.quiet) {
          std::cerr << "sweep: " << sampler_kinds.name(s.kind) << " at " << p.calls << " calls: "
                    << p.score << '\n';
        }
      }
    }
    if (o.eval.format == "json") {
      std::cout << sweep_json(o, judge, all).dump(2) << '\n';
    } else {
      print_table(o, judge, all, budgets);
    }
    if (!o.out.empty()) write_chart(o, judge, all);
  });
}

}  // namespace

void add_sweep_command(CLI::App& app) {
  auto o = std::make_shared<SweepOptions>();
  CLI::App* c = app.add_subcommand(
      "sweep", "Sample quality against the number of model calls, for every sampler");
  c->add_option("--model", o->eval.model, "Checkpoint to evaluate")->required()->type_name("FILE");
  c->add_option("--dataset", o->eval.dataset,
                "Held-out data: " + dataset_help() + " (named sets: fresh draws)")
      ->required()
      ->type_name("NAME|FILE");
  c->add_option("--n", o->eval.n,
                "Samples per run, and data points in each of the two data sets (images: default "
                "148 for digits, 1000 for fashion)")
      ->check(int_range(2, 100'000))
      ->capture_default_str();
  c->add_option("--samplers", o->samplers, "Comma-separated samplers to compare")
      ->capture_default_str()
      ->type_name("LIST");
  c->add_option("--budgets", o->budgets, "Comma-separated budgets of model calls")
      ->capture_default_str()
      ->type_name("LIST");
  c->add_option("--out", o->out, "Also draw the chart as a PNG")->type_name("FILE.png");
  c->add_option("--classifier", o->eval.classifier,
                "Images: the quality classifier (default data/<set>-classifier.safetensors)")
      ->type_name("FILE");
  c->add_option("--format", o->eval.format, "text | json")
      ->check(one_of({"text", "json"}))
      ->capture_default_str()
      ->type_name("NAME");
  sampler_options_add(*c, o->eval.sampling, "Sampling (every run)");
  o->eval.threads = static_cast<std::int64_t>(ThreadPool::hardware_threads());
  c->add_option("--threads", o->eval.threads, "Worker threads (default: all cores)")
      ->check(int_range(1, 1024))
      ->capture_default_str();
  c->add_flag("--quiet,-q", o->eval.quiet, "No progress lines");
  c->footer(
      "Every sampler draws the same seed's noise. --karras applies to the samplers that offer it "
      "(euler, heun, dpmpp_2m, dpmpp_2m_sde, unipc) and is ignored by the others; --spacing, "
      "--class and --guidance apply to all. docs/samplers.md records sweeps.");
  c->callback([o, c] { run_sweep(*o, *c); });
}

}  // namespace diffuse::cli
