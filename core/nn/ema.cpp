#include "nn/ema.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "base/error.hpp"
#include "kernels/optimizer_kernels.hpp"

namespace diffuse {

float ema_decay(double max_decay, std::int64_t k) {
  const double warmup = 1.0 - std::pow(1.0 + static_cast<double>(k), -2.0 / 3.0);
  return static_cast<float>(std::min(max_decay, warmup));
}

Ema::Ema(double max_decay, const float* params, std::size_t size) : max_decay_(max_decay) {
  if (!(max_decay >= 0.0 && max_decay < 1.0)) fail("ema = ", max_decay, " must be in [0, 1)");
  state_.weights.assign(params, params + size);
}

void Ema::update(const float* params) {
  const std::int64_t k = ++state_.updates;
  kernels::ema_update(state_.weights.data(), params, size(), ema_decay(max_decay_, k));
}

void Ema::set_state(EmaState state) {
  if (state.weights.size() != size() || state.updates < 0) {
    fail("EMA: state has ", state.weights.size(), " weights after ", state.updates,
         " updates, the parameters need ", size(), " and updates >= 0");
  }
  state_ = std::move(state);
}

}  // namespace diffuse
