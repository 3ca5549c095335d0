// A helper for tests/cli/test_trainer_matches_torch.py: runs the core's Trainer for a small
// configuration and records every step, so that the PyTorch reference can replay the same batches.
//   trainer_trace OUT [key=value ...]
// keys (defaults): dataset (moons) n (512) hidden (16) layers (2) batch (32) T (1000) warmup (5)
//                  steps (40) lr (0.01) clip (1) ema (0.999) seed (0)
// Writes OUT.json and OUT.bin. The .bin file holds every flat buffer as little-endian float32 (the
// C++ values exactly); in the JSON an array stored there is {"offset", "size"} in floats. JSON:
//   config   {"schedule", "model", "train"} as checkpoints record them (floats as their exact
//            double values: beta1 = 0.8999999761581421 is the float 0.9f the C++ computes with)
//   layout   [{"name", "shape", "offset", "size"}] of the flat parameter buffer; total = its length
//   data     the normalized training set (N * D, row-major, .bin); n, d
//   initial  {"params", "ema"} (.bin): the flat buffers before the first step
//   steps    [{"step": k (1-based updates done), "loss", "grad_norm" (before clipping), "lr",
//              "x0", "t", "eps" (the batch, JSON), and in .bin: "grad" (the gradient before
//              clipping), "grad_clipped" (the one Adam used), "params", "adam_m", "adam_v",
//              "ema" (the state after the step); "adam_step", "ema_updates"}]
// The gradient before clipping is recomputed here from the step's batch and the weights before the
// step with the same call as Trainer::step (batch_gradient in the network's chunks, serial
// executor); the loss must come out bit for bit the trainer's, else the tool fails. Errors go to
// stderr with exit code 1.
#include <cstdint>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "base/rng.hpp"
#include "data/toy2d.hpp"
#include "diffusion/batch_gradient.hpp"
#include "diffusion/forward_process.hpp"
#include "diffusion/loss.hpp"
#include "diffusion/trainer.hpp"

using namespace diffuse;

namespace {

template <typename Container>
std::vector<double> values(const Container& c) {
  return std::vector<double>(c.begin(), c.end());
}

// The .bin file's contents: float32 buffers one after the other.
struct Blob {
  std::vector<float> floats;
  template <typename Container>
  nlohmann::json put(const Container& c) {
    const std::size_t offset = floats.size();
    floats.insert(floats.end(), c.begin(), c.end());
    return {{"offset", offset}, {"size", floats.size() - offset}};
  }
};

std::map<std::string, std::string> parse_options(int argc, char** argv) {
  std::map<std::string, std::string> options = {
      {"dataset", "moons"}, {"n", "512"},     {"hidden", "16"}, {"layers", "2"}, {"batch", "32"},
      {"T", "1000"},        {"warmup", "5"},  {"steps", "40"},  {"lr", "0.01"}, {"clip", "1"},
      {"ema", "0.999"},     {"seed", "0"}};
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto eq = arg.find('=');
    if (eq == std::string::npos || options.count(arg.substr(0, eq)) == 0) {
      fail("unknown option '", arg, "': expected key=value with a key of the usage line");
    }
    options[arg.substr(0, eq)] = arg.substr(eq + 1);
  }
  return options;
}

nlohmann::json trace(const std::map<std::string, std::string>& o, Blob& blob) {
  ScheduleConfig schedule;
  schedule.timesteps = std::stoi(o.at("T"));
  MlpConfig model;
  model.hidden = std::stoul(o.at("hidden"));
  model.layers = std::stoul(o.at("layers"));
  TrainConfig train;
  train.batch = std::stoul(o.at("batch"));
  train.warmup_steps = std::stoll(o.at("warmup"));
  train.steps = std::stoll(o.at("steps"));
  train.learning_rate = std::stod(o.at("lr"));
  train.grad_clip = std::stod(o.at("clip"));
  train.ema_decay = std::stod(o.at("ema"));
  train.seed = std::stoull(o.at("seed"));
  train.train_size = std::stoul(o.at("n"));
  train_config_validate(train);
  Rng rng(train.seed, toy2d_rng_stream);
  Trainer trainer(schedule, DiffusionConfig{}, model, train,
                  training_data_from_points(toy2d_sample(o.at("dataset"), train.train_size, rng),
                                            o.at("dataset")));

  nlohmann::json out;
  out["config"] = {{"schedule", schedule_config_to_json(schedule)},
                   {"diffusion", diffusion_config_to_json(DiffusionConfig{})},
                   {"model", mlp_config_to_json(model)},
                   {"train", train_config_to_json(train)}};
  const ParamLayout& layout = trainer.network().layout();
  for (const ParamSlice& s : layout.slices()) {
    out["layout"].push_back({{"name", s.name}, {"shape", s.shape}, {"offset", s.offset}, {"size", s.size}});
  }
  out["total"] = layout.total();
  const Tensor2& points = trainer.data().samples;
  out["n"] = points.shape(0);
  out["d"] = points.shape(1);
  out["data"] = blob.put(points);
  out["initial"] = {{"params", blob.put(trainer.network().params())}, {"ema", blob.put(trainer.ema_weights())}};

  const Executor& executor = serial_executor();
  const NoiseSchedule& noise = trainer.schedule();
  out["steps"] = nlohmann::json::array();
  while (!trainer.finished()) {
    // The weights before the step, to recompute the gradient before clipping.
    std::unique_ptr<NetworkDenoiser> before_model = trainer.make_denoiser(false);
    Network* before = &before_model->network();
    const TrainStepResult r = trainer.step(executor);
    if (!r.finite) fail("step ", r.step + 1, " was not finite");
    const Tensor2& x0 = trainer.last_x0();
    const Tensor2& eps = trainer.last_eps();
    const Steps& t = trainer.last_t();
    Tensor2 x_t;
    q_sample(x_t, x0, eps, t, noise);
    before->zero_grad();
    BatchChunk chunk;
    const LossResult loss = batch_gradient(
        *before, BatchObjective{Objective::diffusion, before_model->prediction(), nullptr}, x_t, x0,
        eps, t, nullptr, noise, trainer.train_config().loss, before->train_chunk_rows(x_t.shape(0)), chunk,
        executor);
    if (loss.loss != r.loss) {
      fail("step ", r.step, ": the recomputed loss ", loss.loss, " is not the trainer's ", r.loss);
    }
    const TrainerState state = trainer.state();
    out["steps"].push_back({{"step", r.step},
                            {"loss", r.loss},
                            {"grad_norm", r.grad_norm},
                            {"lr", r.learning_rate},
                            {"x0", values(x0)},
                            {"t", values(t)},
                            {"eps", values(eps)},
                            {"grad", blob.put(before->grads())},
                            {"grad_clipped", blob.put(trainer.network().grads())},
                            {"params", blob.put(state.params)},
                            {"adam_m", blob.put(state.adam.m)},
                            {"adam_v", blob.put(state.adam.v)},
                            {"adam_step", state.adam.step},
                            {"ema", blob.put(state.ema.weights)},
                            {"ema_updates", state.ema.updates}});
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc < 2) {
      std::cerr << "usage: trainer_trace OUT [dataset= n= hidden= layers= batch= T= warmup= steps= "
                   "lr= clip= ema= seed=]\n";
      return 1;
    }
    Blob blob;
    const nlohmann::json out = trace(parse_options(argc, argv), blob);
    const std::string path = argv[1];
    std::ofstream json(path + ".json");
    json << out.dump() << "\n";
    if (!json) fail("cannot write ", path, ".json");
    static_assert(sizeof(float) == 4, "float32");
    std::ofstream bin(path + ".bin", std::ios::binary);
    bin.write(reinterpret_cast<const char*>(blob.floats.data()),
              static_cast<std::streamsize>(blob.floats.size() * sizeof(float)));
    if (!bin) fail("cannot write ", path, ".bin");
  } catch (const std::exception& e) {
    std::cerr << "trainer_trace: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
