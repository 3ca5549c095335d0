// The browser benchmark's workload, natively, for side-by-side numbers (bench/browser_bench.mjs
// runs both): training steps per second of the reference model (docs/reference-workload.md) at a
// batch of 256 and 4096 on one thread, and the time to sample 10,000 points (DDIM, 50 steps).
//   bench_train [--seconds S]    prints one JSON object
#include <chrono>
#include <cstring>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "base/rng.hpp"
#include "data/toy2d.hpp"
#include "diffusion/sampler.hpp"
#include "diffusion/trainer.hpp"
#include "kernels/arch.hpp"

using namespace diffuse;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::unique_ptr<Trainer> make_trainer(std::size_t batch) {
  TrainConfig train;
  train.batch = batch;
  Rng rng(train.seed, toy2d_rng_stream);
  return std::make_unique<Trainer>(ScheduleConfig{}, DiffusionConfig{}, MlpConfig{}, train,
                                   training_data_from_points(toy2d_sample("moons", train.train_size, rng), "moons"));
}

// Steps per second over at least `budget` seconds (and at least 3 steps) after 2 warm-up steps.
double steps_per_second(std::size_t batch, double budget) {
  auto trainer = make_trainer(batch);
  for (int i = 0; i < 2; ++i) trainer->step(serial_executor());
  const auto start = Clock::now();
  int steps = 0;
  while (steps < 3 || seconds_since(start) < budget) {
    trainer->step(serial_executor());
    ++steps;
  }
  return steps / seconds_since(start);
}

double sample_seconds(std::size_t n, int steps) {
  auto trainer = make_trainer(256);
  auto model = trainer->make_denoiser(true);
  SamplerConfig config;
  config.kind = SamplerKind::ddim;
  config.steps = steps;
  Tensor2 x;
  const auto start = Clock::now();
  sample(x, nullptr, *model, trainer->schedule(), config, n, 0);
  return seconds_since(start);
}

}  // namespace

int main(int argc, char** argv) {
  double budget = 3.0;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--seconds") == 0) budget = std::stod(argv[i + 1]);
  }
  nlohmann::json out;
  out["simd"] = kernels::simd_arch_name();
  out["threads"] = 1;
  out["train_steps_per_second_batch_256"] = steps_per_second(256, budget);
  out["train_steps_per_second_batch_4096"] = steps_per_second(4096, budget);
  out["sample_10000_ddim50_seconds"] = sample_seconds(10000, 50);
  std::cout << out.dump(2) << "\n";
  return 0;
}
