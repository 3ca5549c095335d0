#pragma once
// Sinusoidal embeddings (docs/reference-workload.md, "Model" items 1 and 2; Vaswani et al. 2017,
// as tiny-diffusion's SinusoidalEmbedding). For a width W, half = W / 2 and frequencies
//   f_i = exp(-ln(10000) i / (half - 1)),  i = 0..half-1   (from 1 down to 1e-4)
//   emb(v) = [sin(v f_0), ..., sin(v f_{half-1}), cos(v f_0), ..., cos(v f_{half-1})]
// computed in double and rounded once. They have no parameters, and their inputs (the integer
// step, the data) are never differentiated, so there is no backward.
#include <cstddef>
#include <cstdint>

namespace diffuse {

// The scale applied to each data coordinate before its embedding (tiny-diffusion's 25).
inline constexpr float x_embed_scale = 25.0f;

// emb (B, E): the time embedding of the integer steps t (B,) read as floats. E even, E >= 4.
void time_embedding_forward(float* emb, const std::int32_t* t, std::size_t B, std::size_t E);

// emb (B, D * W): coordinate d of row b embedded at columns [d W, (d + 1) W) as
// emb(x_embed_scale * x(b, d)); x (B, D). W even, W >= 4.
void x_embedding_forward(float* emb, const float* x, std::size_t B, std::size_t D, std::size_t W);

}  // namespace diffuse
