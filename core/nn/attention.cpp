#include "nn/attention.hpp"

#include <cmath>
#include <functional>

#include "kernels/activation.hpp"  // sum_rows_accumulate
#include "kernels/gemm.hpp"
#include "kernels/group_norm.hpp"
#include "kernels/softmax.hpp"
#include "kernels/transpose.hpp"
#include "nn/group_norm.hpp"
#include "nn/linear.hpp"

namespace diffuse {
namespace {

using kernels::Transpose;

kernels::GroupNormShape norm_shape(const AttentionShape& s) {
  kernels::GroupNormShape g;
  g.batch = s.batch;
  g.channels = s.channels;
  g.groups = s.groups;
  g.pixels = s.pixels;
  g.eps = s.eps;
  return g;
}

// The scores' scale dim_head^-0.5 in float32, as torch's baddbmm receives it.
float score_scale(const AttentionShape& s) {
  return static_cast<float>(1.0 / std::sqrt(static_cast<double>(s.channels)));
}

// task(b) for every image b: tasks on the executor when it has threads (the inner products then
// run serially), else a plain loop. std::cref keeps the std::function from allocating.
template <class Task>
void for_each_image(const Executor& executor, std::size_t B, const Task& task) {
  if (executor.concurrency() > 1 && B > 1) {
    executor.run(B, std::cref(task));
  } else {
    for (std::size_t b = 0; b < B; ++b) task(b);
  }
}

// rows (B, T, C) from planes (B, C, T), image by image.
void planes_to_tokens(float* rows, const float* planes, std::size_t B, std::size_t C,
                      std::size_t T) {
  for (std::size_t b = 0; b < B; ++b)
    kernels::transpose(rows + b * T * C, C, planes + b * C * T, T, C, T);
}

// planes (B, C, T) from rows (B, T, C).
void tokens_to_planes(float* planes, const float* rows, std::size_t B, std::size_t C,
                      std::size_t T) {
  for (std::size_t b = 0; b < B; ++b)
    kernels::transpose(planes + b * C * T, T, rows + b * T * C, C, T, C);
}

// dW += d^T h, db += sum over rows of d, for one projection (h, d: (BT, C)).
void projection_grads(float* dw, float* db, const float* d, const float* h, std::size_t BT,
                      std::size_t C, const Executor& executor) {
  kernels::gemm(Transpose::yes, Transpose::no, C, C, BT, 1.0f, d, C, h, C, 1.0f, dw, C, executor);
  kernels::sum_rows_accumulate(db, d, BT, C);
}

}  // namespace

std::size_t attention_scratch_floats(const AttentionShape& s) {
  return 5 * s.batch * s.pixels * s.channels + s.batch * s.pixels * s.pixels;
}

void attention_forward(float* y, const AttentionCache& cache, const float* x,
                       const AttentionParams& p, const AttentionShape& s, float* scratch,
                       const Executor& executor) {
  const std::size_t B = s.batch, C = s.channels, T = s.pixels, BT = B * T;
  float* planes = scratch;        // (B, C, T) GroupNorm(x)
  float* out = scratch + BT * C;  // (B, T, C) to_out's output
  group_norm_forward(planes, cache.norm_mean, cache.norm_rstd, x, p.group_norm_weight,
                     p.group_norm_bias, norm_shape(s), executor);
  planes_to_tokens(cache.tokens, planes, B, C, T);
  linear_forward(cache.q, nullptr, cache.tokens, p.to_q_weight, p.to_q_bias, BT, C, C,
                 Activation::identity, executor);
  linear_forward(cache.k, nullptr, cache.tokens, p.to_k_weight, p.to_k_bias, BT, C, C,
                 Activation::identity, executor);
  linear_forward(cache.v, nullptr, cache.tokens, p.to_v_weight, p.to_v_bias, BT, C, C,
                 Activation::identity, executor);
  const float scale = score_scale(s);
  for_each_image(executor, B, [&](std::size_t b) {
    const std::size_t at = b * T * C;
    float* a = cache.probs + b * T * T;
    kernels::gemm(Transpose::no, Transpose::yes, T, T, C, scale, cache.q + at, C, cache.k + at, C,
                  0.0f, a, T);
    kernels::softmax_rows(a, a, T, T);
    kernels::gemm(Transpose::no, Transpose::no, T, C, T, 1.0f, a, T, cache.v + at, C, 0.0f,
                  cache.o + at, C);
  });
  linear_forward(out, nullptr, cache.o, p.to_out_weight, p.to_out_bias, BT, C, C,
                 Activation::identity, executor);
  tokens_to_planes(y, out, B, C, T);
  const float r = s.rescale_output_factor;
  for (std::size_t i = 0; i < B * C * T; ++i) y[i] = (y[i] + x[i]) / r;
}

void attention_backward(float* dx, const AttentionGrads& g, const AttentionCache& cache,
                        const float* dy, const float* x, const AttentionParams& p,
                        const AttentionShape& s, float* scratch, const Executor& executor) {
  const std::size_t B = s.batch, C = s.channels, T = s.pixels, BT = B * T, n = B * C * T;
  float* d_out = scratch;        // (B, T, C) dL/dout, later dL/dh as tokens
  float* d_o = scratch + n;      // (B, T, C) dL/do, later dL/dh as planes
  float* dq = scratch + 2 * n;   // (B, T, C)
  float* dk = scratch + 3 * n;   // (B, T, C)
  float* dv = scratch + 4 * n;   // (B, T, C)
  float* d_a = scratch + 5 * n;  // (B, T, T) dL/da, then dL/d(scores before scaling)
  const float r = s.rescale_output_factor;
  planes_to_tokens(d_out, dy, B, C, T);
  for (std::size_t i = 0; i < n; ++i) d_out[i] /= r;
  linear_backward(d_o, g.to_out_weight, g.to_out_bias, nullptr, nullptr, d_out, cache.o,
                  p.to_out_weight, BT, C, C, Activation::identity, executor);
  const float scale = score_scale(s);
  for_each_image(executor, B, [&](std::size_t b) {
    const std::size_t at = b * T * C;
    const float* a = cache.probs + b * T * T;
    float* da = d_a + b * T * T;
    kernels::gemm(Transpose::no, Transpose::yes, T, T, C, 1.0f, d_o + at, C, cache.v + at, C, 0.0f,
                  da, T);  // da = do v^T
    kernels::gemm(Transpose::yes, Transpose::no, T, C, T, 1.0f, a, T, d_o + at, C, 0.0f, dv + at,
                  C);  // dv = a^T do
    kernels::softmax_rows_backward(da, da, a, T, T);
    kernels::gemm(Transpose::no, Transpose::no, T, C, T, scale, da, T, cache.k + at, C, 0.0f,
                  dq + at, C);  // dq = scale ds k
    kernels::gemm(Transpose::yes, Transpose::no, T, C, T, scale, da, T, cache.q + at, C, 0.0f,
                  dk + at, C);  // dk = scale ds^T q
  });
  // dh = dq Wq + dk Wk + dv Wv (tokens), and the projections' parameter gradients.
  float* dh = d_out;
  kernels::gemm(Transpose::no, Transpose::no, BT, C, C, 1.0f, dq, C, p.to_q_weight, C, 0.0f, dh, C,
                executor);
  kernels::gemm(Transpose::no, Transpose::no, BT, C, C, 1.0f, dk, C, p.to_k_weight, C, 1.0f, dh, C,
                executor);
  kernels::gemm(Transpose::no, Transpose::no, BT, C, C, 1.0f, dv, C, p.to_v_weight, C, 1.0f, dh, C,
                executor);
  projection_grads(g.to_q_weight, g.to_q_bias, dq, cache.tokens, BT, C, executor);
  projection_grads(g.to_k_weight, g.to_k_bias, dk, cache.tokens, BT, C, executor);
  projection_grads(g.to_v_weight, g.to_v_bias, dv, cache.tokens, BT, C, executor);
  float* dh_planes = d_o;
  tokens_to_planes(dh_planes, dh, B, C, T);
  group_norm_backward(dx, g.group_norm_weight, g.group_norm_bias, cache.norm_mean, cache.norm_rstd,
                      dh_planes, x, p.group_norm_weight, norm_shape(s), executor);
  for (std::size_t i = 0; i < n; ++i) dx[i] += dy[i] / r;  // the residual's gradient
}

}  // namespace diffuse
