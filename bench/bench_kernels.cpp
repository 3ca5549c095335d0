// Kernel benchmarks: GFLOP/s of gemm on every product of the reference MLP (34 -> 128 -> 128 ->
// 128 -> 2) for training at batch 256 and 4096 and for sampling at M = 10,000, plus the throughput
// of the element-wise kernels. Each figure is the median of --reps samples of at least --ms
// milliseconds each (the machine is shared: compare ratios within one run).
//
//   build/bin/bench_kernels [--threads N] [--reps R] [--ms T] [--json]
//
// --json prints one object per line (bench/wasm_kernels.mjs merges it with the WebAssembly and
// SSE4.2 runs into one table).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "base/aligned.hpp"
#include "base/rng.hpp"
#include "kernels/activation.hpp"
#include "kernels/arch.hpp"
#include "kernels/gemm.hpp"
#include "kernels/optimizer_kernels.hpp"
#include "support/thread_pool.hpp"

using namespace diffuse;
using kernels::Transpose;

namespace {

struct Options {
  std::size_t threads = 1;
  std::size_t reps = 7;
  double min_ms = 20.0;
  bool json = false;
};

// Median over reps of the time per call (seconds), each sample running f enough times to last
// min_ms (calibrated by doubling).
template <typename F>
double median_seconds(const Options& opt, F&& f) {
  using clock = std::chrono::steady_clock;
  f();  // warm up caches and the scratch buffers
  std::size_t iters = 1;
  for (;;) {
    const auto t0 = clock::now();
    for (std::size_t i = 0; i < iters; ++i) f();
    const double ms = std::chrono::duration<double, std::milli>(clock::now() - t0).count();
    if (ms >= opt.min_ms || iters >= (1u << 24)) break;
    iters *= 2;
  }
  std::vector<double> samples;
  for (std::size_t r = 0; r < opt.reps; ++r) {
    const auto t0 = clock::now();
    for (std::size_t i = 0; i < iters; ++i) f();
    samples.push_back(std::chrono::duration<double>(clock::now() - t0).count() / iters);
  }
  std::nth_element(samples.begin(), samples.begin() + samples.size() / 2, samples.end());
  return samples[samples.size() / 2];
}

AlignedBuffer random_buffer(std::size_t n, std::uint64_t seed) {
  AlignedBuffer v(std::max<std::size_t>(n, 1));
  Rng(seed).fill_uniform(v.data(), v.size());
  for (float& x : v) x = 2.0f * x - 1.0f;
  return v;
}

struct GemmShape {
  const char* group;  // "train B=256", ...
  const char* name;   // "fwd L1 (B,128,128)", ...
  Transpose ta, tb;
  std::size_t M, N, K;
  float beta;
  int count;  // times per training step (or sampling step)
};

// The products of one step of the reference MLP at batch b (forward, dX, dW) or of one sampling
// step over b points (forward only). W is [out, in]: forward X W^T (NT), dX = dY W (NN),
// dW += dY^T X (TN).
std::vector<GemmShape> reference_shapes() {
  std::vector<GemmShape> shapes;
  const Transpose n = Transpose::no, y = Transpose::yes;
  for (const char* group : {"train B=256", "train B=4096"}) {
    const std::size_t b = std::strcmp(group, "train B=256") == 0 ? 256 : 4096;
    shapes.push_back({group, "fwd  X W^T  (B,128,34)", n, y, b, 128, 34, 0.0f, 1});
    shapes.push_back({group, "fwd  X W^T  (B,128,128)", n, y, b, 128, 128, 0.0f, 2});
    shapes.push_back({group, "fwd  X W^T  (B,2,128)", n, y, b, 2, 128, 0.0f, 1});
    shapes.push_back({group, "bwd  dY W   (B,128,2)", n, n, b, 128, 2, 0.0f, 1});
    shapes.push_back({group, "bwd  dY W   (B,128,128)", n, n, b, 128, 128, 0.0f, 2});
    shapes.push_back({group, "bwd  dY^T X (128,34,B)", y, n, 128, 34, b, 1.0f, 1});
    shapes.push_back({group, "bwd  dY^T X (128,128,B)", y, n, 128, 128, b, 1.0f, 2});
    shapes.push_back({group, "bwd  dY^T X (2,128,B)", y, n, 2, 128, b, 1.0f, 1});
  }
  const char* sample = "sample M=10000";
  shapes.push_back({sample, "fwd  X W^T  (M,128,34)", n, y, 10000, 128, 34, 0.0f, 1});
  shapes.push_back({sample, "fwd  X W^T  (M,128,128)", n, y, 10000, 128, 128, 0.0f, 2});
  shapes.push_back({sample, "fwd  X W^T  (M,2,128)", n, y, 10000, 2, 128, 0.0f, 1});
  return shapes;
}

double gemm_seconds(const Options& opt, const GemmShape& s, const Executor& executor) {
  const std::size_t lda = s.ta == Transpose::no ? s.K : s.M;
  const std::size_t ldb = s.tb == Transpose::no ? s.N : s.K;
  const AlignedBuffer A = random_buffer(s.M * s.K, 1), B = random_buffer(s.K * s.N, 2);
  AlignedBuffer C = random_buffer(s.M * s.N, 3);
  return median_seconds(opt, [&] {
    kernels::gemm(s.ta, s.tb, s.M, s.N, s.K, 1.0f, A.data(), lda, B.data(), ldb, s.beta, C.data(),
                  s.N, executor);
  });
}

void print_row(const Options& opt, const char* group, const std::string& name, double seconds,
               double flops, const char* unit) {
  const double rate = flops / seconds * 1e-9;
  if (opt.json) {
    std::printf("{\"group\":\"%s\",\"name\":\"%s\",\"seconds\":%.9g,\"rate\":%.6g,\"unit\":\"%s\"}\n",
                group, name.c_str(), seconds, rate, unit);
  } else {
    std::printf("  %-14s %-28s %10.2f us %9.2f %s\n", group, name.c_str(), seconds * 1e6, rate, unit);
  }
}

void bench_gemm(const Options& opt, const Executor& executor) {
  std::string group;
  double step_seconds = 0, step_flops = 0;
  auto flush_step = [&] {
    if (group.empty()) return;
    print_row(opt, group.c_str(), "all products of one step", step_seconds, step_flops, "GFLOP/s");
    if (!opt.json) std::printf("  %-14s %-28s %10.0f steps/s if nothing else ran\n", "", "", 1.0 / step_seconds);
    step_seconds = step_flops = 0;
  };
  for (const GemmShape& s : reference_shapes()) {
    if (group != s.group) {
      flush_step();
      group = s.group;
    }
    const double seconds = gemm_seconds(opt, s, executor);
    const double flops = 2.0 * s.M * s.N * s.K;
    print_row(opt, s.group, s.name, seconds, flops, "GFLOP/s");
    step_seconds += s.count * seconds;
    step_flops += s.count * flops;
  }
  flush_step();
}

void bench_elementwise(const Options& opt) {
  for (const std::size_t n : {std::size_t{256 * 128}, std::size_t{4096 * 128}}) {
    const std::string size = n == 256 * 128 ? "256x128" : "4096x128";
    const AlignedBuffer x = random_buffer(n, 4), dy = random_buffer(n, 5);
    AlignedBuffer y(n);
    for (const auto act : {kernels::Activation::relu, kernels::Activation::silu, kernels::Activation::gelu}) {
      const std::string name = kernels::activation_name(act);
      print_row(opt, "activation", name + " forward " + size,
                median_seconds(opt, [&] { kernels::activation_forward(act, y.data(), x.data(), n); }),
                static_cast<double>(n), "Gelem/s");
      print_row(opt, "activation", name + " backward " + size,
                median_seconds(opt, [&] { kernels::activation_backward(act, y.data(), dy.data(), x.data(), n); }),
                static_cast<double>(n), "Gelem/s");
    }
    print_row(opt, "activation", "add_bias_rows " + size,
              median_seconds(opt, [&] { kernels::add_bias_rows(y.data(), dy.data(), n / 128, 128); }),
              static_cast<double>(n), "Gelem/s");
    print_row(opt, "activation", "sum_rows_accumulate " + size,
              median_seconds(opt, [&] { kernels::sum_rows_accumulate(y.data(), dy.data(), n / 128, 128); }),
              static_cast<double>(n), "Gelem/s");
  }
  const std::size_t params = 37634;  // the reference model
  AlignedBuffer p = random_buffer(params, 6), g = random_buffer(params, 7), m(params), v(params);
  const kernels::AdamStep step{1e-3f, 0.9f, 0.999f, 1e-8f, 0.0f, 0.1f, 0.001f};
  print_row(opt, "optimizer", "adam_update 37634",
            median_seconds(opt, [&] { kernels::adam_update(p.data(), g.data(), m.data(), v.data(), params, step); }),
            params, "Gelem/s");
  print_row(opt, "optimizer", "ema_update 37634",
            median_seconds(opt, [&] { kernels::ema_update(m.data(), p.data(), params, 0.999f); }), params,
            "Gelem/s");
  volatile double sink = 0;
  print_row(opt, "optimizer", "squared_norm 37634",
            median_seconds(opt, [&] { sink = sink + kernels::squared_norm(g.data(), params); }), params,
            "Gelem/s");
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
    else {
      std::fprintf(stderr, "usage: bench_kernels [--threads N] [--reps R] [--ms T] [--json]\n");
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
    std::printf("bench_kernels: xsimd arch %s (%zu float lanes), %zu thread(s), median of %zu x >= %.0f ms\n",
                kernels::simd_arch_name().c_str(), kernels::simd_float_lanes(), opt.threads, opt.reps,
                opt.min_ms);
  }
  bench_gemm(opt, pool);
  bench_elementwise(opt);
  return 0;
}
