#pragma once
// An element-wise activation as a layer of its own (where no linear layer precedes it: the U-Net
// applies SiLU to the time embedding before every resnet's time_emb_proj):
//   forward   y = act(x), keeping dact = act'(x) for training
//   backward  dx = dy * dact
#include <cstddef>

#include "kernels/activation.hpp"

namespace diffuse {

// y (n,) = act(x); dact (n,) = act'(x) unless nullptr (inference). y may alias x only without dact.
void activation_layer_forward(float* y, float* dact, const float* x, std::size_t n,
                              kernels::Activation act);

// dx (n,) = dy * dact (overwritten; dx may alias dy).
void activation_layer_backward(float* dx, const float* dy, const float* dact, std::size_t n);

}  // namespace diffuse
