#include "diffusion/network_denoiser.hpp"

#include "base/error.hpp"

namespace diffuse {

NetworkDenoiser::NetworkDenoiser(std::unique_ptr<Network> network, Prediction prediction)
    : network_(std::move(network)), prediction_(prediction) {
  if (!network_) fail("NetworkDenoiser: no network");
  predictions.name(prediction);  // an unknown value throws
}

void NetworkDenoiser::predict(Tensor2& out, const Tensor2& x_t, const Steps& t,
                              const Labels* labels, const Executor& executor) {
  network_->forward(out, x_t, t, labels, executor);
}

void NetworkDenoiser::predict_at(Tensor2& out, const Tensor2& x_t, int t, const Labels* labels,
                                 const Executor& executor) {
  network_->forward_at(out, x_t, t, labels, executor);
}

void NetworkDenoiser::predict_at_level(Tensor2& out, const Tensor2& x_t, const NoiseLevel& level,
                                       const Labels* labels, const Executor& executor) {
  noise_level_validate(level);
  network_->forward_at(out, x_t, level.t, labels, executor);
}

std::unique_ptr<NetworkDenoiser> NetworkDenoiser::clone() const {
  return std::make_unique<NetworkDenoiser>(network_->clone(), prediction_);
}

}  // namespace diffuse
