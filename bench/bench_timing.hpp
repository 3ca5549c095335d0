#pragma once
// Timing shared by the native benchmarks: the median and the minimum over `reps` samples of the
// time per call, each sample running the call back to back for at least `min_ms` milliseconds
// (the iteration count calibrated by doubling, after one warm-up call that also grows scratch).
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <vector>

namespace diffuse::bench {

struct Timing {
  double median = 0, min = 0;  // seconds per call
  double pick(bool use_min) const { return use_min ? min : median; }
};

template <typename F>
Timing time_calls(std::size_t reps, double min_ms, F&& f) {
  using clock = std::chrono::steady_clock;
  f();
  std::size_t iters = 1;
  for (;;) {
    const auto t0 = clock::now();
    for (std::size_t i = 0; i < iters; ++i) f();
    const double ms = std::chrono::duration<double, std::milli>(clock::now() - t0).count();
    if (ms >= min_ms || iters >= (1u << 24)) break;
    iters *= 2;
  }
  std::vector<double> samples;
  for (std::size_t r = 0; r < std::max<std::size_t>(1, reps); ++r) {
    const auto t0 = clock::now();
    for (std::size_t i = 0; i < iters; ++i) f();
    samples.push_back(std::chrono::duration<double>(clock::now() - t0).count() / iters);
  }
  std::sort(samples.begin(), samples.end());
  return {samples[samples.size() / 2], samples.front()};
}

}  // namespace diffuse::bench
