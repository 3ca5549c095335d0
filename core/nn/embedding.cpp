#include "nn/embedding.hpp"

#include <algorithm>
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

void time_embedding_forward(float* emb, const double* t, std::size_t B, std::size_t E) {
  for (std::size_t b = 0; b < B; ++b) sinusoidal_row(emb + b * E, t[b], E);
}

const float* TimeEmbeddingCache::row(double t) {
  if (!(t >= 0.0 && t < cached_step_limit) || std::floor(t) != t) return nullptr;
  const std::size_t filled = rows_.size() / E_;
  const auto index = static_cast<std::size_t>(t);
  const std::size_t need = index + 1;
  if (need > filled) {
    // Grow to at least double, so a run that walks t upward fills the table in O(log) steps.
    const std::size_t grown = std::min<std::size_t>(std::max(need, 2 * filled),
                                                    static_cast<std::size_t>(cached_step_limit));
    rows_.resize(grown * E_);
    for (std::size_t s = filled; s < grown; ++s) {
      const auto step = static_cast<double>(s);
      time_embedding_forward(rows_.data() + s * E_, &step, 1, E_);
    }
  }
  return rows_.data() + index * E_;
}

void TimeEmbeddingCache::embed(float* emb, const double* t, std::size_t B) {
  for (std::size_t b = 0; b < B; ++b) {
    if (const float* cached = row(t[b])) {
      std::copy(cached, cached + E_, emb + b * E_);
    } else {
      time_embedding_forward(emb + b * E_, t + b, 1, E_);
    }
  }
}

void timestep_embedding_diffusers(float* emb, const double* t, std::size_t B, std::size_t E) {
  const std::size_t half = E / 2;
  const float neg_log = static_cast<float>(-std::log(10000.0));
  for (std::size_t b = 0; b < B; ++b) {
    float* row = emb + b * E;
    const auto v = static_cast<float>(t[b]);
    for (std::size_t i = 0; i < half; ++i) {
      const float exponent = neg_log * static_cast<float>(i) / static_cast<float>(half);
      const float angle = v * std::exp(exponent);
      row[i] = std::cos(angle);
      row[half + i] = std::sin(angle);
    }
    if (E % 2 == 1) row[E - 1] = 0.0f;
  }
}

void x_embedding_forward(float* emb, const float* x, std::size_t B, std::size_t D, std::size_t W) {
  // Row-major (B, D, W) is (B, D * W): one embedding per value of x read as (B * D,).
  for (std::size_t i = 0; i < B * D; ++i) {
    sinusoidal_row(emb + i * W, static_cast<double>(x_embed_scale * x[i]), W);
  }
}

}  // namespace diffuse

namespace diffuse {

void embedding_add_forward(float* y, const float* table, const std::int32_t* labels, std::size_t B,
                           std::size_t E) {
  for (std::size_t b = 0; b < B; ++b) {
    const float* row = table + static_cast<std::size_t>(labels[b]) * E;
    for (std::size_t e = 0; e < E; ++e) y[b * E + e] += row[e];
  }
}

void embedding_add_backward(float* d_table, const float* dy, const std::int32_t* labels,
                            std::size_t B, std::size_t E) {
  // Rows in order, so that a label seen twice accumulates in a fixed order.
  for (std::size_t b = 0; b < B; ++b) {
    float* row = d_table + static_cast<std::size_t>(labels[b]) * E;
    for (std::size_t e = 0; e < E; ++e) row[e] += dy[b * E + e];
  }
}

}  // namespace diffuse
