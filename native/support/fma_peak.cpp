#include "support/fma_peak.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <vector>

#include "kernels/fma_probe.hpp"
#include "support/thread_pool.hpp"

namespace diffuse {

double fma_peak_gflops(std::size_t threads) {
  constexpr std::size_t iterations = 200000;  // about 1 ms of FMAs per thread and round
  ThreadPool pool(threads);
  std::vector<float> sinks(threads);
  double best = 0;
  for (int round = 0; round < 7; ++round) {
    // Every task waits until all have started, so each runs on a thread of its own (a pool that
    // handed two tasks to one thread would measure one thread).
    std::atomic<std::size_t> arrived{0};
    const auto start = std::chrono::steady_clock::now();
    pool.run(threads, [&](std::size_t i) {
      arrived.fetch_add(1);
      while (arrived.load() < threads) {
      }
      sinks[i] += kernels::fma_probe(iterations, 1.0f, 0.999f, 0.001f);
    });
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double flops =
        static_cast<double>(threads * iterations * kernels::fma_probe_flops_per_iteration());
    best = std::max(best, flops / seconds * 1e-9);
  }
  volatile float keep = 0;  // the probes' results are used, so the compiler keeps them
  for (float s : sinks) keep = keep + s;
  return best;
}

}  // namespace diffuse
