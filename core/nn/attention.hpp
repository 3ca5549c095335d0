#pragma once
// Single-head self-attention over the pixels of an NCHW activation, exactly diffusers' Attention
// block as UNetMidBlock2D builds it for UNet2DModel with one head (heads = 1, dim_head = C;
// residual_connection = True, bias = True, upcast_softmax, _from_deprecated_attn_block) and its
// AttnProcessor (Vaswani et al. 2017 for the attention itself). With T = H W tokens:
//   residual = x                                               (B, C, H, W)
//   h  = GroupNorm(x)        (G groups, eps, affine)           (B, C, T), viewed as tokens (B, T,
//   C) q  = h Wq^T + bq,  k = h Wk^T + bk,  v = h Wv^T + bv      (B, T, C)   to_q, to_k, to_v a  =
//   softmax(q k^T / sqrt(C)) over keys, in float32, max subtracted   (B, T, T) o  = a v (B, T, C)
//   out = o Wo^T + bo                                          (B, T, C)   to_out.0
//   y  = (out viewed as (B, C, H, W) + residual) / rescale_output_factor
// Backward, with g = dy / rescale: dres = g; dout = g as tokens; dWo += dout^T o, dbo += sum dout,
// do = dout Wo; da = do v^T, dv = a^T do; ds = a (da - rowsum(a da)) (kernels/softmax.hpp);
// dq = ds k / sqrt(C), dk = ds^T q / sqrt(C); dh = dq Wq + dk Wk + dv Wv and each
// dW += d(.)^T h, db += sum d(.); dx = GroupNorm backward of dh (as planes) + dres.
//
// Parameters are PyTorch's: every weight (C, C) as [out, in], every bias (C,). Products run on
// gemm (the projections over all B T tokens at once, the attention per image); images are
// independent tasks on the executor, so results do not depend on the thread count. The caller
// passes a scratch of attention_scratch_floats(shape) floats; nothing is allocated.
#include <cstddef>

#include "base/executor.hpp"

namespace diffuse {

struct AttentionShape {
  std::size_t batch = 1;               // B
  std::size_t channels = 1;            // C (= dim_head, one head)
  std::size_t pixels = 1;              // T = H W
  std::size_t groups = 1;              // G of the block's group_norm (resnet_groups)
  float eps = 1e-5f;                   // the group_norm's eps (resnet_eps = norm_eps)
  float rescale_output_factor = 1.0f;  // UNet2DModel passes output_scale_factor = 1
};

// Parameter names as in a diffusers checkpoint, under "<block>.attentions.0.".
struct AttentionParams {
  const float* group_norm_weight;  // (C,)    group_norm.weight
  const float* group_norm_bias;    // (C,)    group_norm.bias
  const float* to_q_weight;        // (C, C)  to_q.weight
  const float* to_q_bias;          // (C,)    to_q.bias
  const float* to_k_weight;        // (C, C)  to_k.weight
  const float* to_k_bias;          // (C,)    to_k.bias
  const float* to_v_weight;        // (C, C)  to_v.weight
  const float* to_v_bias;          // (C,)    to_v.bias
  const float* to_out_weight;      // (C, C)  to_out.0.weight
  const float* to_out_bias;        // (C,)    to_out.0.bias
};

struct AttentionGrads {  // the same shapes; every one accumulates (+=)
  float* group_norm_weight;
  float* group_norm_bias;
  float* to_q_weight;
  float* to_q_bias;
  float* to_k_weight;
  float* to_k_bias;
  float* to_v_weight;
  float* to_v_bias;
  float* to_out_weight;
  float* to_out_bias;
};

// What forward keeps for backward (the input x is kept by the caller).
struct AttentionCache {
  float* norm_mean;  // (B, G)
  float* norm_rstd;  // (B, G)
  float* tokens;     // (B, T, C)  GroupNorm(x) as tokens
  float* q;          // (B, T, C)
  float* k;          // (B, T, C)
  float* v;          // (B, T, C)
  float* probs;      // (B, T, T)  a, each row summing to 1
  float* o;          // (B, T, C)  a v
};

// Floats of scratch for attention_forward and attention_backward: 5 B T C + B T T.
std::size_t attention_scratch_floats(const AttentionShape& shape);

// y (B, C, T) from x (B, C, T); y must not overlap x, the cache or the scratch.
void attention_forward(float* y, const AttentionCache& cache, const float* x,
                       const AttentionParams& params, const AttentionShape& shape, float* scratch,
                       const Executor& executor);

// dx (B, C, T) overwritten; grads accumulate. dy (B, C, T); cache and x from the forward.
void attention_backward(float* dx, const AttentionGrads& grads, const AttentionCache& cache,
                        const float* dy, const float* x, const AttentionParams& params,
                        const AttentionShape& shape, float* scratch, const Executor& executor);

}  // namespace diffuse
