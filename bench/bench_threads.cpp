// Where a training step's time goes with threads (docs/threads.md), measured piece by piece on the
// reference model (docs/reference-workload.md):
//   dispatch      one ThreadPool::run in which every thread takes a task: the wake-up and
//                 hand-off cost every parallel region pays
//   gemm grain    a 128-row chunk's forward and backward with the executor given to every layer
//                 (each GEMM split among the threads: the grain before the chunks were shared),
//                 with the number of run() calls it makes
//   chunk grain   batch_gradient of the whole batch (the chunks shared among the threads)
//   reduction     adding the chunks' gradient buffers in chunk order
//   step          a whole Trainer step, and its serial rest (batch drawing, clipping, Adam, EMA):
//                 step minus batch_gradient
//   sampling      one DDPM step on 10,000 points
// on 1 thread and on --threads (default 2). Prints a table of medians; a benchmark, not a test.
//   bench_threads [--threads N] [--reps R]
#include <atomic>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "base/rng.hpp"
#include "bench_timing.hpp"
#include "data/toy2d.hpp"
#include "diffusion/batch_gradient.hpp"
#include "diffusion/forward_process.hpp"
#include "diffusion/network_denoiser.hpp"
#include "diffusion/sampler.hpp"
#include "diffusion/trainer.hpp"
#include "kernels/arch.hpp"
#include "nn/model_config.hpp"
#include "support/thread_pool.hpp"

using namespace diffuse;

namespace {

// An executor that counts its run() calls and passes them on.
class CountingExecutor final : public Executor {
 public:
  explicit CountingExecutor(const Executor& inner) : inner_(inner) {}
  void run(std::size_t n, const std::function<void(std::size_t)>& task) const override {
    calls_.fetch_add(1, std::memory_order_relaxed);
    inner_.run(n, task);
  }
  std::size_t concurrency() const override { return inner_.concurrency(); }
  std::size_t calls() const { return calls_.load(); }

 private:
  const Executor& inner_;
  mutable std::atomic<std::size_t> calls_{0};
};

struct Batch {
  Tensor2 x0, eps, x_t;
  Steps t;
};

Batch make_batch(std::size_t B, const NoiseSchedule& schedule) {
  Batch b;
  Rng rng(1);
  b.x0 = Tensor2::from_shape({B, 2});
  b.eps = Tensor2::from_shape({B, 2});
  rng.fill_normal(b.x0.data(), b.x0.size());
  rng.fill_normal(b.eps.data(), b.eps.size());
  b.t = Steps::from_shape({B});
  rng.fill_below(b.t.data(), B, static_cast<std::uint32_t>(schedule.T));
  q_sample(b.x_t, b.x0, b.eps, b.t, schedule);
  return b;
}

std::unique_ptr<Trainer> make_trainer(std::size_t batch) {
  TrainConfig train;
  train.batch = batch;
  train.steps = 1'000'000'000;
  Rng rng(train.seed, toy2d_rng_stream);
  return std::make_unique<Trainer>(
      ScheduleConfig{}, DiffusionConfig{}, MlpConfig{}, train,
      training_data_from_points(toy2d_sample(Toy2d::moons, train.train_size, rng), "moons"));
}

void row(const char* what, std::size_t threads, double seconds, const std::string& note = "") {
  std::printf("  %-40s %zu thread%s %10.1f us  %s\n", what, threads, threads == 1 ? " " : "s",
              seconds * 1e6, note.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t all = 2, reps = 7;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--threads") == 0) all = std::stoul(argv[i + 1]);
    if (std::strcmp(argv[i], "--reps") == 0) reps = std::stoul(argv[i + 1]);
  }
  const double ms = 200;  // per repetition
  const NoiseSchedule schedule = schedule_make(ScheduleConfig{});
  std::printf("bench_threads: SIMD %s, medians of %zu repetitions of at least %.0f ms\n",
              kernels::simd_arch_name().c_str(), reps, ms);
  for (std::size_t threads : {std::size_t{1}, all}) {
    const ThreadPool pool(threads);
    std::printf("\n%zu thread%s:\n", threads, threads == 1 ? "" : "s");
    // Each task waits until every task has started, so each thread really takes one: the time of
    // waking the workers and collecting them (an empty run would let the caller do all tasks).
    row("dispatch (every thread takes a task)", threads, bench::time_calls(reps, ms, [&] {
          std::atomic<std::size_t> arrived{0};
          pool.run(threads, [&](std::size_t) {
            arrived.fetch_add(1);
            while (arrived.load() < threads) {
            }
          });
        }).median);

    // The old grain: one chunk, every GEMM split among the threads.
    {
      std::unique_ptr<Network> net = network_make(MlpConfig{});
      Rng rng(2);
      net->init_params(rng);
      const Batch b = make_batch(128, schedule);
      Tensor2 out, grad;
      const CountingExecutor counting(pool);
      const bench::Timing t = bench::time_calls(reps, ms, [&] {
        net->forward_train(out, b.x_t, b.t, nullptr, counting);
        loss_evaluate(grad, out, Prediction::eps, b.x_t, b.x0, b.eps, b.t, schedule, LossConfig{});
        net->backward(grad, counting);
      });
      net->forward_train(out, b.x_t, b.t, nullptr, counting);
      const std::size_t before = counting.calls();
      net->backward(grad, counting);
      net->forward_train(out, b.x_t, b.t, nullptr, counting);
      const std::size_t per_chunk = counting.calls() - before;
      row("gemm grain: one 128-row chunk", threads, t.median,
          std::to_string(per_chunk) + " parallel regions per chunk");
    }

    for (std::size_t B : {std::size_t{256}, std::size_t{4096}}) {
      std::unique_ptr<Network> net = network_make(MlpConfig{});
      Rng rng(3);
      net->init_params(rng);
      const Batch b = make_batch(B, schedule);
      BatchChunk chunk;
      const BatchObjective objective;
      const std::size_t R = net->train_chunk_rows(B);
      const double gradient = bench::time_calls(reps, ms, [&] {
                                net->zero_grad();
                                batch_gradient(*net, objective, b.x_t, b.x0, b.eps, b.t, nullptr,
                                               schedule, LossConfig{}, R,
                                               chunk, pool);
                              }).median;
      const std::string name = "batch " + std::to_string(B);
      row((name + ": batch_gradient").c_str(), threads, gradient,
          std::to_string((B + R - 1) / R) + " chunks of " + std::to_string(R));

      // The reduction alone: chunks - 1 buffers of P floats added in order.
      const std::size_t P = net->params().size(), C = (B + R - 1) / R;
      std::vector<AlignedBuffer> buffers(C - 1, AlignedBuffer(P, 1.0f));
      AlignedBuffer sum(P, 0.0f);
      const double reduction = bench::time_calls(reps, ms, [&] {
                                 const std::size_t slice = (P + threads - 1) / threads;
                                 pool.run(threads, [&](std::size_t w) {
                                   const std::size_t p0 = std::min(P, w * slice);
                                   const std::size_t p1 = std::min(P, p0 + slice);
                                   for (const AlignedBuffer& g : buffers) {
                                     for (std::size_t p = p0; p < p1; ++p) sum[p] += g[p];
                                   }
                                 });
                               }).median;
      row((name + ": reduction").c_str(), threads, reduction,
          std::to_string(C - 1) + " buffers of " + std::to_string(P) + " floats");

      auto trainer = make_trainer(B);
      const double step = bench::time_calls(reps, ms, [&] { trainer->step(pool); }).median;
      row((name + ": whole step").c_str(), threads, step);
      row((name + ": serial rest of the step").c_str(), threads, step - gradient,
          "draw, q_sample, clip, Adam, EMA (step - batch_gradient)");
    }

    {
      NetworkDenoiser model(network_make(MlpConfig{}), Prediction::eps);
      Rng rng(4);
      model.network().init_params(rng);
      SamplerConfig config;  // DDPM, 1000 steps
      Sampler sampler(model, schedule, config, 10000, 0);
      const double step = bench::time_calls(reps, ms, [&] {
                            if (sampler.done()) sampler = Sampler(model, schedule, config, 10000, 0);
                            sampler.step(pool);
                          }).median;
      row("sampling: one DDPM step, 10,000 points", threads, step);
    }
  }
  return 0;
}
