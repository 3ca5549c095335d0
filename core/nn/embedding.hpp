#pragma once
// Sinusoidal embeddings (docs/reference-workload.md, "Model" items 1 and 2; Vaswani et al. 2017,
// as tiny-diffusion's SinusoidalEmbedding). For a width W, half = W / 2 and frequencies
//   f_i = exp(-ln(10000) i / (half - 1)),  i = 0..half-1   (from 1 down to 1e-4)
//   emb(v) = [sin(v f_0), ..., sin(v f_{half-1}), cos(v f_0), ..., cos(v f_{half-1})]
// computed in double and rounded once. They have no parameters, and their inputs (the step, the
// data) are never differentiated, so there is no backward.
//
// Steps are real numbers (`const double* t`): training embeds integer steps, while samplers that
// interpolate between training steps (Euler, Heun: diffusion/sampler_plan.hpp) pass fractional
// ones, as diffusers' pipelines do. An integer step embeds exactly as it always did.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace diffuse {

// diffusers' timestep embedding (embeddings.py get_timestep_embedding with flip_sin_to_cos=True,
// downscale_freq_shift=0, scale 1, max_period 10000), UNet2DModel's time_proj, in float32 as
// diffusers computes it: with half = E / 2,
//   f_i = exp(float(-ln 10000) i / half),  i = 0..half-1          (the denominator is half)
//   emb(t) = [cos(t f_0), ..., cos(t f_{half-1}), sin(t f_0), ..., sin(t f_{half-1})]   (cos first)
// and a zero last column when E is odd. Not the MLP's embedding above (half - 1, sin first).
// t is rounded to float32 first, as diffusers' timesteps are float32 tensors.
void timestep_embedding_diffusers(float* emb, const double* t, std::size_t B, std::size_t E);

// The scale applied to each data coordinate before its embedding (tiny-diffusion's 25).
inline constexpr float x_embed_scale = 25.0f;

// emb (B, E): the time embedding of the steps t (B,). E even, E >= 4.
void time_embedding_forward(float* emb, const double* t, std::size_t B, std::size_t E);

// time_embedding_forward through a cache of rows: training and sampling embed the same few
// thousand integer steps over and over, and the float64 sin/cos of a row cost more than the
// rest of a small model's input layer. Rows are computed on first use by time_embedding_forward
// itself, so every value is bit for bit the uncached one. Fractional steps and steps outside
// [0, cached_step_limit) are computed each time (the cache stays at most cached_step_limit * E
// floats).
class TimeEmbeddingCache {
 public:
  static constexpr std::int32_t cached_step_limit = 1 << 16;

  explicit TimeEmbeddingCache(std::size_t E) : E_(E) {}
  std::size_t width() const { return E_; }
  // emb (B, E) = time_embedding_forward(t, B, E).
  void embed(float* emb, const double* t, std::size_t B);

 private:
  const float* row(double t);  // nullptr for t fractional or outside the cached range

  std::size_t E_;
  std::vector<float> rows_;          // (filled, E): rows for t = 0 .. filled - 1
};

// emb (B, D * W): coordinate d of row b embedded at columns [d W, (d + 1) W) as
// emb(x_embed_scale * x(b, d)); x (B, D). W even, W >= 4.
void x_embedding_forward(float* emb, const float* x, std::size_t B, std::size_t D, std::size_t W);

}  // namespace diffuse

namespace diffuse {

// A learned embedding table, as torch.nn.Embedding (the class embedding of a conditional network:
// diffusers' class_embedding, added to the time features). table (R, E); labels (B,) in [0, R).
//   forward    y(b, :) += table(labels(b), :)           y (B, E)
//   backward   d_table(labels(b), :) += dy(b, :)         dy (B, E), d_table (R, E)
void embedding_add_forward(float* y, const float* table, const std::int32_t* labels, std::size_t B,
                           std::size_t E);
void embedding_add_backward(float* d_table, const float* dy, const std::int32_t* labels,
                            std::size_t B, std::size_t E);

}  // namespace diffuse
