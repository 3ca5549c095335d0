#include "nn/embedding.hpp"

#include <cmath>

#include "base/check.hpp"

namespace diffuse {
namespace {

// out (W,) = emb(v) for one value.
void sinusoidal_row(float* out, double v, std::size_t W) {
  DIFFUSE_ASSERT(W % 2 == 0 && W >= 4);
  const std::size_t half = W / 2;
  const double step = -std::log(10000.0) / static_cast<double>(half - 1);
  for (std::size_t i = 0; i < half; ++i) {
    const double angle = v * std::exp(step * static_cast<double>(i));
    out[i] = static_cast<float>(std::sin(angle));
    out[half + i] = static_cast<float>(std::cos(angle));
  }
}

}  // namespace

void time_embedding_forward(float* emb, const std::int32_t* t, std::size_t B, std::size_t E) {
  for (std::size_t b = 0; b < B; ++b) sinusoidal_row(emb + b * E, static_cast<double>(t[b]), E);
}

void x_embedding_forward(float* emb, const float* x, std::size_t B, std::size_t D, std::size_t W) {
  // Row-major (B, D, W) is (B, D * W): one embedding per value of x read as (B * D,).
  for (std::size_t i = 0; i < B * D; ++i) {
    sinusoidal_row(emb + i * W, static_cast<double>(x_embed_scale * x[i]), W);
  }
}

}  // namespace diffuse
