// Kernel benchmarks timed inside WebAssembly (emscripten_get_now, so JavaScript call overhead is
// not counted), for bench/wasm_kernels.mjs to print next to the native AVX-512 and SSE4.2 runs of
// bench_kernels; both time the same workload (bench/kernel_workload.hpp).
//   benchShapes() -> [{ group, name, transA, transB, M, N, K, beta, count }]  the reference GEMMs
//   benchGemm(M, N, K, transA, transB, beta, reps, minMs) -> { ok, seconds, minSeconds }
//   benchKernel(name, n, reps, minMs) -> { ok, seconds, minSeconds }
//       name: relu | silu | gelu, each also with "_backward"; adam, ema, squared_norm
//   benchMlp(kind, batch, reps, minMs) -> { ok, seconds, minSeconds, flops }
//       kind: "train" (one training step) or "sample" (one sampling forward)
//   benchUNetTrain(settings, warmupSteps, steps) -> { ok, seconds, steps, loss, parameters,
//       chunkRows, model }   the page's U-Net training step (Trainer::step, one thread) on random
//       8x8 images: settings are the page's own (channels, layersPerBlock, groups, batch, lr,
//       warmup, steps, emaDecay, ...; web/bindings/settings.hpp), for bench/browser_unet_bench.mjs
//   checkKernels() -> { ok, checked, failures, first }   gemm (every path, all transposes) and the
//       activations against their scalar twins inside WebAssembly, where there is no FMA and
//       the reciprocal estimate is a division: the native tests' tolerances, rerun on SIMD128.
// seconds is the median over reps of the time per call, minSeconds the fastest; each sample lasts
// at least minMs.
#include <emscripten/bind.h>
#include <emscripten/emscripten.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "kernel_workload.hpp"
#include "base/aligned.hpp"
#include "base/error.hpp"
#include "base/rng.hpp"
#include "data/digits.hpp"
#include "diffusion/trainer.hpp"
#include "guard.hpp"
#include "kernels/activation.hpp"
#include "kernels/gemm.hpp"
#include "kernels/optimizer_kernels.hpp"
#include "settings.hpp"

namespace diffuse::web {
namespace {

using emscripten::val;

// The median and the minimum over reps of the time per call, as { seconds, minSeconds }.
template <typename F>
val time_calls(int reps, double min_ms, F&& f) {
  f();  // warm up (and let the engine tier up the hot code)
  int iters = 1;
  for (;;) {
    const double t0 = emscripten_get_now();
    for (int i = 0; i < iters; ++i) f();
    if (emscripten_get_now() - t0 >= min_ms || iters >= (1 << 24)) break;
    iters *= 2;
  }
  std::vector<double> samples;
  for (int r = 0; r < std::max(reps, 1); ++r) {
    const double t0 = emscripten_get_now();
    for (int i = 0; i < iters; ++i) f();
    samples.push_back((emscripten_get_now() - t0) * 1e-3 / iters);
  }
  std::sort(samples.begin(), samples.end());
  val out = val::object();
  out.set("seconds", samples[samples.size() / 2]);
  out.set("minSeconds", samples.front());
  return out;
}

val bench_shapes() {
  val list = val::array();
  for (const bench::GemmShape& s : bench::reference_gemm_shapes()) {
    val item = val::object();
    item.set("group", s.group);
    item.set("name", s.name);
    item.set("transA", s.ta == kernels::Transpose::yes);
    item.set("transB", s.tb == kernels::Transpose::yes);
    item.set("M", static_cast<double>(s.M));
    item.set("N", static_cast<double>(s.N));
    item.set("K", static_cast<double>(s.K));
    item.set("beta", s.beta);
    item.set("count", s.count);
    list.call<void>("push", item);
  }
  return list;
}

AlignedBuffer random_buffer(std::size_t n, std::uint64_t seed) {
  AlignedBuffer v(std::max<std::size_t>(n, 1));
  Rng(seed).fill_uniform(v.data(), v.size());
  for (float& x : v) x = 2.0f * x - 1.0f;
  return v;
}

val bench_gemm(int M, int N, int K, bool trans_a, bool trans_b, double beta, int reps, double min_ms) {
  return guarded([&] {
    if (M < 0 || N < 0 || K < 0) fail("benchGemm: sizes must be >= 0, got ", M, " ", N, " ", K);
    const auto ta = trans_a ? kernels::Transpose::yes : kernels::Transpose::no;
    const auto tb = trans_b ? kernels::Transpose::yes : kernels::Transpose::no;
    const std::size_t m = M, n = N, k = K;
    const AlignedBuffer A = random_buffer(m * k, 1), B = random_buffer(k * n, 2);
    AlignedBuffer C = random_buffer(m * n, 3);
    return time_calls(reps, min_ms, [&] {
      kernels::gemm(ta, tb, m, n, k, 1.0f, A.data(), trans_a ? m : k, B.data(), trans_b ? k : n,
                    static_cast<float>(beta), C.data(), n);
    });
  });
}

val bench_kernel(const std::string& name, int count, int reps, double min_ms) {
  return guarded([&] {
    if (count < 1) fail("benchKernel: n must be >= 1, got ", count);
    const std::size_t n = count;
    AlignedBuffer x = random_buffer(n, 4), y = random_buffer(n, 5), m = random_buffer(n, 6), v(n, 0.01f);
    const kernels::AdamStep step{1e-3f, 0.9f, 0.999f, 1e-8f, 0.0f, 0.1f, 0.001f};
    volatile double sink = 0;
    if (name == "adam") {
      return time_calls(reps, min_ms, [&] { kernels::adam_update(x.data(), y.data(), m.data(), v.data(), n, step); });
    }
    if (name == "ema") return time_calls(reps, min_ms, [&] { kernels::ema_update(m.data(), x.data(), n, 0.999f); });
    if (name == "squared_norm") {
      return time_calls(reps, min_ms, [&] { sink = sink + kernels::squared_norm(x.data(), n); });
    }
    const bool backward = name.size() > 9 && name.compare(name.size() - 9, 9, "_backward") == 0;
    const auto act = kernels::activations.value(backward ? name.substr(0, name.size() - 9) : name);
    if (backward) {
      return time_calls(reps, min_ms, [&] { kernels::activation_backward(act, m.data(), y.data(), x.data(), n); });
    }
    return time_calls(reps, min_ms, [&] { kernels::activation_forward(act, m.data(), x.data(), n); });
  });
}

val bench_mlp(const std::string& kind, int batch, int reps, double min_ms) {
  return guarded([&] {
    if (batch < 1) fail("benchMlp: batch must be >= 1, got ", batch);
    if (kind != "train" && kind != "sample") fail("benchMlp: kind '", kind, "': allowed are train, sample");
    bench::MlpKernels mlp(static_cast<std::size_t>(batch));
    const bool train = kind == "train";
    val out = train ? time_calls(reps, min_ms, [&] { mlp.train_step(serial_executor()); })
                    : time_calls(reps, min_ms, [&] { mlp.sample_forward(serial_executor()); });
    out.set("flops", train ? mlp.train_flops() : mlp.forward_flops());
    return out;
  });
}

// The digits' shape and split size (core/data/digits.hpp: 1,500 training images of 1x8x8, 10
// classes), filled with uniform [-1, 1] pixels and random labels: a step's arithmetic does not depend
// on the pixel values (bench/torchref/unet_training.py does the same), and the page's IDX asset is
// not needed here.
TrainingData random_digits(std::uint64_t seed) {
  const std::size_t N = digits_count - digits_test_count, D = digits_side * digits_side;
  TrainingData data;
  data.samples = Tensor2::from_shape({N, D});
  AlignedBuffer pixels = random_buffer(N * D, seed);
  std::copy(pixels.begin(), pixels.end(), data.samples.begin());
  data.shape = {1, digits_side, digits_side};
  data.labels = Labels::from_shape({N});
  Rng(seed, 1).fill_below(data.labels.data(), N, static_cast<std::uint32_t>(digits_classes));
  data.classes = digits_classes;
  data.source = "random digits";
  return data;
}

// Builds the Trainer the page builds from these settings (class-conditional), runs warmupSteps
// steps untimed (buffers sized, the engine tiered up), then times `steps` steps: seconds is the
// time inside Trainer::step only.
val bench_unet_train(const val& settings, int warmup_steps, int steps) {
  return guarded([&] {
    if (warmup_steps < 0 || steps < 1) {
      fail("benchUNetTrain: warmupSteps must be >= 0 and steps >= 1, got ", warmup_steps, " and ",
           steps);
    }
    const DiffusionConfig diffusion = diffusion_settings(settings);
    const TrainConfig train = train_settings(settings, diffusion);
    TrainingData data = random_digits(train.seed + 1);
    const ModelConfig model = model_settings(settings, data.shape, data.classes);
    Trainer trainer(schedule_settings(settings), diffusion, model, train, std::move(data));
    for (int i = 0; i < warmup_steps; ++i) trainer.step(serial_executor());
    double loss = 0;
    const double t0 = emscripten_get_now();
    for (int i = 0; i < steps; ++i) loss = trainer.step(serial_executor()).loss;
    const double seconds = (emscripten_get_now() - t0) * 1e-3;
    val out = val::object();
    out.set("seconds", seconds);
    out.set("steps", steps);
    out.set("loss", loss);
    out.set("parameters", static_cast<double>(trainer.network().layout().count()));
    out.set("chunkRows", static_cast<double>(trainer.network().train_chunk_rows(trainer.train_config().batch)));
    out.set("model", model_describe(model));
    return out;
  });
}

// gemm against gemm_ref with the tolerance derived in tests/unit/kernels/test_gemm.cpp:
// |C - Cref| <= (2K + 2 blocks + 4) u (|alpha| S + |beta C0|), S = sum_k |op(A)(i,k) op(B)(k,j)|.
void check_gemm(std::size_t M, std::size_t N, std::size_t K, bool ta, bool tb, float alpha,
                float beta, std::size_t& checked, std::size_t& failures, std::string& first) {
  const auto at = ta ? kernels::Transpose::yes : kernels::Transpose::no;
  const auto bt = tb ? kernels::Transpose::yes : kernels::Transpose::no;
  const std::size_t lda = ta ? M : K, ldb = tb ? K : N;
  const AlignedBuffer A = random_buffer(M * K, 11), B = random_buffer(K * N, 12), C0 = random_buffer(M * N, 13);
  AlignedBuffer C = C0, ref = C0;
  kernels::gemm(at, bt, M, N, K, alpha, A.data(), lda, B.data(), ldb, beta, C.data(), N);
  kernels::gemm_ref(at, bt, M, N, K, alpha, A.data(), lda, B.data(), ldb, beta, ref.data(), N);
  const double u = 1.0 / (1 << 24), blocks = (K + 255) / 256;
  for (std::size_t i = 0; i < M; ++i) {
    for (std::size_t j = 0; j < N; ++j) {
      double S = 0;
      for (std::size_t k = 0; k < K; ++k) {
        S += std::abs(static_cast<double>(ta ? A[k * lda + i] : A[i * lda + k]) * (tb ? B[j * ldb + k] : B[k * ldb + j]));
      }
      const double tol = (2.0 * K + 2 * blocks + 4) * u * (std::abs(alpha) * S + std::abs(beta * C0[i * N + j]));
      ++checked;
      if (!(std::abs(static_cast<double>(C[i * N + j]) - ref[i * N + j]) <= tol) && failures++ == 0) {
        first = error_message("gemm M=", M, " N=", N, " K=", K, " transA=", ta, " transB=", tb, " C(", i, ",", j,
                              ") = ", C[i * N + j], ", reference ", ref[i * N + j]);
      }
    }
  }
}

val check_kernels() {
  return guarded([&] {
    std::size_t checked = 0, failures = 0;
    std::string first;
    const std::size_t shapes[][3] = {{1, 1, 1}, {9, 33, 17}, {256, 128, 34}, {256, 2, 128}, {256, 128, 2},
                                     {128, 34, 256}, {2, 128, 256}, {37, 130, 300}, {70, 9, 5}};
    for (const auto& s : shapes) {
      for (int t = 0; t < 4; ++t) {
        check_gemm(s[0], s[1], s[2], t & 1, t & 2, t == 3 ? -0.5f : 1.0f, t >= 2 ? 1.0f : 0.0f, checked, failures, first);
      }
    }
    // SiLU and GELU to 16 u (GELU: plus its arguments' conditioning, (16 + 2 x^2) u), as natively.
    const std::size_t n = 1001;
    AlignedBuffer x(n), y(n), ref(n);
    for (std::size_t i = 0; i < n; ++i) x[i] = -12.0f + 24.0f * static_cast<float>(i) / (n - 1);
    for (const auto act : {kernels::Activation::silu, kernels::Activation::gelu}) {
      kernels::activation_forward(act, y.data(), x.data(), n);
      kernels::activation_forward_ref(act, ref.data(), x.data(), n);
      for (std::size_t i = 0; i < n; ++i) {
        const double rel = act == kernels::Activation::gelu ? 16 + 2.0 * x[i] * x[i] : 16;
        ++checked;
        if (!(std::abs(static_cast<double>(y[i]) - ref[i]) <= rel / (1 << 24) * std::abs(ref[i]) + 1e-37) &&
            failures++ == 0) {
          first = error_message(kernels::activations.name(act), "(", x[i], ") = ", y[i], ", reference ", ref[i]);
        }
      }
    }
    val out = val::object();
    out.set("checked", static_cast<double>(checked));
    out.set("failures", static_cast<double>(failures));
    out.set("first", first);
    return out;
  });
}

}  // namespace
}  // namespace diffuse::web

EMSCRIPTEN_BINDINGS(diffuse_bench) {
  emscripten::function("benchShapes", &diffuse::web::bench_shapes);
  emscripten::function("benchGemm", &diffuse::web::bench_gemm);
  emscripten::function("benchKernel", &diffuse::web::bench_kernel);
  emscripten::function("benchMlp", &diffuse::web::bench_mlp);
  emscripten::function("benchUNetTrain", &diffuse::web::bench_unet_train);
  emscripten::function("checkKernels", &diffuse::web::check_kernels);
}
