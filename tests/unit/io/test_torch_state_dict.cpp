// torch_state_dict: a PyTorch state_dict (safetensors, diffuse's names) with a checkpoint's
// configuration JSON is that model, bit for bit; every configuration field and tensor is checked,
// and each rejection names what is wrong.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/error.hpp"
#include "base/rng.hpp"
#include "io/param_tensors.hpp"
#include "io/torch_state_dict.hpp"

using namespace diffuse;
using Catch::Matchers::Contains;

namespace {

Checkpoint mlp_checkpoint() {
  MlpConfig mlp;
  mlp.hidden = 8;
  mlp.layers = 2;
  Checkpoint c;
  c.model = mlp;
  c.diffusion.prediction = Prediction::v;
  c.data.source = "moons";
  c.data.shape = {2};
  c.data.normalization.mean = {0.5, 0.25};
  c.data.normalization.stddev = {0.875, 0.5};
  c.step = 40;
  std::unique_ptr<Network> network = network_make(c.model);
  Rng rng(3, 0);
  network->init_params(rng);
  c.ema_params = network->params();
  return c;
}

Safetensors read_bytes(const std::string& bytes) {
  return safetensors_read(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}

// The "config" metadata a checkpoint of c holds (what python/diffuse_torch writes as C.json).
nlohmann::json config_of(const Checkpoint& c) {
  std::ostringstream out;
  checkpoint_write(out, c);
  return nlohmann::json::parse(read_bytes(out.str()).metadata.at("config"));
}

// A state_dict file: the EMA weights under their names, as torch's save_file writes them.
std::string state_dict_bytes(const Checkpoint& c, const std::string& prefix = "") {
  std::vector<SafetensorsTensorView> views;
  param_tensors_add(views, model_param_layout(c.model), c.ema_params, prefix);
  std::ostringstream out;
  safetensors_write(out, views, {{"format", "pt"}});
  return out.str();
}

Checkpoint import(const std::string& weights, const nlohmann::json& config) {
  return torch_state_dict_checkpoint(read_bytes(weights), config, "W.safetensors", "C.json");
}

}  // namespace

TEST_CASE("torch state_dict: weights and configuration are the checkpoint's, bit for bit") {
  const Checkpoint c = mlp_checkpoint();
  const Checkpoint back = import(state_dict_bytes(c), config_of(c));
  CHECK(back.model == c.model);
  CHECK(back.diffusion == c.diffusion);
  CHECK(back.schedule.timesteps == c.schedule.timesteps);
  CHECK(back.data.normalization.mean == c.data.normalization.mean);
  CHECK(back.data.normalization.stddev == c.data.normalization.stddev);
  CHECK(back.step == 40);
  CHECK_FALSE(back.training);
  REQUIRE(back.ema_params.size() == c.ema_params.size());
  CHECK(std::equal(back.ema_params.begin(), back.ema_params.end(), c.ema_params.begin()));
}

TEST_CASE("torch state_dict: extra, DDP-named, missing, misshaped and non-finite tensors are refused by name") {
  const Checkpoint c = mlp_checkpoint();
  const nlohmann::json config = config_of(c);
  CHECK_THROWS_WITH(import(state_dict_bytes(c, "module."), config),
                    Contains("W.safetensors: tensor 'module.layers.0.weight' is a DistributedDataParallel name"));
  CHECK_THROWS_WITH(import(state_dict_bytes(c, "ema."), config),
                    Contains("W.safetensors: unexpected tensor 'ema.layers.0.weight' for the model of C.json"));
  // The config says 3 layers, the weights have 2: layers.2.* are missing.
  nlohmann::json deeper = config;
  deeper["model"]["layers"] = 3;
  CHECK_THROWS_WITH(import(state_dict_bytes(c), deeper), Contains("tensor 'layers.2.weight' is missing"));
  nlohmann::json wider = config;
  wider["model"]["hidden"] = 9;
  CHECK_THROWS_WITH(import(state_dict_bytes(c), wider),
                    Contains("tensor 'layers.0.weight' has shape [8, 34] but the model needs [9, 34]"));
  Checkpoint bad = mlp_checkpoint();
  bad.ema_params[5] = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_WITH(import(state_dict_bytes(bad), config), Contains("non-finite value"));
}

TEST_CASE("torch state_dict: an unsupported or incomplete configuration names the field") {
  const Checkpoint c = mlp_checkpoint();
  const std::string weights = state_dict_bytes(c);
  nlohmann::json config = config_of(c);
  config["model"]["kind"] = "transformer";
  CHECK_THROWS_WITH(import(weights, config), Contains("C.json: model config: kind 'transformer' is unknown"));
  config = config_of(c);
  config["model"]["activation"] = "tanh";
  CHECK_THROWS_WITH(import(weights, config), Contains("activation"));
  config = config_of(c);
  config.erase("schedule");
  CHECK_THROWS_WITH(import(weights, config), Contains("C.json: config field 'schedule' is missing"));
  config = config_of(c);
  config["data"]["shape"] = {3};
  CHECK_THROWS_WITH(import(weights, config), Contains("the data's sample shape has 3 values but the model's has 2"));
  CHECK_THROWS_WITH(import(weights, nlohmann::json::array()), Contains("C.json: the configuration is not a JSON object"));
}
