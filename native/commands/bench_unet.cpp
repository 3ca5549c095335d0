// diffuse bench --dataset digits|fashion (commands/bench_unet.hpp): the U-Net training step, its
// convolutions' rate against the FMA peak, and the peak memory.
#include "commands/bench_unet.hpp"

#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/median.hpp"
#include "base/rng.hpp"
#include "cli.hpp"
#include "commands/image_defaults.hpp"
#include "diffusion/trainer.hpp"
#include "kernels/arch.hpp"
#include "kernels/group_norm.hpp"
#include "nn/unet.hpp"
#include "support/fma_peak.hpp"
#include "support/image_datasets.hpp"
#include "support/thread_pool.hpp"

namespace diffuse::cli {
namespace {

double now() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

// CPU seconds of the whole process (every thread, user + system). On a shared host whose load
// exceeds its cores, a one-thread run's wall time includes the time slices others took; its CPU
// time does not, so steps per CPU second is the steadier measure (the same on an idle machine).
double cpu_now() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

struct Spread {
  double median = 0, min = 0, max = 0;
};

Spread spread(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {median(v), v.front(), v.back()};
}

// The run's settings: rounds of at least `seconds` and `min_steps` steps each.
struct Plan {
  int rounds;
  double seconds;
  int min_steps;
  int layer_reps;  // repetitions of each convolution / GroupNorm timed alone (median)
};

UNetConfig unet_for(ImageDataset dataset, const ImageDefaults& d, std::size_t classes) {
  UNetConfig u;
  u.in_channels = 1;
  u.sample_size = image_dataset_side(dataset);
  u.block_out_channels = unet_channels_from_text(d.channels);
  u.layers_per_block = static_cast<std::size_t>(d.layers_per_block);
  u.norm_num_groups = static_cast<std::size_t>(d.groups);
  u.add_attention = false;
  u.classes = classes;
  return u;
}

TrainConfig train_for(const ImageDefaults& d) {
  TrainConfig t;
  t.batch = static_cast<std::size_t>(d.batch);
  t.steps = d.steps;
  t.warmup_steps = d.warmup;
  t.learning_rate = d.lr;
  t.ema_decay = d.ema;
  return t;  // eps MSE, Adam (0.9, 0.999, 1e-8), clip 1.0, label dropout 0.1: the defaults
}

// ---- one layer alone, on the step's chunks ------------------------------------------------------

struct LayerTime {
  std::string name, kind;  // kind: "conv" or "group_norm"
  std::string shape;       // "3x3 32->64 @28" / "GN 32 @28"
  double forward = 0, backward = 0;  // seconds per step (all chunks)
  double flops = 0;                  // per step, forward + backward (convolutions)
};

std::vector<std::size_t> chunks_of(std::size_t B, std::size_t R) {
  std::vector<std::size_t> out;
  for (std::size_t first = 0; first < B; first += R) out.push_back(std::min(R, B - first));
  return out;
}

std::string conv_text(const Conv2dShape& s) {
  char text[64];
  std::snprintf(text, sizeof text, "%zux%zu%s %zu->%zu @%zu", s.kernel, s.kernel,
                s.stride == 2 ? "/2" : "", s.in_channels, s.out_channels, s.height);
  return text;
}

// Median over reps of the time one step spends in this convolution: forward over every chunk,
// then backward over every chunk, as the trainer runs them.
using Clock = double (*)();

LayerTime time_conv(const UNetConv& conv, std::size_t B, std::size_t R, int reps, Clock clock,
                    const Executor& executor) {
  Conv2dShape s = conv.shape;
  s.batch = R;
  Rng rng(7, 1);
  std::vector<float> x(s.input_size()), y(s.output_size()), dy(s.output_size()), dx(s.input_size());
  std::vector<float> w(s.weight_size()), dw(s.weight_size()), b(s.out_channels), db(s.out_channels);
  std::vector<float> scratch(conv2d_scratch_floats(s));
  rng.fill_normal(x.data(), x.size());
  rng.fill_normal(dy.data(), dy.size());
  rng.fill_normal(w.data(), w.size());
  rng.fill_normal(b.data(), b.size());
  const std::vector<std::size_t> chunks = chunks_of(B, R);
  std::vector<double> fwd, bwd;
  for (int r = 0; r <= reps; ++r) {  // round 0 warms up
    const double t0 = clock();
    for (std::size_t rows : chunks) {
      s.batch = rows;
      conv2d_forward(y.data(), x.data(), w.data(), b.data(), s, scratch.data(), executor);
    }
    const double t1 = clock();
    for (std::size_t rows : chunks) {
      s.batch = rows;
      conv2d_backward(conv.needs_dx ? dx.data() : nullptr, dw.data(), db.data(), dy.data(), x.data(),
                      w.data(), s, scratch.data(), executor);
    }
    const double t2 = clock();
    if (r > 0) {
      fwd.push_back(t1 - t0);
      bwd.push_back(t2 - t1);
    }
  }
  s.batch = B;
  return {conv.name, "conv", conv_text(s), median(fwd), median(bwd),
          (conv.needs_dx ? 3 : 2) * conv2d_product_flops(s)};
}

// The GroupNorm + SiLU in front of a convolution (a resnet's norm1 / norm2, conv_norm_out).
LayerTime time_group_norm(const std::string& name, std::size_t C, std::size_t side, std::size_t G,
                          std::size_t B, std::size_t R, int reps, Clock clock,
                          const Executor& executor) {
  const std::size_t P = side * side;
  Rng rng(7, 2);
  std::vector<float> x(R * C * P), y(x.size()), dact(x.size()), dy(x.size()), dx(x.size());
  std::vector<float> mean(R * G), rstd(R * G), gamma(C, 1.0f), beta(C, 0.0f), dg(C), dbt(C);
  rng.fill_normal(x.data(), x.size());
  rng.fill_normal(dy.data(), dy.size());
  const std::vector<std::size_t> chunks = chunks_of(B, R);
  std::vector<double> fwd, bwd;
  for (int r = 0; r <= reps; ++r) {
    const double t0 = clock();
    for (std::size_t rows : chunks) {
      kernels::group_norm_forward(kernels::Activation::silu, y.data(), dact.data(), mean.data(),
                                  rstd.data(), x.data(), gamma.data(), beta.data(),
                                  {rows, C, G, P, unet_norm_eps}, executor);
    }
    const double t1 = clock();
    for (std::size_t rows : chunks) {
      kernels::group_norm_backward(kernels::Activation::silu, dx.data(), dg.data(), dbt.data(),
                                   dact.data(), mean.data(), rstd.data(), dy.data(), x.data(),
                                   gamma.data(), {rows, C, G, P, unet_norm_eps}, executor);
    }
    const double t2 = clock();
    if (r > 0) {
      fwd.push_back(t1 - t0);
      bwd.push_back(t2 - t1);
    }
  }
  char shape[48];
  std::snprintf(shape, sizeof shape, "GN+SiLU %zu @%zu", C, side);
  return {name, "group_norm", shape, median(fwd), median(bwd), 0.0};
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// Every GroupNorm + SiLU of the network, found from the convolution it feeds.
std::vector<LayerTime> time_group_norms(const std::vector<UNetConv>& convs, const UNetConfig& u,
                                        std::size_t B, std::size_t R, int reps, Clock clock,
                                        const Executor& executor) {
  std::vector<LayerTime> out;
  for (const UNetConv& c : convs) {
    std::string name;
    if (ends_with(c.name, ".conv1")) name = c.name.substr(0, c.name.size() - 6) + ".norm1";
    if (ends_with(c.name, ".conv2")) name = c.name.substr(0, c.name.size() - 6) + ".norm2";
    if (c.name == "conv_out") name = "conv_norm_out";
    if (name.empty()) continue;
    out.push_back(time_group_norm(name, c.shape.in_channels, c.shape.height, u.norm_num_groups, B,
                                  R, reps, clock, executor));
  }
  return out;
}

// ---- the whole step -------------------------------------------------------------------------------

struct StepTiming {
  std::vector<double> steps_per_second;      // one per round: steps / wall seconds
  std::vector<double> steps_per_cpu_second;  // steps / CPU seconds of the process
  Spread spread, cpu_spread;
};

StepTiming time_steps(Trainer& trainer, const Plan& plan, const Executor& executor) {
  for (int i = 0; i < 2; ++i) trainer.step(executor);  // buffers sized, caches warm
  StepTiming out;
  for (int r = 0; r < plan.rounds; ++r) {
    const double start = now(), cpu_start = cpu_now();
    int steps = 0;
    double elapsed = 0;
    do {
      trainer.step(executor);
      ++steps;
      elapsed = now() - start;
    } while (steps < plan.min_steps || elapsed < plan.seconds);
    out.steps_per_cpu_second.push_back(steps / (cpu_now() - cpu_start));
    out.steps_per_second.push_back(steps / elapsed);
  }
  out.spread = spread(out.steps_per_second);
  out.cpu_spread = spread(out.steps_per_cpu_second);
  return out;
}


// The process's peak resident set: VmHWM of /proc/self/status. (getrusage's ru_maxrss is no
// good here: Linux carries it across exec, so a bench started by a large parent, such as the
// Python of bench/speed_side_by_side.py, would report the parent's peak.) Falls back to ru_maxrss
// without /proc.
double peak_rss_mib() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmHWM:") {
      double kib = 0;
      status >> kib;
      return kib / 1024.0;
    }
    std::getline(status, key);
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;  // Linux: KiB
}

// ---- the report -----------------------------------------------------------------------------------

struct Report {
  std::string dataset, model, channels;
  std::size_t batch = 0, chunk_rows = 0, threads = 1, parameters = 0, train_images = 0;
  StepTiming step;
  double conv_flops = 0;          // per step
  double conv_seconds = 0;        // per step, the convolutions timed alone
  double group_norm_seconds = 0;  // per step, the GroupNorm + SiLU layers timed alone
  double fma_peak = 0;            // GFLOP/s, one thread
  double peak_rss = 0;            // MiB
  double load_before = 0, load_after = 0;
  std::vector<LayerTime> layers;  // --layers
  std::string layer_clock;        // "CPU" (one thread) or "wall"
};

// The 1-minute load average (0 where /proc is missing): how busy the machine was.
double load_average() {
  double load = 0;
  std::ifstream("/proc/loadavg") >> load;
  return load;
}

void print_text(const Report& r, bool full) {
  // The step's time on the layers' clock, so that the shares compare like with like.
  const double step_s = 1.0 / (r.threads == 1 ? r.step.cpu_spread.median : r.step.spread.median);
  const double conv_rate = r.conv_flops / r.conv_seconds * 1e-9;
  std::printf("%s\n%s mode: %zu rounds; 1-minute load average %.2f before, %.2f after\n\n",
              version_text().c_str(), full ? "full" : "quick", r.step.steps_per_second.size(),
              r.load_before, r.load_after);
  std::printf("U-Net training step, %s (%s)\n", r.dataset.c_str(), r.model.c_str());
  std::printf("  batch %zu in chunks of %zu rows, %zu thread%s, %zu training images\n", r.batch,
              r.chunk_rows, r.threads, r.threads == 1 ? "" : "s", r.train_images);
  std::printf("  steps/s            %9.3f  (median of %zu rounds; %.3f - %.3f)   %.0f examples/s\n",
              r.step.spread.median, r.step.steps_per_second.size(), r.step.spread.min,
              r.step.spread.max, r.step.spread.median * r.batch);
  std::printf("  steps/CPU-second   %9.3f  (%.3f - %.3f; the process's CPU time, which other load "
              "does not inflate)\n",
              r.step.cpu_spread.median, r.step.cpu_spread.min, r.step.cpu_spread.max);
  std::printf("  convolutions       %9.2f GFLOP per step (forward + backward)\n", r.conv_flops * 1e-9);
  std::printf("  convolutions alone %9.1f ms per step (%s time) = %.1f GFLOP/s, %.0f%% of the FMA "
              "peak (%.1f GFLOP/s, one thread)\n",
              r.conv_seconds * 1e3, r.layer_clock.c_str(), conv_rate, 100.0 * conv_rate / r.fma_peak,
              r.fma_peak);
  std::printf("  GroupNorm+SiLU     %9.1f ms per step (alone)\n", r.group_norm_seconds * 1e3);
  std::printf("  the whole step     %9.1f ms%s: convolutions %.0f%%, GroupNorm+SiLU %.0f%%, the "
              "rest %.0f%%;\n                     whole-step rate of the convolution flops %.1f "
              "GFLOP/s\n",
              step_s * 1e3, r.threads == 1 ? " (CPU time)" : "", 100 * r.conv_seconds / step_s,
              100 * r.group_norm_seconds / step_s,
              100 * (1 - (r.conv_seconds + r.group_norm_seconds) / step_s),
              r.conv_flops / step_s * 1e-9);
  std::printf("  peak memory (VmHWM, the process's peak RSS) %.1f MiB\n", r.peak_rss);
  if (r.layers.empty()) return;
  std::printf("\n  %-36s %-18s %9s %9s %9s\n", "layer", "shape", "fwd ms", "bwd ms", "GFLOP/s");
  for (const LayerTime& l : r.layers) {
    if (l.flops > 0) {
      std::printf("  %-36s %-18s %9.3f %9.3f %9.1f\n", l.name.c_str(), l.shape.c_str(),
                  l.forward * 1e3, l.backward * 1e3, l.flops / (l.forward + l.backward) * 1e-9);
    } else {
      std::printf("  %-36s %-18s %9.3f %9.3f %9s\n", l.name.c_str(), l.shape.c_str(),
                  l.forward * 1e3, l.backward * 1e3, "");
    }
  }
}

void print_json(const Report& r, bool full) {
  nlohmann::ordered_json j;
  j["version"] = version_text();
  j["simd"] = kernels::simd_arch_name();
  j["mode"] = full ? "full" : "quick";
  j["workload"] = "unet";
  j["dataset"] = r.dataset;
  j["model"] = r.model;
  j["channels"] = r.channels;
  j["parameters"] = r.parameters;
  j["batch"] = r.batch;
  j["chunk_rows"] = r.chunk_rows;
  j["threads"] = r.threads;
  j["steps_per_second"] = {{"median", r.step.spread.median},
                           {"min", r.step.spread.min},
                           {"max", r.step.spread.max},
                           {"rounds", r.step.steps_per_second}};
  j["steps_per_cpu_second"] = {{"median", r.step.cpu_spread.median},
                               {"min", r.step.cpu_spread.min},
                               {"max", r.step.cpu_spread.max},
                               {"rounds", r.step.steps_per_cpu_second}};
  j["conv_flops_per_step"] = r.conv_flops;
  j["conv_seconds_per_step"] = r.conv_seconds;
  j["conv_gflops"] = r.conv_flops / r.conv_seconds * 1e-9;
  j["layer_clock"] = r.layer_clock;
  j["group_norm_seconds_per_step"] = r.group_norm_seconds;
  j["fma_peak_gflops"] = r.fma_peak;
  j["peak_memory_mib"] = r.peak_rss;
  j["load_1min"] = {r.load_before, r.load_after};
  if (!r.layers.empty()) {
    j["layers"] = nlohmann::ordered_json::array();
    for (const LayerTime& l : r.layers) {
      j["layers"].push_back({{"name", l.name},
                             {"kind", l.kind},
                             {"shape", l.shape},
                             {"forward_seconds", l.forward},
                             {"backward_seconds", l.backward},
                             {"flops", l.flops}});
    }
  }
  std::cout << j.dump(2) << '\n';
}

}  // namespace

void run_bench_unet(const UNetBenchOptions& o) {
  const Plan plan = o.full ? Plan{7, 3.0, 3, 5} : Plan{5, 1.0, 2, 3};
  const auto say = [&](const char* what) {
    if (!o.json) std::fprintf(stderr, "bench: %s...\n", what);
  };
  Report r;
  r.load_before = load_average();
  r.dataset = image_datasets.name(o.dataset);
  r.threads = o.threads;
  const ImageDefaults defaults = image_defaults(o.dataset);
  say("loading the training images");
  // A missing data set is a bad input (exit 2, like diffuse train); after this, errors are failures.
  TrainingData data = training_data_from_images(image_dataset_load(o.dataset).train, r.dataset);
  run_work([&] {
    r.train_images = data.size();
    const UNetConfig unet = unet_for(o.dataset, defaults, data.classes);
    const TrainConfig train = train_for(defaults);
    Trainer trainer(ScheduleConfig{}, DiffusionConfig{}, unet, train, std::move(data));
    r.model = "channels " + defaults.channels + ", " + std::to_string(defaults.layers_per_block) +
              " resnet per down block, " + std::to_string(defaults.groups) + " groups, " +
              std::to_string(unet.classes) + " classes";
    r.channels = defaults.channels;
    r.parameters = trainer.network().layout().count();
    r.batch = train.batch;
    r.chunk_rows = trainer.network().train_chunk_rows(trainer.train_config().batch);
    ThreadPool pool(o.threads);
    say("training steps");
    r.step = time_steps(trainer, plan, pool);
    say("each convolution and GroupNorm alone");
    // One thread: the layers' CPU time (steadier on a loaded host); more: wall time.
    const Clock clock = o.threads == 1 ? &cpu_now : &now;
    r.layer_clock = o.threads == 1 ? "CPU" : "wall";
    const std::vector<UNetConv> convs = unet_convs(unet, r.batch);
    for (const UNetConv& c : convs) {
      const LayerTime t = time_conv(c, r.batch, r.chunk_rows, plan.layer_reps, clock, pool);
      r.conv_flops += t.flops;
      r.conv_seconds += t.forward + t.backward;
      if (o.layers) r.layers.push_back(t);
    }
    for (const LayerTime& t :
         time_group_norms(convs, unet, r.batch, r.chunk_rows, plan.layer_reps, clock, pool)) {
      r.group_norm_seconds += t.forward + t.backward;
      if (o.layers) r.layers.push_back(t);
    }
    say("the FMA peak");
    r.fma_peak = fma_peak_gflops(1);
    r.peak_rss = peak_rss_mib();
    r.load_after = load_average();
    if (o.json) {
      print_json(r, o.full);
    } else {
      print_text(r, o.full);
    }
  });
}

}  // namespace diffuse::cli
