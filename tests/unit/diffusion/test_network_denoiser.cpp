// NetworkDenoiser (diffusion/network_denoiser.hpp): any network read as the prediction type the
// model was trained for. Its predictions are the network's forward passes (labels included), it
// reports the network's size and classes, and a clone predicts the same with its own buffers.
#include <catch2/catch.hpp>

#include "base/rng.hpp"
#include "diffusion/network_denoiser.hpp"
#include "nn/model_config.hpp"

using namespace diffuse;

TEST_CASE("a network denoiser predicts what its network computes, with labels") {
  MlpConfig config;
  config.hidden = 16;
  config.layers = 2;
  config.classes = 3;
  std::unique_ptr<Network> network = network_make(config);
  Rng rng(1);
  network->init_params(rng);
  std::unique_ptr<Network> twin = network->clone();
  NetworkDenoiser denoiser(std::move(network), Prediction::v);
  CHECK(denoiser.data_dim() == 2);
  CHECK(denoiser.classes() == 3);
  CHECK(denoiser.prediction() == Prediction::v);

  Tensor2 x = Tensor2::from_shape({5, 2});
  Rng(2).fill_normal(x.data(), x.size());
  Steps t{3, 100, 7, 999, 0};
  Labels labels{0, 1, 2, 3, 1};
  Tensor2 got, want, at, want_at;
  denoiser.predict(got, x, t, &labels, serial_executor());
  twin->forward(want, x, t, &labels, serial_executor());
  const bool same = got == want;
  CHECK(same);
  denoiser.predict_at(at, x, 42, &labels, serial_executor());
  twin->forward_at(want_at, x, 42, &labels, serial_executor());
  const bool same_at = at == want_at;
  CHECK(same_at);

  const std::unique_ptr<NetworkDenoiser> copy = denoiser.clone();
  copy->network().params()[0] += 1.0f;  // its own weights
  Tensor2 again;
  denoiser.predict(again, x, t, &labels, serial_executor());
  const bool unchanged = again == got;
  CHECK(unchanged);
  CHECK_THROWS_AS(NetworkDenoiser(nullptr, Prediction::eps), Error);
}
