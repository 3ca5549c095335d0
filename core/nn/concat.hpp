#pragma once
// Channel concatenation for a U-Net's skip connections (diffusers' UpBlock2D:
// torch.cat([hidden_states, res_hidden_states], dim=1), the running activation first, the skip
// second), NCHW:
//   y(b, 0:C1, :) = a(b, :, :),   y(b, C1:C1+C2, :) = s(b, :, :)
// Backward splits dy the same way, overwriting da and ds (a caller whose skip tensor also feeds
// another layer adds that layer's gradient itself). No cache, no parameters.
#include <cstddef>

namespace diffuse {

// y (B, C1 + C2, HW) from a (B, C1, HW) and s (B, C2, HW).
void concat_channels_forward(float* y, const float* a, const float* s, std::size_t B,
                             std::size_t C1, std::size_t C2, std::size_t HW);

// da (B, C1, HW) and ds (B, C2, HW) overwritten (either skipped when nullptr) from dy
// (B, C1 + C2, HW).
void concat_channels_backward(float* da, float* ds, const float* dy, std::size_t B, std::size_t C1,
                              std::size_t C2, std::size_t HW);

}  // namespace diffuse
