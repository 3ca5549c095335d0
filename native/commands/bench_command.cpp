// diffuse bench: how fast this machine trains and samples the reference workload
// (docs/reference-workload.md): training steps per second of the default model at batch 256 and
// 4096 and the time to sample 10,000 points with DDPM (1000 steps) and DDIM (50 steps), each with
// one thread and with all (and the speed-up), the float32 FMA peak of one thread and of all
// (support/fma_peak.hpp) with each training rate as a fraction of it, and the peak memory. A benchmark, not a test: each number is the median of a
// few repetitions. Quick by default (about a second per repetition; sampling times are the
// measured time per step times the number of steps, which is exact up to noise because every step
// costs the same); --full runs longer repetitions and complete sampling runs.
// --dataset digits|fashion times the U-Net training step of that image data set instead
// (commands/bench_unet.hpp).
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "base/median.hpp"
#include "base/rng.hpp"
#include "cli.hpp"
#include "commands/bench_unet.hpp"
#include "commands/commands.hpp"
#include "data/toy2d.hpp"
#include "diffusion/sampler.hpp"
#include "diffusion/trainer.hpp"
#include "nn/mlp_config.hpp"
#include "kernels/arch.hpp"
#include "support/arguments.hpp"
#include "support/fma_peak.hpp"
#include "support/thread_pool.hpp"

namespace diffuse::cli {
namespace {

constexpr std::size_t sample_points = 10000;

struct BenchOptions {
  bool full = false, json = false, layers = false;
  std::int64_t threads = 1;
  std::string dataset;  // empty: the reference workload; digits | fashion: the U-Net step
};

struct Plan {
  int repetitions;
  double seconds;  // minimum length of one repetition
};

struct TrainItem {
  std::size_t batch, threads;
  double steps_per_second;
};

struct SampleItem {
  std::string sampler;
  std::size_t threads;
  int steps;
  double seconds;
  bool extrapolated;
};

double now() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

// Repeats `work` (one unit at a time) for at least plan.seconds per repetition; returns the
// median time per unit.
template <typename Work>
double median_seconds_per_unit(const Plan& plan, Work&& work) {
  std::vector<double> per_unit;
  for (int r = 0; r < plan.repetitions; ++r) {
    const double start = now();
    int units = 0;
    double elapsed = 0;
    do {
      work();
      ++units;
      elapsed = now() - start;
    } while (elapsed < plan.seconds);
    per_unit.push_back(elapsed / units);
  }
  return median(per_unit);
}

TrainItem bench_training(std::size_t batch, std::size_t threads, const Plan& plan) {
  TrainConfig train;
  train.batch = batch;
  train.steps = 1'000'000'000;  // never finishes; the warm-up and schedule are the reference's
  Rng rng(0, toy2d_rng_stream);
  Trainer trainer(
      ScheduleConfig{}, DiffusionConfig{}, MlpConfig{}, train,
      training_data_from_points(toy2d_sample(Toy2d::moons, train.train_size, rng), "moons"));
  ThreadPool pool(threads);
  for (int i = 0; i < 2; ++i) trainer.step(pool);  // buffers sized, caches warm
  const double seconds = median_seconds_per_unit(plan, [&] { trainer.step(pool); });
  return {batch, threads, 1.0 / seconds};
}

SampleItem bench_sampling(SamplerKind kind, bool full, const Plan& plan, std::size_t threads) {
  ThreadPool executor(threads);
  NetworkDenoiser model(network_make(MlpConfig{}), Prediction::eps);
  Rng rng(0, 1);
  model.network().init_params(rng);  // timing does not depend on the weights
  const NoiseSchedule schedule = schedule_make(ScheduleConfig{});
  SamplerConfig config;
  config.kind = kind;
  const int K = sampler_steps(config, schedule.T);
  SampleItem item{sampler_kinds.name(config.kind), threads, K, 0.0, !full};
  if (full) {
    item.seconds = median_seconds_per_unit({plan.repetitions, 0.0}, [&] {
      Tensor2 samples;
      sample(samples, nullptr, model, schedule, config, sample_points, 0, executor);
    });
    return item;
  }
  Sampler sampler(model, schedule, config, sample_points, 0);
  sampler.step(executor);  // warm-up
  item.seconds = K * median_seconds_per_unit(plan, [&] {
                   if (sampler.done()) sampler = Sampler(model, schedule, config, sample_points, 0);
                   sampler.step(executor);
                 });
  return item;
}

double peak_memory_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;  // Linux reports KiB
}

// GEMM flops of one training example of the reference model: forward 2 in out per layer, and
// backward as much again for dW plus the same for dx in every layer but the first (whose input is
// data). Elementwise work (activations, loss, Adam) is not counted.
double train_flops_per_example(const MlpConfig& c) {
  const double D_in = static_cast<double>(mlp_input_width(c)), H = static_cast<double>(c.hidden);
  const double out = static_cast<double>(mlp_out_dim(c));
  const double first = D_in * H, rest = (static_cast<double>(c.layers) - 1) * H * H + H * out;
  return 2 * (first + rest) + 2 * (first + rest) + 2 * rest;
}

struct Results {
  std::vector<TrainItem> train;
  std::vector<SampleItem> samples;
  double peak_one = 0, peak_all = 0;  // FMA peak GFLOP/s on one thread and on all
};

// The one-thread item this item's speed-up is against (nullptr: none, or itself).
template <typename Item, typename Same>
const Item* one_thread_twin(const std::vector<Item>& items, const Item& item, Same same) {
  if (item.threads == 1) return nullptr;
  for (const Item& other : items) {
    if (other.threads == 1 && same(other)) return &other;
  }
  return nullptr;
}

void print_text(const BenchOptions& o, const Results& r) {
  std::printf("%s\n%s mode: median of %s repetitions%s\n\n", version_text().c_str(),
              o.full ? "full" : "quick", o.full ? "5" : "3",
              o.full ? "" : " (--full for longer ones and complete sampling runs)");
  const auto all = static_cast<std::size_t>(o.threads);
  std::printf("float32 FMA peak: %.1f GFLOP/s on 1 thread", r.peak_one);
  if (all > 1) {
    std::printf(", %.1f on %zu threads (%.2fx)", r.peak_all, all, r.peak_all / r.peak_one);
  }
  std::printf("\n\ntraining, reference model (37,762 parameters) on moons:\n");
  const double flops = train_flops_per_example(MlpConfig{});
  for (const TrainItem& t : r.train) {
    std::printf("  batch %4zu, %zu thread%s  %9.1f steps/s  %10.0f examples/s", t.batch,
                t.threads, t.threads == 1 ? " " : "s", t.steps_per_second,
                t.steps_per_second * t.batch);
    const TrainItem* one =
        one_thread_twin(r.train, t, [&](const TrainItem& x) { return x.batch == t.batch; });
    if (one != nullptr) std::printf("  %.2fx", t.steps_per_second / one->steps_per_second);
    const double peak = t.threads == 1 ? r.peak_one : r.peak_all;
    std::printf("  %3.0f%% of peak\n", 100.0 * t.steps_per_second * t.batch * flops * 1e-9 / peak);
  }
  std::printf("  (%% of the FMA peak of as many threads, counting %.0f GEMM flops per example)\n",
              flops);
  std::printf("\nsampling %zu points:\n", sample_points);
  for (const SampleItem& s : r.samples) {
    std::printf("  %s, %4d steps, %zu thread%s  %7.2f s", s.sampler == "ddpm" ? "DDPM" : "DDIM",
                s.steps, s.threads, s.threads == 1 ? " " : "s", s.seconds);
    const SampleItem* one = one_thread_twin(
        r.samples, s, [&](const SampleItem& x) { return x.sampler == s.sampler; });
    if (one != nullptr) std::printf("  %.2fx", one->seconds / s.seconds);
    std::printf("%s\n", s.extrapolated ? "  (time per step x steps)" : "");
  }
  std::printf("\npeak memory (max RSS): %.1f MiB\n", peak_memory_mib());
}

void print_json(const BenchOptions& o, const Results& r) {
  nlohmann::ordered_json j;
  j["version"] = version_text();
  j["simd"] = kernels::simd_arch_name();
  j["mode"] = o.full ? "full" : "quick";
  j["threads"] = o.threads;
  j["fma_peak_gflops"] = {{"one_thread", r.peak_one}, {"all_threads", r.peak_all}};
  j["train_flops_per_example"] = train_flops_per_example(MlpConfig{});
  j["train"] = nlohmann::ordered_json::array();
  for (const TrainItem& t : r.train) {
    j["train"].push_back({{"batch", t.batch},
                          {"threads", t.threads},
                          {"steps_per_second", t.steps_per_second},
                          {"examples_per_second", t.steps_per_second * t.batch}});
  }
  j["sample"] = nlohmann::ordered_json::array();
  for (const SampleItem& s : r.samples) {
    j["sample"].push_back({{"sampler", s.sampler},
                           {"threads", s.threads},
                           {"steps", s.steps},
                           {"n", sample_points},
                           {"seconds", s.seconds},
                           {"extrapolated", s.extrapolated}});
  }
  j["peak_memory_mib"] = peak_memory_mib();
  std::cout << j.dump(2) << '\n';
}

void run_bench(const BenchOptions& o) {
  run_work([&] {
    const Plan plan = o.full ? Plan{5, 3.0} : Plan{3, 0.5};
    const auto all = static_cast<std::size_t>(o.threads);
    const auto say = [&](const char* what, const std::string& which, std::size_t threads) {
      if (!o.json) {
        std::fprintf(stderr, "bench: %s, %s, %zu thread(s)...\n", what, which.c_str(), threads);
      }
    };
    // Each item on one thread, then on all (once when all = 1).
    std::vector<std::size_t> counts{1};
    if (all > 1) counts.push_back(all);
    Results r;
    for (std::size_t batch : {256, 4096}) {
      for (std::size_t threads : counts) {
        say("training", "batch " + std::to_string(batch), threads);
        r.train.push_back(bench_training(batch, threads, plan));
      }
    }
    for (SamplerKind kind : {SamplerKind::ddpm, SamplerKind::ddim}) {
      for (std::size_t threads : counts) {
        say("sampling", sampler_kinds.name(kind), threads);
        r.samples.push_back(bench_sampling(kind, o.full, o.full ? Plan{3, 0.0} : plan, threads));
      }
    }
    if (!o.json) std::fprintf(stderr, "bench: the FMA peak...\n");
    r.peak_one = fma_peak_gflops(1);
    r.peak_all = all > 1 ? fma_peak_gflops(all) : r.peak_one;
    if (o.json) {
      print_json(o, r);
    } else {
      print_text(o, r);
    }
  });
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto o = std::make_shared<BenchOptions>();
  CLI::App* c = app.add_subcommand(
      "bench", "Measure training steps/s and sampling time of the reference workload (not a test)");
  c->add_flag("--full", o->full,
              "Longer repetitions (5 of 3 s) and complete sampling runs (3 each)");
  c->add_flag("--json", o->json, "Print the results as JSON");
  o->threads = static_cast<std::int64_t>(ThreadPool::hardware_threads());
  c->add_option("--threads", o->threads,
                "The \"all threads\" count (default: all cores); with --dataset, the threads of "
                "the U-Net step")
      ->check(int_range(1, 1024))
      ->capture_default_str();
  c->add_option("--dataset", o->dataset,
                "digits | fashion: time the U-Net training step of `diffuse train --dataset NAME "
                "--conditional` (the data set's defaults) instead of the reference workload")
      ->check(CLI::IsMember({"digits", "fashion"}));
  c->add_flag("--layers", o->layers,
              "With --dataset: also list every convolution and GroupNorm + SiLU, each timed alone "
              "(ms per step forward and backward, GFLOP/s)");
  c->footer(
      "Quick mode measures each item for about 1.5 s (3 repetitions of 0.5 s); sampling "
      "times are the median time of one step times the number of steps.\n"
      "With --dataset: steps/s is the median of 5 rounds of at least 1 s and 2 steps (--full: 7 "
      "of 3 s and 3 steps); the convolutions' GFLOP/s count 2 B Cout Cin k^2 Ho Wo per product "
      "(forward one, backward two: dx and dW) over their time alone on the step's chunks, against "
      "the FMA peak of one thread; peak memory is the process's peak RSS, VmHWM (training images "
      "included).");
  c->callback([o] {
    if (o->layers && o->dataset.empty()) fail("--layers needs --dataset digits|fashion");
    if (o->dataset.empty()) {
      run_bench(*o);
      return;
    }
    UNetBenchOptions u;
    u.dataset = image_datasets.value(o->dataset);
    u.full = o->full;
    u.json = o->json;
    u.layers = o->layers;
    u.threads = static_cast<std::size_t>(o->threads);
    run_bench_unet(u);
  });
}

}  // namespace diffuse::cli
