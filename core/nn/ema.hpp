#pragma once
// Exponential moving average of the parameters with diffusers' EMAModel warm-up (inv_gamma = 1,
// power = 2/3), as pinned in docs/reference-workload.md ("Training defaults", EMA):
//   after update k (k = 1, 2, ...):  decay_k = min(max_decay, 1 - (1 + k)^(-2/3))
//                                    ema = decay_k ema + (1 - decay_k) params
// The EMA weights start as a copy of the initial parameters. Like the optimizer, it sees only the
// flat buffer; its state (k and the weights) restores a run bit for bit.
#include <cstddef>
#include <cstdint>

#include "base/aligned.hpp"

namespace diffuse {

// decay_k for k >= 1 (computed in double, rounded once).
float ema_decay(double max_decay, std::int64_t k);

struct EmaState {
  std::int64_t updates = 0;  // k
  AlignedBuffer weights;     // (P,) the averaged parameters, the parameters' flat layout
};

class Ema {
 public:
  // max_decay in [0, 1) (else diffuse::Error); weights = a copy of params (P,).
  Ema(double max_decay, const float* params, std::size_t size);

  // k = ++updates; weights = decay_k weights + (1 - decay_k) params (P,).
  void update(const float* params);

  double max_decay() const { return max_decay_; }
  std::size_t size() const { return state_.weights.size(); }
  const AlignedBuffer& weights() const { return state_.weights; }
  const EmaState& state() const { return state_; }
  void set_state(EmaState state);  // checks the size

 private:
  double max_decay_;
  EmaState state_;
};

}  // namespace diffuse
