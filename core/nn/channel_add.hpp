#pragma once
// A per-channel vector broadcast over the pixels of an NCHW activation: how diffusers'
// ResnetBlock2D adds its projected time embedding (hidden_states + temb[:, :, None, None]),
//   h(b, c, :, :) += e(b, c)
// Backward: de(b, c) += sum over pixels of dh(b, c, :, :); dh passes through unchanged (the
// caller keeps using it as the gradient of h). No cache, no parameters.
#include <cstddef>

namespace diffuse {

// h (B, C, HW) += e (B, C) broadcast over HW, in place.
void channel_add_forward(float* h, const float* e, std::size_t B, std::size_t C, std::size_t HW);

// de (B, C) += sum_hw dh (B, C, HW).
void channel_add_backward(float* de, const float* dh, std::size_t B, std::size_t C, std::size_t HW);

}  // namespace diffuse
