#pragma once
// An independent float64 implementation of the MLP denoiser and its layers, written as naive loops
// straight from docs/reference-workload.md (no code shared with core/nn): the forward that the
// production float32 forward is compared against and that gradient checks difference.
// Tensors are row-major std::vector<double>.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/params.hpp"
#include "nn/mlp_config.hpp"

namespace diffuse::test {

using Vec = std::vector<double>;

inline Vec to_double(const float* p, std::size_t n) {
  return Vec(p, p + n);
}

// y (B, out) = x (B, in) w^T + b; w (out, in) at w_off, b at b_off.
inline Vec ref_linear(const Vec& x, const Vec& w, const Vec& b, std::size_t B, std::size_t in,
                      std::size_t out, std::size_t w_off = 0, std::size_t b_off = 0) {
  Vec y(B * out);
  for (std::size_t r = 0; r < B; ++r) {
    for (std::size_t o = 0; o < out; ++o) {
      double s = b[b_off + o];
      for (std::size_t i = 0; i < in; ++i) s += x[r * in + i] * w[w_off + o * in + i];
      y[r * out + o] = s;
    }
  }
  return y;
}

inline double ref_activation_one(kernels::Activation act, double x) {
  switch (act) {
    case kernels::Activation::relu:
      return x > 0 ? x : 0.0;
    case kernels::Activation::silu:
      return x / (1.0 + std::exp(-x));
    case kernels::Activation::gelu:
      return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
    case kernels::Activation::identity:
      return x;
  }
  return x;
}

inline Vec ref_activation(kernels::Activation act, Vec x) {
  for (double& v : x) v = ref_activation_one(act, v);
  return x;
}

// torch.nn.LayerNorm(N, eps = 1e-5) on rows of x (B, N); w, b (N,) at offsets.
inline Vec ref_layernorm(const Vec& x, const Vec& w, const Vec& b, std::size_t B, std::size_t N,
                         std::size_t w_off = 0, std::size_t b_off = 0) {
  Vec y(B * N);
  for (std::size_t r = 0; r < B; ++r) {
    double mean = 0, var = 0;
    for (std::size_t j = 0; j < N; ++j) mean += x[r * N + j] / static_cast<double>(N);
    for (std::size_t j = 0; j < N; ++j) {
      var += (x[r * N + j] - mean) * (x[r * N + j] - mean) / static_cast<double>(N);
    }
    for (std::size_t j = 0; j < N; ++j) {
      y[r * N + j] = (x[r * N + j] - mean) / std::sqrt(var + 1e-5) * w[w_off + j] + b[b_off + j];
    }
  }
  return y;
}

// [sin(v f_0..f_{half-1}), cos(v f_0..f_{half-1})], f_i = 10000^(-i / (half - 1)).
inline Vec ref_sinusoidal(double v, std::size_t W) {
  const std::size_t half = W / 2;
  Vec e(W);
  for (std::size_t i = 0; i < half; ++i) {
    const double f = std::pow(10000.0, -static_cast<double>(i) / static_cast<double>(half - 1));
    e[i] = std::sin(v * f);
    e[half + i] = std::cos(v * f);
  }
  return e;
}

inline double min_abs(const Vec& v) {
  double m = INFINITY;
  for (double x : v) m = std::min(m, std::abs(x));
  return m;
}

// The whole model: out (B, D) for x (B, D), t (B,), labels (B,) (null: the null class K),
// parameters theta in the layout's order. min_abs_pre, if given, receives the smallest
// |pre-activation| of the trunk (ReLU's kink).
inline Vec ref_mlp_forward(const MlpConfig& c, const ParamLayout& layout, const Vec& theta,
                           const Vec& x, const std::vector<std::int32_t>& t,
                           double* min_abs_pre = nullptr,
                           const std::vector<std::int32_t>* labels = nullptr) {
  double closest = INFINITY;
  const std::size_t B = t.size(), D = c.data_dim, E = c.time_embed, H = c.hidden;
  auto off = [&](const std::string& name) { return layout.find(name).offset; };
  // time features e (B, E)
  Vec e(B * E);
  for (std::size_t r = 0; r < B; ++r) {
    const Vec row = ref_sinusoidal(static_cast<double>(t[r]), E);
    for (std::size_t j = 0; j < E; ++j) e[r * E + j] = row[j];
  }
  if (c.time_projection) {
    e = ref_activation(
        kernels::Activation::silu,
        ref_linear(e, theta, theta, B, E, E, off("time_proj.weight"), off("time_proj.bias")));
  }
  if (c.classes > 0) {  // e += class_embedding[label], the null class K without labels
    const std::size_t table = off("class_embedding.weight");
    for (std::size_t r = 0; r < B; ++r) {
      const std::size_t k = labels ? static_cast<std::size_t>((*labels)[r]) : c.classes;
      for (std::size_t j = 0; j < E; ++j) e[r * E + j] += theta[table + k * E + j];
    }
  }
  // h0 = [x or emb(25 x), e]
  const std::size_t Dx = c.x_embed == 0 ? D : D * c.x_embed, D_in = Dx + E;
  Vec h(B * D_in);
  for (std::size_t r = 0; r < B; ++r) {
    for (std::size_t d = 0; d < D; ++d) {
      if (c.x_embed == 0) {
        h[r * D_in + d] = x[r * D + d];
      } else {
        // 25 x rounded to float first, as torch computes x * scale in float32.
        const Vec row = ref_sinusoidal(25.0f * static_cast<float>(x[r * D + d]), c.x_embed);
        for (std::size_t j = 0; j < c.x_embed; ++j) h[r * D_in + d * c.x_embed + j] = row[j];
      }
    }
    for (std::size_t j = 0; j < E; ++j) h[r * D_in + Dx + j] = e[r * E + j];
  }
  for (std::size_t l = 0; l < c.layers; ++l) {
    const std::string name = "layers." + std::to_string(l);
    const std::size_t in = l == 0 ? D_in : H;
    if (c.residual && l > 0) {
      const std::string norm = "norms." + std::to_string(l);
      const Vec ln =
          ref_layernorm(h, theta, theta, B, H, off(norm + ".weight"), off(norm + ".bias"));
      const Vec pre =
          ref_linear(ln, theta, theta, B, H, H, off(name + ".weight"), off(name + ".bias"));
      closest = std::min(closest, min_abs(pre));
      const Vec a = ref_activation(c.activation, pre);
      for (std::size_t i = 0; i < B * H; ++i) h[i] += a[i];
    } else {
      const Vec pre =
          ref_linear(h, theta, theta, B, in, H, off(name + ".weight"), off(name + ".bias"));
      closest = std::min(closest, min_abs(pre));
      h = ref_activation(c.activation, pre);
    }
  }
  if (min_abs_pre != nullptr) *min_abs_pre = closest;
  return ref_linear(h, theta, theta, B, H, mlp_out_dim(c), off("output.weight"), off("output.bias"));
}

// sum_i w_i y_i: the scalar whose gradient backward computes when given d_out = w.
inline double weighted_sum(const Vec& y, const std::vector<float>& w) {
  double s = 0;
  for (std::size_t i = 0; i < y.size(); ++i) s += w[i] * y[i];
  return s;
}

}  // namespace diffuse::test
