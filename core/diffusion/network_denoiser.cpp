#include "diffusion/network_denoiser.hpp"

#include "base/error.hpp"

namespace diffuse {

NetworkDenoiser::NetworkDenoiser(std::unique_ptr<Network> network, Prediction prediction)
    : network_(std::move(network)), prediction_(prediction) {
  if (!network_) fail("NetworkDenoiser: no network");
  predictions.name(prediction);  // an unknown value throws
}

void NetworkDenoiser::split(Tensor2& out, Tensor2* o) const {
  const std::size_t B = whole_.shape(0), D = network_->sample_size();
  out.resize({B, D});
  if (o != nullptr) o->resize({B, D});
  for (std::size_t b = 0; b < B; ++b) {
    const float* row = whole_.data() + b * 2 * D;
    std::copy(row, row + D, out.data() + b * D);
    if (o != nullptr) std::copy(row + D, row + 2 * D, o->data() + b * D);
  }
}

void NetworkDenoiser::predict(Tensor2& out, const Tensor2& x_t, const Steps& t,
                              const Labels* labels, const Executor& executor) {
  if (!learned_variance()) return chunked_.forward(*network_, out, x_t, t, labels, executor);
  chunked_.forward(*network_, whole_, x_t, t, labels, executor);
  split(out, nullptr);
}

void NetworkDenoiser::predict_with_variance(Tensor2& out, Tensor2& o, const Tensor2& x_t,
                                            const Steps& t, const Labels* labels,
                                            const Executor& executor) {
  if (!learned_variance()) return Denoiser::predict_with_variance(out, o, x_t, t, labels, executor);
  chunked_.forward(*network_, whole_, x_t, t, labels, executor);
  split(out, &o);
}

void NetworkDenoiser::predict_at(Tensor2& out, const Tensor2& x_t, int t, const Labels* labels,
                                 const Executor& executor) {
  if (!learned_variance()) return chunked_.forward_at(*network_, out, x_t, t, labels, executor);
  chunked_.forward_at(*network_, whole_, x_t, t, labels, executor);
  split(out, nullptr);
}

void NetworkDenoiser::predict_at_level(Tensor2& out, const Tensor2& x_t, const NoiseLevel& level,
                                       const Labels* labels, const Executor& executor) {
  noise_level_validate(level);
  if (!learned_variance()) {
    return chunked_.forward_at(*network_, out, x_t, level.t, labels, executor);
  }
  chunked_.forward_at(*network_, whole_, x_t, level.t, labels, executor);
  split(out, nullptr);
}

std::unique_ptr<NetworkDenoiser> NetworkDenoiser::clone() const {
  return std::make_unique<NetworkDenoiser>(network_->clone(), prediction_);
}

}  // namespace diffuse
