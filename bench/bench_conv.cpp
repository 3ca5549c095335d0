// Convolution benchmarks: every convolution of the two small U-Nets (diffusers' UNet2DModel) that
// the image layers are for, forward and backward, on each path (im2col + gemm, direct), plus the
// machine's FMA peak. One product is 2 B Cout Cin k^2 Ho Wo flops; the forward is one product,
// the backward two (dW and dx), or one where the input is data (conv_in: no dx).
//
//   build/bin/bench_conv [--threads N] [--reps R] [--ms T] [--min] [--model digits|fashion|all]
//
// Each figure is the median (or with --min the fastest) of R samples of at least T ms of
// back-to-back calls on the same buffers; the four calls of a shape (forward and backward on each
// path) are sampled in alternation, R rounds, and the ratios direct / im2col are medians of the
// per-round ratios (with the backward's range), which the shared machine's phases disturb least.
// "count" is how often the shape occurs in one training step; the per-model totals weight each
// shape by it.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "base/aligned.hpp"
#include "base/rng.hpp"
#include "bench_timing.hpp"
#include "kernels/arch.hpp"
#include "kernels/conv2d.hpp"
#include "kernels/fma_probe.hpp"
#include "support/thread_pool.hpp"

using namespace diffuse;
using kernels::Conv2dPath;
using kernels::Conv2dShape;

namespace {

struct Options {
  std::size_t threads = 1;
  std::size_t reps = 5;
  double min_ms = 30.0;
  bool min = false;
  std::string model = "all";
};

struct ConvCase {
  std::string model;  // "digits 8x8 B=128", "fashion 28x28 B=64"
  std::string name;   // "3x3 32->32 @8"
  Conv2dShape shape;
  int count;      // occurrences per training step
  bool needs_dx;  // false for conv_in (its input is data)
};

std::string conv_name(const Conv2dShape& s, const char* what = "") {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%s%zux%zu%s %zu->%zu @%zu", what, s.kernel, s.kernel,
                s.stride == 2 ? "/2" : "", s.in_channels, s.out_channels, s.height);
  return buf;
}

// The convolutions of UNet2DModel(block_out_channels = (32, 64), layers_per_block = 2) on 8x8
// digits and of (32, 64, 64) on 28x28 Fashion-MNIST, one input channel (docs/benchmarks.md,
// "Image layers", lists where each occurs).
std::vector<ConvCase> unet_cases(const std::string& which) {
  using kernels::conv2d_1x1;
  using kernels::conv2d_3x3;
  using kernels::conv2d_3x3_stride2;
  std::vector<ConvCase> cases;
  auto add = [&](const std::string& model, const Conv2dShape& s, int count, bool needs_dx = true) {
    cases.push_back({model, conv_name(s, needs_dx ? "" : "in "), s, count, needs_dx});
  };
  if (which == "digits" || which == "all") {
    const std::string m = "digits 8x8 B=128";
    const std::size_t B = 128;
    add(m, conv2d_3x3(B, 1, 32, 8, 8), 1, false);  // conv_in
    add(m, conv2d_3x3(B, 32, 32, 8, 8), 7);
    add(m, conv2d_3x3_stride2(B, 32, 32, 8, 8), 1);
    add(m, conv2d_3x3(B, 32, 64, 4, 4), 1);
    add(m, conv2d_3x3(B, 64, 64, 4, 4), 10);
    add(m, conv2d_3x3(B, 128, 64, 4, 4), 2);
    add(m, conv2d_3x3(B, 96, 64, 4, 4), 1);
    add(m, conv2d_1x1(B, 32, 64, 4, 4), 1);
    add(m, conv2d_1x1(B, 128, 64, 4, 4), 2);
    add(m, conv2d_1x1(B, 96, 64, 4, 4), 1);
    add(m, conv2d_3x3(B, 64, 64, 8, 8), 1);  // Upsample2D conv
    add(m, conv2d_3x3(B, 96, 32, 8, 8), 1);
    add(m, conv2d_3x3(B, 64, 32, 8, 8), 2);
    add(m, conv2d_1x1(B, 96, 32, 8, 8), 1);
    add(m, conv2d_1x1(B, 64, 32, 8, 8), 2);
    add(m, conv2d_3x3(B, 32, 1, 8, 8), 1);  // conv_out
  }
  if (which == "fashion" || which == "all") {
    const std::string m = "fashion 28x28 B=64";
    const std::size_t B = 64;
    add(m, conv2d_3x3(B, 1, 32, 28, 28), 1, false);  // conv_in
    add(m, conv2d_3x3(B, 32, 32, 28, 28), 7);
    add(m, conv2d_3x3_stride2(B, 32, 32, 28, 28), 1);
    add(m, conv2d_3x3(B, 64, 64, 28, 28), 1);  // Upsample2D conv
    add(m, conv2d_3x3(B, 96, 32, 28, 28), 1);
    add(m, conv2d_3x3(B, 64, 32, 28, 28), 2);
    add(m, conv2d_1x1(B, 96, 32, 28, 28), 1);
    add(m, conv2d_1x1(B, 64, 32, 28, 28), 2);
    add(m, conv2d_3x3(B, 32, 1, 28, 28), 1);  // conv_out
    add(m, conv2d_3x3(B, 32, 64, 14, 14), 1);
    add(m, conv2d_3x3(B, 64, 64, 14, 14), 7);
    add(m, conv2d_3x3(B, 128, 64, 14, 14), 2);
    add(m, conv2d_3x3(B, 96, 64, 14, 14), 1);
    add(m, conv2d_3x3_stride2(B, 64, 64, 14, 14), 1);
    add(m, conv2d_1x1(B, 32, 64, 14, 14), 1);
    add(m, conv2d_1x1(B, 128, 64, 14, 14), 2);
    add(m, conv2d_1x1(B, 96, 64, 14, 14), 1);
    add(m, conv2d_3x3(B, 64, 64, 7, 7), 11);
    add(m, conv2d_3x3(B, 128, 64, 7, 7), 3);
    add(m, conv2d_1x1(B, 128, 64, 7, 7), 3);
  }
  return cases;
}

double product_flops(const Conv2dShape& s) {
  return 2.0 * static_cast<double>(s.batch) * s.out_channels * s.in_channels * s.kernel * s.kernel *
         s.out_height() * s.out_width();
}

AlignedBuffer random_buffer(std::size_t n, std::uint64_t seed) {
  AlignedBuffer v(std::max<std::size_t>(n, 1));
  Rng(seed).fill_normal(v.data(), v.size());
  return v;
}

// A call timed in samples of a fixed number of back-to-back calls (calibrated once to last at
// least min_ms), so that several calls can be sampled in alternation: on a shared machine the
// ratio of two calls sampled in the same round is steadier than either time.
struct Sampler {
  std::function<void()> call;
  std::size_t iters = 1;
  std::vector<double> samples;  // seconds per call

  Sampler(std::function<void()> f, double min_ms) : call(std::move(f)) {
    using clock = std::chrono::steady_clock;
    call();  // warm up (and grow gemm's packing buffers)
    for (;;) {
      const auto t0 = clock::now();
      for (std::size_t i = 0; i < iters; ++i) call();
      if (std::chrono::duration<double, std::milli>(clock::now() - t0).count() >= min_ms) break;
      iters *= 2;
    }
  }
  void sample() {
    const auto t0 = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < iters; ++i) call();
    samples.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() /
                      iters);
  }
  double pick(bool use_min) const {
    return use_min ? *std::min_element(samples.begin(), samples.end()) : median(samples);
  }
  static double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  }
};

double gflops(double flops, double seconds) {
  return flops / seconds * 1e-9;
}

struct Totals {
  double im2col = 0, direct = 0, automatic = 0, flops = 0;
};

void print_totals(const std::string& model, const Totals& t) {
  std::printf(
      "  %-19s %-19s %5s | %29s | %25s | %8.2f ms %6.1f | %8.2f ms %6.1f | %8.2f ms %6.1f\n",
      model.c_str(), "one step, all convs", "", "", "", t.im2col * 1e3, gflops(t.flops, t.im2col),
      t.direct * 1e3, gflops(t.flops, t.direct), t.automatic * 1e3, gflops(t.flops, t.automatic));
}

void bench_case(const Options& opt, const ConvCase& c, const Executor& executor, Totals& totals) {
  const Conv2dShape& s = c.shape;
  const AlignedBuffer x = random_buffer(s.input_size(), 1), w = random_buffer(s.weight_size(), 2),
                      b = random_buffer(s.out_channels, 3), dy = random_buffer(s.output_size(), 4);
  AlignedBuffer y(s.output_size()), dx(s.input_size()), dw(s.weight_size()), db(s.out_channels),
      scratch(kernels::conv2d_scratch_floats(s));
  auto forward = [&](Conv2dPath path) {
    return [&, path] {
      kernels::conv2d_forward(y.data(), x.data(), w.data(), b.data(), s, scratch.data(), executor,
                              path);
    };
  };
  auto backward = [&](Conv2dPath path) {
    return [&, path] {
      kernels::conv2d_backward(c.needs_dx ? dx.data() : nullptr, dw.data(), db.data(), dy.data(),
                               x.data(), w.data(), s, scratch.data(), executor, path);
    };
  };
  // im2col forward, direct forward, im2col backward, direct backward: one sample of each per round.
  std::vector<Sampler> calls;
  calls.emplace_back(forward(Conv2dPath::im2col), opt.min_ms);
  calls.emplace_back(forward(Conv2dPath::direct), opt.min_ms);
  calls.emplace_back(backward(Conv2dPath::im2col), opt.min_ms);
  calls.emplace_back(backward(Conv2dPath::direct), opt.min_ms);
  std::vector<double> fwd_ratio, bwd_ratio;
  for (std::size_t r = 0; r < opt.reps; ++r) {
    for (Sampler& call : calls) call.sample();
    fwd_ratio.push_back(calls[1].samples.back() / calls[0].samples.back());
    bwd_ratio.push_back(calls[3].samples.back() / calls[2].samples.back());
  }
  const double fwd_flops = product_flops(s), bwd_flops = (c.needs_dx ? 2 : 1) * fwd_flops;
  const double t_im2col = calls[0].pick(opt.min) + calls[2].pick(opt.min);
  const double t_direct = calls[1].pick(opt.min) + calls[3].pick(opt.min);
  const bool fwd_direct =
      kernels::conv2d_path(s, kernels::Conv2dPass::forward) == Conv2dPath::direct;
  const bool bwd_direct =
      kernels::conv2d_path(s, kernels::Conv2dPass::backward) == Conv2dPath::direct;
  const double t_auto =
      calls[fwd_direct ? 1 : 0].pick(opt.min) + calls[bwd_direct ? 3 : 2].pick(opt.min);
  std::printf(
      "  %-19s %-19s %5d | %6.1f %6.1f  %6.1f %6.1f | %5.2f %5.2f (%4.2f-%4.2f) | %8.3f ms %6.1f | "
      "%8.3f ms %6.1f | %8.3f ms %6.1f %s\n",
      c.model.c_str(), c.name.c_str(), c.count, gflops(fwd_flops, calls[0].pick(opt.min)),
      gflops(fwd_flops, calls[1].pick(opt.min)), gflops(bwd_flops, calls[2].pick(opt.min)),
      gflops(bwd_flops, calls[3].pick(opt.min)), Sampler::median(fwd_ratio),
      Sampler::median(bwd_ratio), *std::min_element(bwd_ratio.begin(), bwd_ratio.end()),
      *std::max_element(bwd_ratio.begin(), bwd_ratio.end()), t_im2col * 1e3,
      gflops(fwd_flops + bwd_flops, t_im2col), t_direct * 1e3,
      gflops(fwd_flops + bwd_flops, t_direct), t_auto * 1e3, gflops(fwd_flops + bwd_flops, t_auto),
      fwd_direct ? (bwd_direct ? "direct" : "direct/im2col")
                 : (bwd_direct ? "im2col/direct" : "im2col"));
  std::fflush(stdout);
  totals.im2col += c.count * t_im2col;
  totals.direct += c.count * t_direct;
  totals.automatic += c.count * t_auto;
  totals.flops += c.count * (fwd_flops + bwd_flops);
}

void bench_cases(const Options& opt, const Executor& executor) {
  std::printf("  %-19s %-19s %5s | %-29s | %-25s | %-18s | %-18s | %-18s\n", "model", "convolution",
              "count", "GFLOP/s fwd i2c dir, bwd i2c dir", "direct/im2col fwd bwd (range)",
              "fwd+bwd im2col", "fwd+bwd direct", "fwd+bwd automatic");
  std::string model;
  Totals totals;
  for (const ConvCase& c : unet_cases(opt.model)) {
    if (c.model != model) {
      if (!model.empty()) print_totals(model, totals);
      model = c.model;
      totals = Totals{};
    }
    bench_case(opt, c, executor, totals);
  }
  if (!model.empty()) print_totals(model, totals);
}

void bench_fma_peak(const Options& opt) {
  constexpr std::size_t iterations = 100000;
  volatile float sink = 0;
  const bench::Timing t = bench::time_calls(opt.reps, opt.min_ms, [&] {
    sink = sink + kernels::fma_probe(iterations, 1.0f, 0.999f, 0.001f);
  });
  const double flops = static_cast<double>(iterations) * kernels::fma_probe_flops_per_iteration();
  std::printf("  FMA peak (register-only loop, one thread): %.1f GFLOP/s\n",
              gflops(flops, t.pick(opt.min)));
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
    if (arg == "--threads")
      opt.threads = std::stoul(value());
    else if (arg == "--reps")
      opt.reps = std::stoul(value());
    else if (arg == "--ms")
      opt.min_ms = std::stod(value());
    else if (arg == "--min")
      opt.min = true;
    else if (arg == "--model")
      opt.model = value();
    else {
      std::fprintf(stderr,
                   "usage: bench_conv [--threads N] [--reps R] [--ms T] [--min] [--model "
                   "digits|fashion|all]\n");
      std::exit(2);
    }
  }
  if (opt.model != "digits" && opt.model != "fashion" && opt.model != "all") {
    std::fprintf(stderr, "--model must be digits, fashion or all, not %s\n", opt.model.c_str());
    std::exit(2);
  }
  return opt;
}

}  // namespace

int main(int argc, char** argv) {
  const Options opt = parse(argc, argv);
  const ThreadPool pool(std::max<std::size_t>(1, opt.threads));
  std::printf(
      "bench_conv: xsimd arch %s (%zu float lanes), %zu thread(s), %s of %zu x >= %.0f ms\n",
      kernels::simd_arch_name().c_str(), kernels::simd_float_lanes(), opt.threads,
      opt.min ? "minimum" : "median", opt.reps, opt.min_ms);
  bench_fma_peak(opt);
  bench_cases(opt, pool);
  bench_fma_peak(opt);  // again at the end: the shared machine's phase may have changed
  return 0;
}
