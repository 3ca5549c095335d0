// Kernel benchmarks: GFLOP/s of gemm on every product of the reference MLP (34 -> 128 -> 128 ->
// 128 -> 2) for training at batch 256 and 4096 and for sampling at M = 10,000, plus the throughput
// of the element-wise kernels. Each figure is the median of --reps samples of at least --ms
// milliseconds each (the machine is shared: compare ratios within one run).
//
//   build/bin/bench_kernels [--threads N] [--reps R] [--ms T] [--min] [--json]
//
// --min reports the fastest sample instead of the median (on a busy machine the minimum is the
// better estimate of what the code can do; the median is what a user sees). --json prints one
// object per line with both (bench/wasm_kernels.mjs merges it with the WebAssembly and SSE4.2 runs
// into one table).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/aligned.hpp"
#include "base/rng.hpp"
#include "kernels/activation.hpp"
#include "kernels/arch.hpp"
#include "kernels/fma_probe.hpp"
#include "kernels/gemm.hpp"
#include "kernels/optimizer_kernels.hpp"
#include "bench_timing.hpp"
#include "kernel_workload.hpp"
#include "support/thread_pool.hpp"

using namespace diffuse;
using kernels::Transpose;

namespace {

struct Options {
  std::size_t threads = 1;
  std::size_t reps = 7;
  double min_ms = 20.0;
  bool json = false;
  bool min = false;
};

using bench::Timing;

template <typename F>
Timing time_calls(const Options& opt, F&& f) {
  return bench::time_calls(opt.reps, opt.min_ms, std::forward<F>(f));
}

AlignedBuffer random_buffer(std::size_t n, std::uint64_t seed) {
  AlignedBuffer v(std::max<std::size_t>(n, 1));
  Rng(seed).fill_uniform(v.data(), v.size());
  for (float& x : v) x = 2.0f * x - 1.0f;
  return v;
}

Timing gemm_time(const Options& opt, const bench::GemmShape& s, const Executor& executor) {
  const std::size_t lda = s.ta == Transpose::no ? s.K : s.M;
  const std::size_t ldb = s.tb == Transpose::no ? s.N : s.K;
  const AlignedBuffer A = random_buffer(s.M * s.K, 1), B = random_buffer(s.K * s.N, 2);
  AlignedBuffer C = random_buffer(s.M * s.N, 3);
  return time_calls(opt, [&] {
    kernels::gemm(s.ta, s.tb, s.M, s.N, s.K, 1.0f, A.data(), lda, B.data(), ldb, s.beta, C.data(),
                  s.N, executor);
  });
}

// work: FLOPs or elements per call, reported per second in `unit` (GFLOP/s or Gelem/s).
void print_row(const Options& opt, const std::string& group, const std::string& name, const Timing& t,
               double work, const char* unit) {
  if (opt.json) {
    std::printf("{\"group\":\"%s\",\"name\":\"%s\",\"seconds\":%.9g,\"min_seconds\":%.9g,"
                "\"work\":%.9g,\"unit\":\"%s\"}\n",
                group.c_str(), name.c_str(), t.median, t.min, work, unit);
  } else {
    const double seconds = t.pick(opt.min);
    std::printf("  %-14s %-28s %10.2f us %9.2f %s\n", group.c_str(), name.c_str(), seconds * 1e6,
                work / seconds * 1e-9, unit);
  }
}

// The kernel's best case on this machine right now: one panel, every operand in L1. On a shared
// machine the available FMA throughput varies (another process on the sibling hyperthread halves
// it), so the other rows are best read as fractions of this one.
void bench_probe(const Options& opt, const Executor& executor) {
  // The machine's FMA peak for this build on one thread: independent chains of vector FMAs.
  constexpr std::size_t fma_iterations = 100000;
  volatile float fma_sink = 0;
  print_row(opt, "probe", "FMA peak (register-only loop)",
            time_calls(opt, [&] { fma_sink = fma_sink + kernels::fma_probe(fma_iterations, 1.0f, 0.999f, 0.001f); }),
            static_cast<double>(fma_iterations) * kernels::fma_probe_flops_per_iteration(), "GFLOP/s");
  const bench::GemmShape probe{"probe", "L1-resident (192,32,128)", Transpose::no, Transpose::no, 192, 32, 128, 0.0f, 1};
  print_row(opt, probe.group, probe.name, gemm_time(opt, probe, executor), 2.0 * 192 * 32 * 128, "GFLOP/s");
}

void bench_gemm(const Options& opt, const Executor& executor) {
  std::string group;
  Timing step;
  double step_flops = 0;
  auto flush_step = [&] {
    if (group.empty()) return;
    print_row(opt, group, "all products of one step", step, step_flops, "GFLOP/s");
    if (!opt.json) std::printf("  %-14s %-28s %10.0f steps/s if nothing else ran\n", "", "", 1.0 / step.pick(opt.min));
    step = Timing{};
    step_flops = 0;
  };
  for (const bench::GemmShape& s : bench::reference_gemm_shapes()) {
    if (group != s.group) {
      flush_step();
      group = s.group;
    }
    const Timing t = gemm_time(opt, s, executor);
    const double flops = 2.0 * s.M * s.N * s.K;
    print_row(opt, s.group, s.name, t, flops, "GFLOP/s");
    step.median += s.count * t.median;
    step.min += s.count * t.min;
    step_flops += s.count * flops;
  }
  flush_step();
}

// Element-wise kernels, named "<kernel> <size>" exactly as bench/wasm_kernels.mjs names them.
void bench_elementwise(const Options& opt) {
  for (const std::size_t rows : {std::size_t{256}, std::size_t{4096}}) {
    const std::size_t n = rows * 128;
    const std::string size = std::to_string(rows) + "x128";
    const AlignedBuffer x = random_buffer(n, 4), dy = random_buffer(n, 5);
    AlignedBuffer y(n);
    for (const auto act : {kernels::Activation::relu, kernels::Activation::silu, kernels::Activation::gelu}) {
      const std::string name = kernels::activations.name(act);
      print_row(opt, "elementwise", name + " " + size,
                time_calls(opt, [&] { kernels::activation_forward(act, y.data(), x.data(), n); }),
                static_cast<double>(n), "Gelem/s");
      print_row(opt, "elementwise", name + "_backward " + size,
                time_calls(opt, [&] { kernels::activation_backward(act, y.data(), dy.data(), x.data(), n); }),
                static_cast<double>(n), "Gelem/s");
    }
    print_row(opt, "elementwise", "add_bias_rows " + size,
              time_calls(opt, [&] { kernels::add_bias_rows(y.data(), dy.data(), rows, 128); }),
              static_cast<double>(n), "Gelem/s");
    print_row(opt, "elementwise", "sum_rows_accumulate " + size,
              time_calls(opt, [&] { kernels::sum_rows_accumulate(y.data(), dy.data(), rows, 128); }),
              static_cast<double>(n), "Gelem/s");
  }
  const std::size_t params = 37634;  // the reference model
  AlignedBuffer p = random_buffer(params, 6), g = random_buffer(params, 7), m(params), v(params);
  const kernels::AdamStep step{1e-3f, 0.9f, 0.999f, 1e-8f, 0.0f, 0.1f, 0.001f};
  print_row(opt, "optimizer", "adam 37634",
            time_calls(opt, [&] { kernels::adam_update(p.data(), g.data(), m.data(), v.data(), params, step); }),
            params, "Gelem/s");
  print_row(opt, "optimizer", "ema 37634",
            time_calls(opt, [&] { kernels::ema_update(m.data(), p.data(), params, 0.999f); }), params,
            "Gelem/s");
  volatile double sink = 0;
  print_row(opt, "optimizer", "squared_norm 37634",
            time_calls(opt, [&] { sink = sink + kernels::squared_norm(g.data(), params); }), params,
            "Gelem/s");
}

// The whole reference MLP on the fused kernels: a training step at B = 256 and 4096 (forward,
// backward, clip, Adam, EMA) and a sampling forward over 10,000 points.
void bench_mlp(const Options& opt, const Executor& executor) {
  for (const std::size_t b : {std::size_t{256}, std::size_t{4096}}) {
    bench::MlpKernels mlp(b);
    const Timing t = time_calls(opt, [&] { mlp.train_step(executor); });
    print_row(opt, "mlp B=" + std::to_string(b), "train step (kernels only)", t, mlp.train_flops(), "GFLOP/s");
    if (!opt.json) std::printf("  %-14s %-28s %10.0f steps/s\n", "", "", 1.0 / t.pick(opt.min));
  }
  bench::MlpKernels mlp(10000);
  const Timing t = time_calls(opt, [&] { mlp.sample_forward(executor); });
  print_row(opt, "mlp M=10000", "sampling forward", t, mlp.forward_flops(), "GFLOP/s");
  if (!opt.json) std::printf("  %-14s %-28s %10.2f s per 1000 steps\n", "", "", 1000 * t.pick(opt.min));
}

Options parse(int argc, char** argv) {
  Options opt;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&] {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", arg.c_str());
        std::exit(2);
      }
      return std::string(argv[++i]);
    };
    if (arg == "--threads") opt.threads = std::stoul(value());
    else if (arg == "--reps") opt.reps = std::stoul(value());
    else if (arg == "--ms") opt.min_ms = std::stod(value());
    else if (arg == "--json") opt.json = true;
    else if (arg == "--min") opt.min = true;
    else {
      std::fprintf(stderr, "usage: bench_kernels [--threads N] [--reps R] [--ms T] [--min] [--json]\n");
      std::exit(2);
    }
  }
  return opt;
}

}  // namespace

int main(int argc, char** argv) {
  const Options opt = parse(argc, argv);
  const ThreadPool pool(std::max<std::size_t>(1, opt.threads));
  if (!opt.json) {
    std::printf("bench_kernels: xsimd arch %s (%zu float lanes), %zu thread(s), %s of %zu x >= %.0f ms\n",
                kernels::simd_arch_name().c_str(), kernels::simd_float_lanes(), opt.threads,
                opt.min ? "minimum" : "median", opt.reps, opt.min_ms);
  }
  bench_probe(opt, pool);
  bench_gemm(opt, pool);
  bench_mlp(opt, pool);
  bench_elementwise(opt);
  return 0;
}
