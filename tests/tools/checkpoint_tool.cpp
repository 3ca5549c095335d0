// A helper for tests/wasm: the native side of checkpoint compatibility with the WebAssembly build,
// through the core's own checkpoint reader and writer (what `diffuse train` / `diffuse sample` use).
//   checkpoint_tool sample IN N SEED STEPS   read IN natively, DDIM (eta 0, STEPS steps) N samples
//                                            with SEED; prints {"step", "source", "params",
//                                            "settings": {...}, "samples": [x0, y0, x1, ...]}
//   checkpoint_tool train OUT DATASET STEPS SEED HIDDEN BATCH
//                                            train natively with the defaults otherwise, write OUT
// Errors go to stderr with exit code 1.
#include <cstdint>
#include <fstream>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "base/rng.hpp"
#include "data/toy2d.hpp"
#include "diffusion/sampler.hpp"
#include "io/checkpoint.hpp"

using namespace diffuse;

namespace {

void sample_command(const std::string& path, std::size_t n, std::uint64_t seed, int steps) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot open ", path);
  const Checkpoint c = checkpoint_read(in, path);
  const NoiseSchedule schedule = schedule_make(c.schedule);
  auto model = checkpoint_denoiser(c, true);
  SamplerConfig config;
  config.kind = SamplerKind::ddim;
  config.steps = steps;
  Tensor2 x;
  sample(x, nullptr, *model, schedule, config, n, seed);
  const Tensor2 data = normalization_undo(c.data.normalization, x);
  nlohmann::json out;
  out["step"] = c.step;
  out["source"] = c.data.source;
  out["params"] = model->network().layout().count();
  out["resumable"] = c.training.has_value();
  out["model"] = model_config_to_json(c.model);
  out["train"] = train_config_to_json(c.train);
  out["samples"] = std::vector<float>(data.begin(), data.end());
  std::cout << out.dump() << "\n";
}

void train_command(const std::string& path, const std::string& dataset, std::int64_t steps,
                   std::uint64_t seed, std::size_t hidden, std::size_t batch) {
  MlpConfig model;
  model.hidden = hidden;
  TrainConfig train;
  train.steps = steps;
  train.seed = seed;
  train.batch = batch;
  Rng rng(seed, toy2d_rng_stream);
  Trainer trainer({}, DiffusionConfig{}, model, train,
                  training_data_from_points(toy2d_sample(dataset, train.train_size, rng), dataset));
  while (!trainer.finished()) trainer.step(serial_executor());
  std::ofstream out(path, std::ios::binary);
  checkpoint_write(out, checkpoint_from_trainer(trainer));
  if (!out) fail("cannot write ", path);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string command = argc > 1 ? argv[1] : "";
    if (command == "sample" && argc == 6) {
      sample_command(argv[2], std::stoul(argv[3]), std::stoull(argv[4]), std::stoi(argv[5]));
    } else if (command == "train" && argc == 8) {
      train_command(argv[2], argv[3], std::stoll(argv[4]), std::stoull(argv[5]), std::stoul(argv[6]),
                    std::stoul(argv[7]));
    } else {
      std::cerr << "usage: checkpoint_tool sample IN N SEED STEPS | train OUT DATASET STEPS SEED HIDDEN BATCH\n";
      return 1;
    }
  } catch (const std::exception& e) {
    std::cerr << "checkpoint_tool: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
