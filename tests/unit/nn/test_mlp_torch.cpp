// Cross-check against PyTorch: dumps the model's config, parameters (by name), a batch, the float32
// output and parameter gradients for an upstream gradient, and runs
// tests/reference/torch_mlp_check.py (/usr/bin/python3 with python3-torch, a declared dependency),
// which loads the parameters into a plain torch.nn.Module written from the spec with
// load_state_dict(strict=True) and compares in float64.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "base/rng.hpp"
#include "nn/mlp.hpp"

using namespace diffuse;
using nlohmann::json;

namespace {

json dump_case(const MlpConfig& config, std::uint64_t seed) {
  Mlp m(config);
  Rng rng(seed);
  m.init_params(rng);
  const std::size_t B = 8, D = config.data_dim;
  Tensor2 x = Tensor2::from_shape({B, D}), out, d_out = Tensor2::from_shape({B, D});
  Steps t = Steps::from_shape({B});
  rng.fill_normal(x.data(), x.size());
  rng.fill_below(t.data(), B, 1000);
  rng.fill_normal(d_out.data(), d_out.size());
  Labels labels = Labels::from_shape({B});  // 0..K, the null class K included
  rng.fill_below(labels.data(), B, static_cast<std::uint32_t>(config.classes + 1));
  m.zero_grad();
  m.forward_train(out, x, t, config.classes ? &labels : nullptr, serial_executor());
  m.backward(d_out, serial_executor());
  json params = json::object(), grads = json::object();
  for (const ParamSlice& s : m.layout().slices()) {
    const float* p = m.params().data() + s.offset;
    const float* g = m.grads().data() + s.offset;
    params[s.name] = {{"shape", s.shape}, {"values", std::vector<float>(p, p + s.size)}};
    grads[s.name] = std::vector<float>(g, g + s.size);
  }
  json out_case = {{"config", mlp_config_to_json(config)},
          {"params", params},
          {"x", std::vector<float>(x.begin(), x.end())},
          {"t", std::vector<std::int32_t>(t.begin(), t.end())},
          {"out", std::vector<float>(out.begin(), out.end())},
          {"d_out", std::vector<float>(d_out.begin(), d_out.end())},
          {"grads", grads}};
  if (config.classes) out_case["labels"] = std::vector<std::int32_t>(labels.begin(), labels.end());
  return out_case;
}

}  // namespace

TEST_CASE("the model matches a torch.nn.Module built from the spec, loaded by name") {
  MlpConfig plain;  // the reference workload
  MlpConfig full;
  full.time_projection = true;
  full.residual = true;
  full.x_embed = 16;
  full.activation = kernels::Activation::gelu;
  full.hidden = 64;
  full.layers = 4;
  MlpConfig relu;
  relu.activation = kernels::Activation::relu;
  relu.residual = true;
  relu.data_dim = 3;
  MlpConfig conditional = full;
  conditional.classes = 5;
  std::string args;
  int index = 0;
  for (const MlpConfig& c : {plain, full, relu, conditional}) {
    const std::string path =
        std::string(DIFFUSE_BINARY_DIR) + "/tests/nn_torch_case_" + std::to_string(index) + ".json";
    std::ofstream(path) << dump_case(c, 100 + index).dump();
    args += " '" + path + "'";
    ++index;
  }
  const std::string command = "/usr/bin/python3 '" + std::string(DIFFUSE_SOURCE_DIR) +
                              "/tests/reference/torch_mlp_check.py'" + args;
  INFO(command);
  CHECK(std::system(command.c_str()) == 0);
}
