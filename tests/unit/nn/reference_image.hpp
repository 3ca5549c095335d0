#pragma once
// Independent float64 references for the image layers (no code shared with core/): naive loops
// straight from the definitions of torch.nn.Conv2d, torch.nn.GroupNorm, F.interpolate(nearest,
// x2), torch.cat(dim=1) and diffusers' Attention (AttnProcessor), used as the forward that the
// float32 layers are compared against and that the gradient checks difference. NCHW, row-major
// std::vector<double> (reference_nn.hpp's Vec).
#include <algorithm>
#include <cmath>
#include <cstddef>

#include "reference_nn.hpp"

namespace diffuse::test {

struct RefConv {
  std::size_t B, Cin, Cout, H, W, k, stride, pad;
  std::size_t Ho() const { return (H + 2 * pad - k) / stride + 1; }
  std::size_t Wo() const { return (W + 2 * pad - k) / stride + 1; }
};

// torch.nn.Conv2d, with x read as 0 outside the image:
//   y(b, o, i, j) = bias(o) + sum_{c, u, v} w(o, c, u, v) x(b, c, s i + u - p, s j + v - p)
inline Vec ref_conv2d(const Vec& x, const Vec& w, const Vec& bias, const RefConv& c) {
  const std::size_t Ho = c.Ho(), Wo = c.Wo();
  Vec y(c.B * c.Cout * Ho * Wo);
  for (std::size_t b = 0; b < c.B; ++b)
    for (std::size_t o = 0; o < c.Cout; ++o)
      for (std::size_t i = 0; i < Ho; ++i)
        for (std::size_t j = 0; j < Wo; ++j) {
          double s = bias[o];
          for (std::size_t ci = 0; ci < c.Cin; ++ci)
            for (std::size_t u = 0; u < c.k; ++u)
              for (std::size_t v = 0; v < c.k; ++v) {
                const long yy = static_cast<long>(c.stride * i + u) - static_cast<long>(c.pad);
                const long xx = static_cast<long>(c.stride * j + v) - static_cast<long>(c.pad);
                if (yy < 0 || xx < 0 || yy >= static_cast<long>(c.H) ||
                    xx >= static_cast<long>(c.W))
                  continue;
                s += w[((o * c.Cin + ci) * c.k + u) * c.k + v] *
                     x[((b * c.Cin + ci) * c.H + yy) * c.W + xx];
              }
          y[((b * c.Cout + o) * Ho + i) * Wo + j] = s;
        }
  return y;
}

// torch.nn.GroupNorm(G, C, eps): per (b, g), biased variance, then weight, bias per channel.
inline Vec ref_group_norm(const Vec& x, const Vec& gamma, const Vec& beta, std::size_t B,
                          std::size_t C, std::size_t G, std::size_t HW, double eps) {
  Vec y(x.size());
  const std::size_t Cg = C / G, N = Cg * HW;
  for (std::size_t b = 0; b < B; ++b)
    for (std::size_t g = 0; g < G; ++g) {
      const std::size_t at = (b * C + g * Cg) * HW;
      double mean = 0, var = 0;
      for (std::size_t i = 0; i < N; ++i) mean += x[at + i] / static_cast<double>(N);
      for (std::size_t i = 0; i < N; ++i)
        var += (x[at + i] - mean) * (x[at + i] - mean) / static_cast<double>(N);
      for (std::size_t i = 0; i < N; ++i) {
        const std::size_t c = g * Cg + i / HW;
        y[at + i] = (x[at + i] - mean) / std::sqrt(var + eps) * gamma[c] + beta[c];
      }
    }
  return y;
}

inline Vec ref_silu(Vec x) {
  for (double& v : x) v = v / (1.0 + std::exp(-v));
  return x;
}

// F.interpolate(x, scale_factor=2, mode="nearest").
inline Vec ref_upsample2x(const Vec& x, std::size_t B, std::size_t C, std::size_t H,
                          std::size_t W) {
  Vec y(B * C * 4 * H * W);
  for (std::size_t p = 0; p < B * C; ++p)
    for (std::size_t i = 0; i < 2 * H; ++i)
      for (std::size_t j = 0; j < 2 * W; ++j)
        y[(p * 2 * H + i) * 2 * W + j] = x[(p * H + i / 2) * W + j / 2];
  return y;
}

// torch.cat([a, s], dim=1).
inline Vec ref_concat(const Vec& a, const Vec& s, std::size_t B, std::size_t C1, std::size_t C2,
                      std::size_t HW) {
  Vec y;
  for (std::size_t b = 0; b < B; ++b) {
    y.insert(y.end(), a.begin() + b * C1 * HW, a.begin() + (b + 1) * C1 * HW);
    y.insert(y.end(), s.begin() + b * C2 * HW, s.begin() + (b + 1) * C2 * HW);
  }
  return y;
}

// h + e[:, :, None, None].
inline Vec ref_channel_add(Vec h, const Vec& e, std::size_t B, std::size_t C, std::size_t HW) {
  for (std::size_t p = 0; p < B * C; ++p)
    for (std::size_t i = 0; i < HW; ++i) h[p * HW + i] += e[p];
  return h;
}

// diffusers' Attention (one head, dim_head = C) with AttnProcessor on x (B, C, T): the parameters
// in theta at the given offsets, PyTorch layouts (Linear weight [out, in]).
struct RefAttention {
  std::size_t B, C, T, G;
  double eps, rescale;
  std::size_t gn_w, gn_b, q_w, q_b, k_w, k_b, v_w, v_b, o_w, o_b;  // offsets into theta
};

// Every intermediate of the forward, for the error analysis of tests/unit/nn/test_attention.cpp.
struct RefAttentionParts {
  Vec h;        // (B, C, T) GroupNorm(x)
  Vec q, k, v;  // (B T, C)
  Vec s;        // (B, T, T) scaled scores
  Vec a;        // (B, T, T) softmax over keys
  Vec o;        // (B T, C) a v
  Vec out;      // (B T, C) to_out
  Vec y;        // (B, C, T)
};

inline RefAttentionParts ref_attention_parts(const Vec& x, const Vec& theta,
                                             const RefAttention& a) {
  const std::size_t B = a.B, C = a.C, T = a.T;
  RefAttentionParts r;
  const Vec gamma(theta.begin() + a.gn_w, theta.begin() + a.gn_w + C);
  const Vec beta(theta.begin() + a.gn_b, theta.begin() + a.gn_b + C);
  r.h = ref_group_norm(x, gamma, beta, B, C, a.G, T, a.eps);
  // tokens (B T, C): token t of image b is h(b, :, t)
  Vec tok(B * T * C);
  for (std::size_t b = 0; b < B; ++b)
    for (std::size_t t = 0; t < T; ++t)
      for (std::size_t c = 0; c < C; ++c) tok[(b * T + t) * C + c] = r.h[(b * C + c) * T + t];
  r.q = ref_linear(tok, theta, theta, B * T, C, C, a.q_w, a.q_b);
  r.k = ref_linear(tok, theta, theta, B * T, C, C, a.k_w, a.k_b);
  r.v = ref_linear(tok, theta, theta, B * T, C, C, a.v_w, a.v_b);
  r.s.assign(B * T * T, 0.0);
  r.a.assign(B * T * T, 0.0);
  r.o.assign(B * T * C, 0.0);
  const double scale = 1.0 / std::sqrt(static_cast<double>(C));
  for (std::size_t b = 0; b < B; ++b)
    for (std::size_t i = 0; i < T; ++i) {
      double* s = &r.s[(b * T + i) * T];
      double* p = &r.a[(b * T + i) * T];
      for (std::size_t j = 0; j < T; ++j) {
        double dot = 0;
        for (std::size_t c = 0; c < C; ++c)
          dot += r.q[(b * T + i) * C + c] * r.k[(b * T + j) * C + c];
        s[j] = scale * dot;
      }
      const double m = *std::max_element(s, s + T);
      double z = 0;
      for (std::size_t j = 0; j < T; ++j) z += (p[j] = std::exp(s[j] - m));
      for (std::size_t j = 0; j < T; ++j) p[j] /= z;
      for (std::size_t j = 0; j < T; ++j)
        for (std::size_t c = 0; c < C; ++c)
          r.o[(b * T + i) * C + c] += p[j] * r.v[(b * T + j) * C + c];
    }
  r.out = ref_linear(r.o, theta, theta, B * T, C, C, a.o_w, a.o_b);
  r.y.assign(B * C * T, 0.0);
  for (std::size_t b = 0; b < B; ++b)
    for (std::size_t c = 0; c < C; ++c)
      for (std::size_t t = 0; t < T; ++t) {
        const std::size_t at = (b * C + c) * T + t;
        r.y[at] = (r.out[(b * T + t) * C + c] + x[at]) / a.rescale;
      }
  return r;
}

inline Vec ref_attention(const Vec& x, const Vec& theta, const RefAttention& a) {
  return ref_attention_parts(x, theta, a).y;
}

}  // namespace diffuse::test
