#pragma once
// diffusers' ResnetBlock2D as UNet2DModel builds it (resnet.py; time_embedding_norm "default",
// output_scale_factor 1, dropout 0, SiLU), NCHW with P = H W pixels:
//   a1 = SiLU(norm1(x))                        norm1 = GroupNorm(G, Cin)
//   h1 = conv1(a1) + time_emb_proj(SiLU(emb))  conv1 3x3 Cin -> Cout; the projection (E -> Cout)
//                                              broadcast over the pixels
//   a2 = SiLU(norm2(h1))                       norm2 = GroupNorm(G, Cout)
//   y  = shortcut(x) + conv2(a2)               conv2 3x3 Cout -> Cout; shortcut = conv_shortcut
//                                              (1x1) when Cin != Cout, else x
// The caller passes SiLU(emb) (every resnet of a U-Net shares it) and receives dL/dSiLU(emb)
// added into d_emb_act. Forward keeps the named cache; backward reads it in the exact reverse
// order, overwrites dx and accumulates every parameter gradient (+=).
#include <cstddef>

#include "base/executor.hpp"

namespace diffuse {

struct ResnetShape {
  std::size_t batch = 1;        // B
  std::size_t in_channels = 1;  // Cin
  std::size_t out_channels = 1; // Cout
  std::size_t size = 1;         // H = W
  std::size_t groups = 1;       // G of both GroupNorms
  std::size_t embed = 1;        // E: width of the time embedding
  float eps = 1e-5f;

  bool shortcut() const { return in_channels != out_channels; }
  std::size_t pixels() const { return size * size; }
};

// Parameters under "<block>.resnets.<j>.", as diffusers names them.
struct ResnetParams {
  const float* norm1_weight;  const float* norm1_bias;   // (Cin,)
  const float* conv1_weight;  const float* conv1_bias;   // (Cout, Cin, 3, 3), (Cout,)
  const float* temb_weight;   const float* temb_bias;    // time_emb_proj: (Cout, E), (Cout,)
  const float* norm2_weight;  const float* norm2_bias;   // (Cout,)
  const float* conv2_weight;  const float* conv2_bias;   // (Cout, Cout, 3, 3), (Cout,)
  const float* shortcut_weight; const float* shortcut_bias;  // conv_shortcut (Cout, Cin, 1, 1)
                                                             // or nullptr
};

struct ResnetGrads {  // the same shapes; all accumulate
  float* norm1_weight;  float* norm1_bias;
  float* conv1_weight;  float* conv1_bias;
  float* temb_weight;   float* temb_bias;
  float* norm2_weight;  float* norm2_bias;
  float* conv2_weight;  float* conv2_bias;
  float* shortcut_weight; float* shortcut_bias;
};

// What forward writes; training keeps all of it for backward. Inference passes dact1 = dact2 =
// nullptr (and may share a1, h1, a2 between blocks).
struct ResnetCache {
  float* a1;     // (B, Cin, P)  SiLU(norm1(x))
  float* dact1;  // (B, Cin, P)  SiLU' at norm1(x)
  float* mean1;  // (B, G)
  float* rstd1;  // (B, G)
  float* h1;     // (B, Cout, P) conv1(a1) + temb: norm2's input
  float* temb;   // (B, Cout)    time_emb_proj(SiLU(emb))
  float* a2;     // (B, Cout, P)
  float* dact2;  // (B, Cout, P)
  float* mean2;  // (B, G)
  float* rstd2;  // (B, G)
};

// Scratch floats for forward and backward (the convolutions' and the shortcut's and the
// backward's intermediate gradients).
std::size_t resnet_scratch_floats(const ResnetShape& shape);

// y (B, Cout, P) from x (B, Cin, P) and emb_act (B, E) = SiLU(emb). y must not alias x or the cache.
void resnet_forward(float* y, const ResnetCache& cache, const float* x, const float* emb_act,
                    const ResnetParams& params, const ResnetShape& shape, float* scratch,
                    const Executor& executor);

// dx (B, Cin, P) overwritten; d_emb_act (B, E) += this block's share; grads accumulate. dy
// (B, Cout, P); x and emb_act the forward's inputs.
void resnet_backward(float* dx, float* d_emb_act, const ResnetGrads& grads, const ResnetCache& cache,
                     const float* dy, const float* x, const float* emb_act,
                     const ResnetParams& params, const ResnetShape& shape, float* scratch,
                     const Executor& executor);

}  // namespace diffuse
