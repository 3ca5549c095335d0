// group_norm_forward / _backward (SIMD, float32 sums) against their double twins on random shapes
// (odd channels per group, H W = 1 .. 196, batch 1 .. 5, identity and SiLU), with error bounds
// derived below; the fused SiLU against GroupNorm followed by the activation kernels, bit for bit;
// and results that do not depend on how an executor splits the work.
// The scalar twin is group_norm_ref.cpp.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "base/rng.hpp"
#include "kernels/activation.hpp"
#include "kernels/group_norm.hpp"
#include "support/reverse_executor.hpp"

using namespace diffuse;
using kernels::Activation;
using kernels::GroupNormShape;

namespace {

constexpr double u = 1.0 / (1 << 24);

struct GnCase {
  GroupNormShape s;
  std::vector<float> x, gamma, beta, dy, dg0, db0;
  GnCase(const GroupNormShape& shape, std::uint64_t seed) : s(shape) {
    Rng rng(seed);
    const std::size_t n = s.batch * s.channels * s.pixels;
    x.resize(n);
    rng.fill_normal(x.data(), n);
    for (std::size_t i = 0; i < n; ++i)
      x[i] = 0.7f + 1.5f * x[i];  // groups with a mean away from 0
    gamma.resize(s.channels);
    beta.resize(s.channels);
    dg0.resize(s.channels);
    db0.resize(s.channels);
    rng.fill_normal(gamma.data(), s.channels);
    rng.fill_normal(beta.data(), s.channels);
    rng.fill_normal(dg0.data(), s.channels);
    rng.fill_normal(db0.data(), s.channels);
    dy.resize(n);
    rng.fill_normal(dy.data(), n);
  }
  std::size_t size() const { return x.size(); }
  std::size_t cg() const { return s.channels / s.groups; }
  std::size_t block() const { return cg() * s.pixels; }  // N
  std::size_t channel(std::size_t i) const { return i / s.pixels % s.channels; }
};

std::string describe(const GroupNormShape& s, Activation act) {
  return "B=" + std::to_string(s.batch) + " C=" + std::to_string(s.channels) +
         " G=" + std::to_string(s.groups) + " HW=" + std::to_string(s.pixels) + " " +
         kernels::activations.name(act);
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// Forward error bound, per element, from exact (double) block statistics. With N values per block:
//  * mean: a float32 sum of N terms (any blocking: gamma_N) and a division:
//      e_mu = (N + 2) u mean|x|;
//  * rstd: the sum of N squared rounded deviations (each 3u relative) is within (N + 3) u of the
//    exact sum of squares (the mean's own error enters only as N e_mu^2, far below); division,
//    eps, sqrt and reciprocal in double, one rounding to float: e_r = ((N + 3) / 2 + 2) u relative;
//  * xhat = (x - mu) rstd, two roundings: |dxhat| <= |xhat| (e_r + 2u) + e_mu rstd;
//  * pre = fma(gamma, xhat, beta) (two roundings without FMA): |dpre| <= |gamma| |dxhat| +
//    2u (|gamma xhat| + |beta|), and the twin rounds once more: + u |pre|;
//  * SiLU: |silu'| <= 1.1 and |silu''| <= 0.5 carry dpre into y and dact; the vector SiLU and its
//    derivative are within 16 u of exact (tests/unit/kernels/test_activation.cpp), relative to y
//    or, for the derivative, to s (1 + |x| (1 - s)).
struct BlockStats {
  double mu, rstd, mean_abs;
};

std::vector<BlockStats> exact_stats(const GnCase& c) {
  std::vector<BlockStats> out;
  const std::size_t N = c.block();
  for (std::size_t bg = 0; bg < c.s.batch * c.s.groups; ++bg) {
    double mu = 0, var = 0, abs_sum = 0;
    for (std::size_t i = 0; i < N; ++i) {
      mu += c.x[bg * N + i];
      abs_sum += std::abs(c.x[bg * N + i]);
    }
    mu /= static_cast<double>(N);
    for (std::size_t i = 0; i < N; ++i) var += (c.x[bg * N + i] - mu) * (c.x[bg * N + i] - mu);
    var /= static_cast<double>(N);
    out.push_back({mu, 1.0 / std::sqrt(var + c.s.eps), abs_sum / static_cast<double>(N)});
  }
  return out;
}

void check_forward(const GnCase& c, Activation act) {
  const std::size_t n = c.size(), N = c.block(), BG = c.s.batch * c.s.groups;
  std::vector<float> y(n), dact(n), mean(BG), rstd(BG), ry(n), rdact(n), rmean(BG), rrstd(BG);
  kernels::group_norm_forward(act, y.data(), dact.data(), mean.data(), rstd.data(), c.x.data(),
                              c.gamma.data(), c.beta.data(), c.s);
  kernels::group_norm_forward_ref(act, ry.data(), rdact.data(), rmean.data(), rrstd.data(),
                                  c.x.data(), c.gamma.data(), c.beta.data(), c.s);
  const std::vector<BlockStats> st = exact_stats(c);
  const double Nd = static_cast<double>(N), e_r = ((Nd + 3) / 2 + 2) * u;
  INFO(describe(c.s, act));
  std::size_t bad = 0;
  std::string first;
  auto expect = [&](const char* what, std::size_t i, double got, double want, double tol) {
    if (!(std::abs(got - want) <= tol) && bad++ == 0) {
      first = std::string(what) + "[" + std::to_string(i) + "] = " + std::to_string(got) +
              ", twin " + std::to_string(want) + ", tolerance " + std::to_string(tol);
    }
  };
  for (std::size_t bg = 0; bg < BG; ++bg) {
    const double e_mu = (Nd + 2) * u * st[bg].mean_abs;
    expect("mean", bg, mean[bg], rmean[bg], e_mu + u * std::abs(st[bg].mu));
    expect("rstd", bg, rstd[bg], rrstd[bg], (e_r + u) * st[bg].rstd);
    for (std::size_t k = 0; k < N; ++k) {
      const std::size_t i = bg * N + k, ch = c.channel(i);
      const double xhat = (c.x[i] - st[bg].mu) * st[bg].rstd, g = c.gamma[ch], b = c.beta[ch];
      const double pre = g * xhat + b;
      const double dxhat = std::abs(xhat) * (e_r + 2 * u) + e_mu * st[bg].rstd;
      const double dpre = std::abs(g) * dxhat + 2 * u * (std::abs(g * xhat) + std::abs(b));
      if (act == Activation::identity) {
        expect("y", i, y[i], ry[i], dpre + u * std::abs(pre));
        continue;
      }
      const double s = 1 / (1 + std::exp(-pre));
      expect("y", i, y[i], ry[i],
             1.1 * dpre + 17 * u * std::abs(pre * s) + 1.25e-38 * (1 + std::abs(pre)));
      expect(
          "dact", i, dact[i], rdact[i],
          0.5 * dpre + 17 * u * s * (1 + std::abs(pre) * (1 - s)) + 1.25e-38 * (1 + std::abs(pre)));
    }
  }
  INFO(first);
  CHECK(bad == 0);
}

// Backward error bound, per element, both kernels given the same cached mean, rstd and dact (so
// only the backward's own arithmetic differs). With dp = dy act'(pre) (kernel: one rounding) and
// xhat recomputed (two roundings), per channel c of a block:
//  * S1 = sum_hw dp, S2 = sum_hw dp xhat: float32 chains of HW terms: (HW + 5) u sum|dp| and
//    (HW + 6) u sum|dp xhat|; dbeta and dgamma add B of them to the prior value:
//    (HW + B + 8) u (sum_{b,hw} |.| + |prior|);
//  * m1 = sum_c gamma S1 / N, m2 = sum_c gamma S2 / N: e1 = (HW + Cg + 8) u sum|gamma dp| / N,
//    e2 likewise with |gamma dp xhat|;
//  * dx = rstd fnma(xhat, m2, gamma dp - m1): |ddx| <= rstd (e1 + |xhat| e2 +
//    8 u (|gamma dp| + |m1| + |xhat m2|)).
void check_backward(const GnCase& c, Activation act) {
  const std::size_t n = c.size(), N = c.block(), BG = c.s.batch * c.s.groups, HW = c.s.pixels;
  std::vector<float> y(n), dact(n), mean(BG), rstd(BG);
  kernels::group_norm_forward(act, y.data(), dact.data(), mean.data(), rstd.data(), c.x.data(),
                              c.gamma.data(), c.beta.data(), c.s);
  std::vector<float> dx(n), dg = c.dg0, db = c.db0, rdx(n), rdg = c.dg0, rdb = c.db0;
  kernels::group_norm_backward(act, dx.data(), dg.data(), db.data(), dact.data(), mean.data(),
                               rstd.data(), c.dy.data(), c.x.data(), c.gamma.data(), c.s);
  kernels::group_norm_backward_ref(act, rdx.data(), rdg.data(), rdb.data(), dact.data(),
                                   mean.data(), rstd.data(), c.dy.data(), c.x.data(),
                                   c.gamma.data(), c.s);
  INFO(describe(c.s, act));
  const double Nd = static_cast<double>(N), Cg = static_cast<double>(c.cg());
  std::vector<double> abs_dp(c.s.channels, 0.0), abs_dpx(c.s.channels, 0.0);
  std::size_t bad = 0;
  std::string first;
  auto expect = [&](const char* what, std::size_t i, double got, double want, double tol) {
    if (!(std::abs(got - want) <= tol) && bad++ == 0) {
      first = std::string(what) + "[" + std::to_string(i) + "] = " + std::to_string(got) +
              ", twin " + std::to_string(want) + ", tolerance " + std::to_string(tol);
    }
  };
  for (std::size_t bg = 0; bg < BG; ++bg) {
    const double mu = mean[bg], r = rstd[bg];
    double m1 = 0, m2 = 0, a1 = 0, a2 = 0;
    std::vector<double> dp(N), xhat(N);
    for (std::size_t k = 0; k < N; ++k) {
      const std::size_t i = bg * N + k, ch = c.channel(i);
      dp[k] = act == Activation::identity ? c.dy[i] : static_cast<double>(c.dy[i]) * dact[i];
      xhat[k] = (c.x[i] - mu) * r;
      m1 += c.gamma[ch] * dp[k] / Nd;
      m2 += c.gamma[ch] * dp[k] * xhat[k] / Nd;
      a1 += std::abs(c.gamma[ch] * dp[k]) / Nd;
      a2 += std::abs(c.gamma[ch] * dp[k] * xhat[k]) / Nd;
      abs_dp[ch] += std::abs(dp[k]);
      abs_dpx[ch] += std::abs(dp[k] * xhat[k]);
    }
    const double e1 = (HW + Cg + 8) * u * a1, e2 = (HW + Cg + 8) * u * a2;
    for (std::size_t k = 0; k < N; ++k) {
      const std::size_t i = bg * N + k, ch = c.channel(i);
      const double gdp = std::abs(c.gamma[ch] * dp[k]);
      const double tol =
          r * (e1 + std::abs(xhat[k]) * e2 + 8 * u * (gdp + std::abs(m1) + std::abs(xhat[k] * m2)));
      expect("dx", i, dx[i], rdx[i], tol);
    }
  }
  const double factor = (static_cast<double>(HW + c.s.batch) + 8) * u;
  for (std::size_t ch = 0; ch < c.s.channels; ++ch) {
    expect("dbeta", ch, db[ch], rdb[ch], factor * (abs_dp[ch] + std::abs(c.db0[ch])));
    expect("dgamma", ch, dg[ch], rdg[ch], factor * (abs_dpx[ch] + std::abs(c.dg0[ch])));
  }
  INFO(first);
  CHECK(bad == 0);
}

std::vector<GroupNormShape> random_shapes(std::size_t count, std::uint64_t seed) {
  Rng rng(seed);
  const std::size_t groups[] = {1, 2, 4, 8, 32}, pixels[] = {1, 4, 9, 15, 49, 64, 196};
  std::vector<GroupNormShape> out;
  std::vector<std::int32_t> r(4);
  for (std::size_t k = 0; k < count; ++k) {
    rng.fill_below(r.data(), r.size(), 1000);
    GroupNormShape s;
    s.batch = 1 + r[0] % 5;
    s.groups = groups[r[1] % 5];
    s.channels = s.groups * (1 + r[2] % 5);
    s.pixels = pixels[r[3] % 7];
    s.eps = k % 2 == 0 ? 1e-5f : 1e-6f;
    out.push_back(s);
  }
  return out;
}

}  // namespace

TEST_CASE("group_norm forward and backward equal their double twins within the derived bounds") {
  std::uint64_t seed = 1;
  for (const GroupNormShape& s : random_shapes(40, 3)) {
    const GnCase c(s, ++seed);
    for (const Activation act : {Activation::identity, Activation::silu}) {
      check_forward(c, act);
      check_backward(c, act);
    }
  }
  GroupNormShape unet;  // the Fashion U-Net's widest: 32 groups of 2 channels at 28x28
  unet.batch = 2;
  unet.channels = 64;
  unet.groups = 32;
  unet.pixels = 784;
  const GnCase c(unet, 99);
  check_forward(c, Activation::silu);
  check_backward(c, Activation::silu);
}

TEST_CASE(
    "group_norm fused with an activation equals GroupNorm then the activation kernels, bit for "
    "bit") {
  std::uint64_t seed = 200;
  for (const GroupNormShape& s : random_shapes(12, 5)) {
    const GnCase c(s, ++seed);
    const std::size_t n = c.size(), BG = s.batch * s.groups;
    for (const Activation act : {Activation::silu, Activation::relu, Activation::gelu}) {
      INFO(describe(s, act));
      std::vector<float> y(n), dact(n), mean(BG), rstd(BG);
      kernels::group_norm_forward(act, y.data(), dact.data(), mean.data(), rstd.data(), c.x.data(),
                                  c.gamma.data(), c.beta.data(), s);
      std::vector<float> pre(n), y2(n), d2(n), mean2(BG), rstd2(BG);
      kernels::group_norm_forward(Activation::identity, pre.data(), nullptr, mean2.data(),
                                  rstd2.data(), c.x.data(), c.gamma.data(), c.beta.data(), s);
      kernels::activation_forward(act, y2.data(), pre.data(), n);
      kernels::activation_derivative(act, d2.data(), pre.data(), n);
      CHECK(same_bits(y, y2));
      CHECK(same_bits(dact, d2));
      CHECK(same_bits(mean, mean2));
      CHECK(same_bits(rstd, rstd2));
      // inference: no dact kept, the same y
      std::vector<float> y3(n);
      kernels::group_norm_forward(act, y3.data(), nullptr, mean2.data(), rstd2.data(), c.x.data(),
                                  c.gamma.data(), c.beta.data(), s);
      CHECK(same_bits(y, y3));

      std::vector<float> dx(n), dg = c.dg0, db = c.db0;
      kernels::group_norm_backward(act, dx.data(), dg.data(), db.data(), dact.data(), mean.data(),
                                   rstd.data(), c.dy.data(), c.x.data(), c.gamma.data(), s);
      std::vector<float> dpre(n), dx2(n), dg2 = c.dg0, db2 = c.db0;
      kernels::activation_backward(act, dpre.data(), c.dy.data(), pre.data(), n);
      kernels::group_norm_backward(Activation::identity, dx2.data(), dg2.data(), db2.data(),
                                   nullptr, mean.data(), rstd.data(), dpre.data(), c.x.data(),
                                   c.gamma.data(), s);
      CHECK(same_bits(dx, dx2));
      CHECK(same_bits(dg, dg2));
      CHECK(same_bits(db, db2));
      // dx may overwrite dy
      std::vector<float> inplace = c.dy, dg3 = c.dg0, db3 = c.db0;
      kernels::group_norm_backward(act, inplace.data(), dg3.data(), db3.data(), dact.data(),
                                   mean.data(), rstd.data(), inplace.data(), c.x.data(),
                                   c.gamma.data(), s);
      CHECK(same_bits(dx, inplace));
    }
  }
}

TEST_CASE("group_norm of a constant group is beta, with finite gradients") {
  GroupNormShape s;
  s.channels = 4;
  s.groups = 2;
  s.pixels = 9;
  std::vector<float> x(36, 2.5f), gamma = {1, 2, 3, 4}, beta = {0.5f, -1, 2, 0}, y(36), mean(2),
                                  rstd(2);
  kernels::group_norm_forward(Activation::identity, y.data(), nullptr, mean.data(), rstd.data(),
                              x.data(), gamma.data(), beta.data(), s);
  for (std::size_t i = 0; i < 36; ++i) CHECK(y[i] == beta[i / 9]);
  CHECK(rstd[0] == Approx(1.0 / std::sqrt(1e-5)).epsilon(1e-6));
  std::vector<float> dy(36, 1.0f), dx(36), dg(4, 0.0f), db(4, 0.0f);
  kernels::group_norm_backward(Activation::identity, dx.data(), dg.data(), db.data(), nullptr,
                               mean.data(), rstd.data(), dy.data(), x.data(), gamma.data(), s);
  for (float v : dx) CHECK(std::isfinite(v));
  for (std::size_t ch = 0; ch < 4; ++ch) CHECK(db[ch] == 9.0f);
}

TEST_CASE("group_norm results do not depend on how an executor splits the work") {
  const test::ReverseExecutor split;
  GroupNormShape s;
  s.batch = 6;
  s.channels = 64;
  s.groups = 32;
  s.pixels = 196;
  const GnCase c(s, 7);
  const std::size_t n = c.size(), BG = s.batch * s.groups;
  std::vector<float> y1(n), d1(n), m1(BG), r1(BG), y2(n), d2(n), m2(BG), r2(BG);
  kernels::group_norm_forward(Activation::silu, y1.data(), d1.data(), m1.data(), r1.data(),
                              c.x.data(), c.gamma.data(), c.beta.data(), s);
  kernels::group_norm_forward(Activation::silu, y2.data(), d2.data(), m2.data(), r2.data(),
                              c.x.data(), c.gamma.data(), c.beta.data(), s, split);
  CHECK(same_bits(y1, y2));
  CHECK(same_bits(d1, d2));
  CHECK(same_bits(m1, m2));
  CHECK(same_bits(r1, r2));
  std::vector<float> dx1(n), dx2(n), dg1 = c.dg0, dg2 = c.dg0, db1 = c.db0, db2 = c.db0;
  kernels::group_norm_backward(Activation::silu, dx1.data(), dg1.data(), db1.data(), d1.data(),
                               m1.data(), r1.data(), c.dy.data(), c.x.data(), c.gamma.data(), s);
  kernels::group_norm_backward(Activation::silu, dx2.data(), dg2.data(), db2.data(), d1.data(),
                               m1.data(), r1.data(), c.dy.data(), c.x.data(), c.gamma.data(), s,
                               split);
  CHECK(same_bits(dx1, dx2));
  CHECK(same_bits(dg1, dg2));
  CHECK(same_bits(db1, db2));
}
