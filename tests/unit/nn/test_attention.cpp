// The attention block (diffusers' Attention, one head, as in UNetMidBlock2D): forward against an
// independent float64 implementation of AttnProcessor (reference_image.hpp) within a bound
// propagated stage by stage, backward against central differences for the input and all ten
// parameters, rescale_output_factor, and identical results however an executor splits the work.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "layer_check.hpp"
#include "nn/attention.hpp"
#include "reference_image.hpp"
#include "support/reverse_executor.hpp"

using namespace diffuse;
using namespace diffuse::test;

namespace {

constexpr double u = 1.0 / (1 << 24);

// Parameters in one flat vector, in the order of AttentionParams.
struct AttentionCase {
  AttentionShape s;
  RefAttention r;
  std::vector<float> x, theta, dy;
  std::size_t n() const { return s.batch * s.channels * s.pixels; }

  AttentionCase(std::size_t B, std::size_t C, std::size_t T, std::size_t G, float rescale,
                std::uint64_t seed) {
    s.batch = B;
    s.channels = C;
    s.pixels = T;
    s.groups = G;
    s.eps = 1e-5f;
    s.rescale_output_factor = rescale;
    const std::size_t CC = C * C;
    r = {B,
         C,
         T,
         G,
         s.eps,
         rescale,
         0,
         C,
         2 * C,
         2 * C + CC,
         3 * C + CC,
         3 * C + 2 * CC,
         4 * C + 2 * CC,
         4 * C + 3 * CC,
         5 * C + 3 * CC,
         5 * C + 4 * CC};
    Rng rng(seed);
    x = random_floats(rng, n(), 1.2f, 0.4f);
    dy = random_floats(rng, n());
    theta.resize(6 * C + 4 * CC);
    const float w_scale = 1.0f / std::sqrt(static_cast<float>(C));
    auto fill = [&](std::size_t at, std::size_t count, float scale, float shift) {
      const std::vector<float> v = random_floats(rng, count, scale, shift);
      std::copy(v.begin(), v.end(), theta.begin() + at);
    };
    fill(r.gn_w, C, 0.3f, 1.0f);
    fill(r.gn_b, C, 0.3f, 0.0f);
    for (const std::size_t at : {r.q_w, r.k_w, r.v_w, r.o_w}) fill(at, CC, 1.5f * w_scale, 0.0f);
    for (const std::size_t at : {r.q_b, r.k_b, r.v_b, r.o_b}) fill(at, C, 0.2f, 0.0f);
  }

  AttentionParams params(const std::vector<float>& t) const {
    const float* p = t.data();
    return {p + r.gn_w, p + r.gn_b, p + r.q_w, p + r.q_b, p + r.k_w,
            p + r.k_b,  p + r.v_w,  p + r.v_b, p + r.o_w, p + r.o_b};
  }
  AttentionGrads grads(std::vector<float>& t) const {
    float* p = t.data();
    return {p + r.gn_w, p + r.gn_b, p + r.q_w, p + r.q_b, p + r.k_w,
            p + r.k_b,  p + r.v_w,  p + r.v_b, p + r.o_w, p + r.o_b};
  }
};

// Forward cache and scratch for one case.
struct Buffers {
  std::vector<float> mean, rstd, tokens, q, k, v, probs, o, scratch;
  explicit Buffers(const AttentionShape& s) {
    const std::size_t BTC = s.batch * s.pixels * s.channels;
    mean.resize(s.batch * s.groups);
    rstd.resize(s.batch * s.groups);
    for (auto* b : {&tokens, &q, &k, &v, &o}) b->resize(BTC);
    probs.resize(s.batch * s.pixels * s.pixels);
    scratch.assign(attention_scratch_floats(s), std::numeric_limits<float>::quiet_NaN());
  }
  AttentionCache cache() {
    return {mean.data(), rstd.data(), tokens.data(), q.data(),
            k.data(),    v.data(),    probs.data(),  o.data()};
  }
};

// max over rows of sum_c |w(row, c)| for a (C, C) weight at theta[at].
double max_row_l1(const std::vector<float>& t, std::size_t at, std::size_t C) {
  double m = 0;
  for (std::size_t o = 0; o < C; ++o) {
    double s = 0;
    for (std::size_t c = 0; c < C; ++c) s += std::abs(t[at + o * C + c]);
    m = std::max(m, s);
  }
  return m;
}

double max_abs(const Vec& v) {
  double m = 0;
  for (double e : v) m = std::max(m, std::abs(e));
  return m;
}

// A first-order bound on max |y - y_ref|, propagated through the stages with the reference's
// intermediates (second-order terms, products of two errors of order u, are dropped):
//  h   GroupNorm: (N + 12) u (|w| (|xhat| + mean|x| rstd) + |b|) (kernels/test_group_norm.cpp),
//      bounded by E_h = (N + 12) u (max|w| (max|xhat| + max mean|x| rstd) + max|b|);
//  q, k, v = h W^T + b: the error of h through the rows of W plus gemm's (2C + 4) u over
//      sum |W h| + |b| <= max_row_l1(W) max|h| + max|b|:  E_q = L(Wq) E_h + (2C + 4) u (L(Wq)
//      max|h| + max|bq|);
//  s = scale q k^T: E_s = scale (C max|k| E_q + C max|q| E_k + (2C + 4) u C max|q| max|k|);
//  a = softmax(s): |da| <= a (2 E_s + u (max(m - s) + T + 10)) =: a E_a (kernels/test_softmax.cpp
//      for the second term; a perturbation d of the scores moves log a by at most 2 max|d|);
//  o = a v (sum a = 1): E_o = E_v + E_a max|v| + (2T + 4) u max|v|;
//  out = o Wo^T + bo: E_out = L(Wo) E_o + (2C + 4) u (L(Wo) max|o| + max|bo|);
//  y = (out + x) / r: (E_out + 2 u (max|out| + max|x|)) / r, and the reference's own rounding.
double forward_bound(const AttentionCase& c, const RefAttentionParts& p) {
  const std::size_t B = c.s.batch, C = c.s.channels, T = c.s.pixels, G = c.s.groups;
  const std::size_t N = C / G * T;
  const std::vector<float>& t = c.theta;
  double wmax = 0, bmax = 0, inner = 0;
  for (std::size_t ch = 0; ch < C; ++ch) {
    wmax = std::max(wmax, static_cast<double>(std::abs(t[c.r.gn_w + ch])));
    bmax = std::max(bmax, static_cast<double>(std::abs(t[c.r.gn_b + ch])));
  }
  for (std::size_t bg = 0; bg < B * G; ++bg) {  // max |xhat| + mean|x| rstd over the groups
    double mu = 0, var = 0, mean_abs = 0;
    for (std::size_t i = 0; i < N; ++i) mu += c.x[bg * N + i] / static_cast<double>(N);
    for (std::size_t i = 0; i < N; ++i) {
      var += (c.x[bg * N + i] - mu) * (c.x[bg * N + i] - mu) / static_cast<double>(N);
      mean_abs += std::abs(c.x[bg * N + i]) / static_cast<double>(N);
    }
    const double r = 1 / std::sqrt(var + c.s.eps);
    for (std::size_t i = 0; i < N; ++i)
      inner = std::max(inner, std::abs(c.x[bg * N + i] - mu) * r + mean_abs * r);
  }
  auto bias_max = [&](std::size_t at) {
    double m = 0;
    for (std::size_t ch = 0; ch < C; ++ch)
      m = std::max(m, static_cast<double>(std::abs(t[at + ch])));
    return m;
  };
  const double Cd = static_cast<double>(C), Td = static_cast<double>(T);
  const double E_h = (static_cast<double>(N) + 12) * u * (wmax * inner + bmax),
               h_max = max_abs(p.h);
  auto projection = [&](std::size_t w_at, std::size_t b_at, double e_in, double in_max) {
    const double L = max_row_l1(t, w_at, C);
    return L * e_in + (2 * Cd + 4) * u * (L * in_max + bias_max(b_at));
  };
  const double E_q = projection(c.r.q_w, c.r.q_b, E_h, h_max),
               E_k = projection(c.r.k_w, c.r.k_b, E_h, h_max),
               E_v = projection(c.r.v_w, c.r.v_b, E_h, h_max);
  const double scale = 1 / std::sqrt(Cd), q_max = max_abs(p.q), k_max = max_abs(p.k),
               v_max = max_abs(p.v);
  const double E_s =
      scale * (Cd * k_max * E_q + Cd * q_max * E_k + (2 * Cd + 4) * u * Cd * q_max * k_max);
  double spread = 0;  // max over rows of (row max - score)
  for (std::size_t row = 0; row < B * T; ++row) {
    const double* s = &p.s[row * T];
    const double m = *std::max_element(s, s + T);
    for (std::size_t j = 0; j < T; ++j) spread = std::max(spread, m - s[j]);
  }
  const double E_a = 2 * E_s + u * (spread + Td + 10);
  const double E_o = E_v + E_a * v_max + (2 * Td + 4) * u * v_max;
  const double E_out = projection(c.r.o_w, c.r.o_b, E_o, max_abs(p.o));
  double x_max = 0;
  for (float e : c.x) x_max = std::max(x_max, static_cast<double>(std::abs(e)));
  const double rr = c.s.rescale_output_factor;
  return (E_out + 2 * u * (max_abs(p.out) + x_max)) / rr + u * max_abs(p.y);
}

// sum over rows j of M(j, c) = scale sum_i |ds(i, j)| |q(i, c)|, the magnitude of the terms that
// make up dk(j, c) = scale sum_i ds(i, j) q(i, c), from the reference's intermediates in double:
// dout = dy^T / r, do = dout Wo, da = do v^T, ds = a (da - rowsum(a da)).
std::vector<double> dk_magnitude(const AttentionCase& c, const RefAttentionParts& p) {
  const std::size_t B = c.s.batch, C = c.s.channels, T = c.s.pixels;
  const double scale = 1 / std::sqrt(static_cast<double>(C)), r = c.s.rescale_output_factor;
  Vec d_o(B * T * C, 0.0);
  for (std::size_t b = 0; b < B; ++b)
    for (std::size_t t = 0; t < T; ++t)
      for (std::size_t o = 0; o < C; ++o) {
        const double dout = c.dy[(b * C + o) * T + t] / r;
        for (std::size_t ci = 0; ci < C; ++ci)
          d_o[(b * T + t) * C + ci] += dout * c.theta[c.r.o_w + o * C + ci];
      }
  std::vector<double> M(C, 0.0);
  for (std::size_t b = 0; b < B; ++b)
    for (std::size_t i = 0; i < T; ++i) {
      Vec da(T);
      double dot = 0;
      for (std::size_t j = 0; j < T; ++j) {
        da[j] = 0;
        for (std::size_t ci = 0; ci < C; ++ci)
          da[j] += d_o[(b * T + i) * C + ci] * p.v[(b * T + j) * C + ci];
        dot += p.a[(b * T + i) * T + j] * da[j];
      }
      for (std::size_t j = 0; j < T; ++j) {
        const double ds = p.a[(b * T + i) * T + j] * (da[j] - dot);
        for (std::size_t ci = 0; ci < C; ++ci)
          M[ci] += scale * std::abs(ds) * std::abs(p.q[(b * T + i) * C + ci]);
      }
    }
  return M;
}

const AttentionCase cases[] = {
    AttentionCase(2, 8, 9, 2, 1.0f, 1), AttentionCase(3, 6, 5, 3, 1.0f, 2),
    AttentionCase(1, 4, 1, 1, 1.0f, 3), AttentionCase(2, 8, 4, 4, 2.0f, 4)};

}  // namespace

TEST_CASE(
    "attention_forward equals diffusers' AttnProcessor in float64 within the propagated bound") {
  for (const AttentionCase& c : cases) {
    Buffers buf(c.s);
    std::vector<float> y(c.n(), std::numeric_limits<float>::quiet_NaN());
    attention_forward(y.data(), buf.cache(), c.x.data(), c.params(c.theta), c.s, buf.scratch.data(),
                      serial_executor());
    const RefAttentionParts ref = ref_attention_parts(as_double(c.x), as_double(c.theta), c.r);
    const double bound = forward_bound(c, ref);
    INFO("B=" << c.s.batch << " C=" << c.s.channels << " T=" << c.s.pixels << " G=" << c.s.groups
              << " rescale=" << c.s.rescale_output_factor << " bound " << bound);
    for (std::size_t i = 0; i < y.size(); ++i) {
      INFO("element " << i);
      REQUIRE(std::abs(y[i] - ref.y[i]) <= bound);
    }
    // the cached probabilities are a softmax: rows sum to 1
    for (std::size_t row = 0; row < c.s.batch * c.s.pixels; ++row) {
      double total = 0;
      for (std::size_t j = 0; j < c.s.pixels; ++j) total += buf.probs[row * c.s.pixels + j];
      CHECK(total == Approx(1.0).epsilon(1e-5));
    }
  }
}

// The gradient-check budget of support/gradient_check.hpp holds here: every gradient element is
// a sum of at most max(B T, C) = 18 terms at the end of a chain of about 30 rounded operations
// (GroupNorm backward, three products, the softmax backward, two more products).
TEST_CASE("attention_backward matches central differences for x and every parameter") {
  const char* names[] = {"group_norm.weight", "group_norm.bias", "to_q.weight", "to_q.bias",
                         "to_k.weight",       "to_k.bias",       "to_v.weight", "to_v.bias",
                         "to_out.0.weight",   "to_out.0.bias"};
  for (const AttentionCase& c : cases) {
    Buffers buf(c.s);
    std::vector<float> y(c.n()), dx(c.n(), std::numeric_limits<float>::quiet_NaN());
    std::vector<float> grads(c.theta.size(), 0.0f);
    attention_forward(y.data(), buf.cache(), c.x.data(), c.params(c.theta), c.s, buf.scratch.data(),
                      serial_executor());
    attention_backward(dx.data(), c.grads(grads), buf.cache(), c.dy.data(), c.x.data(),
                       c.params(c.theta), c.s, buf.scratch.data(), serial_executor());
    const Vec x = as_double(c.x), theta = as_double(c.theta);
    INFO("B=" << c.s.batch << " C=" << c.s.channels << " T=" << c.s.pixels << " G=" << c.s.groups
              << " rescale=" << c.s.rescale_output_factor);
    expect_gradient(
        "attention dx",
        [&](const Vec& v) { return weighted_sum(ref_attention(v, theta, c.r), c.dy); }, x,
        dx.data());
    const std::size_t C = c.s.channels, CC = C * C;
    const std::size_t offsets[] = {c.r.gn_w, c.r.gn_b, c.r.q_w, c.r.q_b, c.r.k_w,
                                   c.r.k_b,  c.r.v_w,  c.r.v_b, c.r.o_w, c.r.o_b};
    for (std::size_t p = 0; p < 10; ++p) {
      const std::size_t at = offsets[p], count = (p >= 2 && p % 2 == 0) ? CC : C;
      if (at == c.r.k_b) continue;  // zero in exact arithmetic: below
      const Vec slice(theta.begin() + at, theta.begin() + at + count);
      expect_gradient(
          names[p],
          [&](const Vec& v) {
            Vec full = theta;
            std::copy(v.begin(), v.end(), full.begin() + at);
            return weighted_sum(ref_attention(x, full, c.r), c.dy);
          },
          slice, grads.data() + at);
    }
    // to_k.bias adds q . bk to every score of a row, which the softmax ignores: its gradient
    // sum_j dk(j, c) is exactly 0, and the float32 one is round-off. Each dk(j, c) is a sum of T
    // terms of magnitudes M(j, c) at the end of at most 32 roundings (within (T + 32) u sum M),
    // and the B T of them are summed once more (B T u), so |dbk(c)| <= (B T + T + 32) u sum_j M(j,
    // c).
    const std::vector<double> M = dk_magnitude(c, ref_attention_parts(x, theta, c.r));
    const double factor = static_cast<double>(c.s.batch * c.s.pixels + c.s.pixels + 32) * u;
    for (std::size_t ch = 0; ch < C; ++ch) {
      INFO("to_k.bias[" << ch << "] = " << grads[c.r.k_b + ch] << ", bound " << factor * M[ch]);
      CHECK(std::abs(grads[c.r.k_b + ch]) <= factor * M[ch]);
    }
  }
}

TEST_CASE("attention results do not depend on how an executor splits the work") {
  const test::ReverseExecutor split;
  const AttentionCase c(5, 64, 49, 32, 1.0f, 9);  // the Fashion U-Net's mid block at 7x7, batch 5
  Buffers a(c.s), b(c.s);
  std::vector<float> y1(c.n()), y2(c.n()), dx1(c.n()), dx2(c.n());
  std::vector<float> g1(c.theta.size(), 0.0f), g2(c.theta.size(), 0.0f);
  attention_forward(y1.data(), a.cache(), c.x.data(), c.params(c.theta), c.s, a.scratch.data(),
                    serial_executor());
  attention_forward(y2.data(), b.cache(), c.x.data(), c.params(c.theta), c.s, b.scratch.data(),
                    split);
  CHECK(std::memcmp(y1.data(), y2.data(), y1.size() * sizeof(float)) == 0);
  CHECK(std::memcmp(a.probs.data(), b.probs.data(), a.probs.size() * sizeof(float)) == 0);
  attention_backward(dx1.data(), c.grads(g1), a.cache(), c.dy.data(), c.x.data(), c.params(c.theta),
                     c.s, a.scratch.data(), serial_executor());
  attention_backward(dx2.data(), c.grads(g2), b.cache(), c.dy.data(), c.x.data(), c.params(c.theta),
                     c.s, b.scratch.data(), split);
  CHECK(std::memcmp(dx1.data(), dx2.data(), dx1.size() * sizeof(float)) == 0);
  CHECK(std::memcmp(g1.data(), g2.data(), g1.size() * sizeof(float)) == 0);
}
