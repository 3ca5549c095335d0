// GroupNorm and the fused GroupNorm + SiLU layers: forward against torch.nn.GroupNorm's definition
// in float64, backward against central differences for x, weight and bias, and the fused layer bit
// for bit against GroupNorm followed by the SiLU kernels.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/activation.hpp"
#include "layer_check.hpp"
#include "nn/group_norm.hpp"
#include "reference_image.hpp"

using namespace diffuse;
using namespace diffuse::test;

namespace {

struct NormCase {
  kernels::GroupNormShape s;
  std::vector<float> x, w, b, dy;  // (B, C, HW), (C,), (C,), (B, C, HW)
  NormCase(std::size_t B, std::size_t C, std::size_t G, std::size_t HW, float eps,
           std::uint64_t seed) {
    s.batch = B;
    s.channels = C;
    s.groups = G;
    s.pixels = HW;
    s.eps = eps;
    Rng rng(seed);
    x = random_floats(rng, B * C * HW, 1.5f, 0.7f);
    w = random_floats(rng, C, 0.5f, 1.0f);
    b = random_floats(rng, C, 0.5f);
    dy = random_floats(rng, B * C * HW);
  }
  std::size_t n() const { return x.size(); }
  std::size_t stats() const { return s.batch * s.groups; }
  Vec ref(const Vec& xd, const Vec& wd, const Vec& bd, bool silu) const {
    const Vec y = ref_group_norm(xd, wd, bd, s.batch, s.channels, s.groups, s.pixels, s.eps);
    return silu ? ref_silu(y) : y;
  }
  double loss(const Vec& xd, const Vec& wd, const Vec& bd, bool silu) const {
    return weighted_sum(ref(xd, wd, bd, silu), dy);
  }
};

const NormCase cases[] = {NormCase(2, 6, 3, 5, 1e-5f, 1), NormCase(3, 4, 1, 4, 1e-6f, 2),
                          NormCase(1, 5, 5, 9, 1e-5f, 3), NormCase(2, 8, 2, 1, 1e-5f, 4)};

}  // namespace

TEST_CASE("group_norm forward, alone and fused with SiLU, equals torch's definition") {
  for (const NormCase& c : cases) {
    std::vector<float> y(c.n()), ys(c.n()), dact(c.n()), mean(c.stats()), rstd(c.stats());
    group_norm_forward(y.data(), mean.data(), rstd.data(), c.x.data(), c.w.data(), c.b.data(), c.s,
                       serial_executor());
    group_norm_silu_forward(ys.data(), dact.data(), mean.data(), rstd.data(), c.x.data(),
                            c.w.data(), c.b.data(), c.s, serial_executor());
    // The kernel's bound (tests/unit/kernels/test_group_norm.cpp): with N = C / G HW values per
    // group, |y - pre| <= (N + 12) u (|w| (|xhat| + mean|x| rstd) + |b|), and the reference rounds
    // once more (expect_close's |ref| term); scale is the largest bracket over all elements.
    // SiLU: |silu'| <= 1.1 carries that, plus 17 u relative for the vector SiLU.
    const double N = static_cast<double>(c.s.channels / c.s.groups * c.s.pixels);
    double scale = 0;
    for (std::size_t bg = 0; bg < c.stats(); ++bg) {
      const std::size_t n = static_cast<std::size_t>(N), at = bg * n;
      double mu = 0, var = 0, mean_abs = 0;
      for (std::size_t i = 0; i < n; ++i)
        mu += c.x[at + i] / N, mean_abs += std::abs(c.x[at + i]) / N;
      for (std::size_t i = 0; i < n; ++i) var += (c.x[at + i] - mu) * (c.x[at + i] - mu) / N;
      const double r = 1 / std::sqrt(var + c.s.eps);
      for (std::size_t i = 0; i < n; ++i) {
        const std::size_t ch = (at + i) / c.s.pixels % c.s.channels;
        const double bracket =
            std::abs(c.w[ch]) * (std::abs((c.x[at + i] - mu) * r) + mean_abs * r) +
            std::abs(c.b[ch]);
        scale = std::max(scale, bracket);
      }
    }
    const Vec x = as_double(c.x), w = as_double(c.w), b = as_double(c.b);
    expect_close(y, c.ref(x, w, b, false), scale, N + 12);
    expect_close(ys, c.ref(x, w, b, true), scale, 1.1 * (N + 12) + 17);
  }
}

TEST_CASE("group_norm backward matches central differences, alone and fused with SiLU") {
  for (const NormCase& c : cases) {
    for (const bool silu : {false, true}) {
      std::vector<float> y(c.n()), dact(c.n()), mean(c.stats()), rstd(c.stats());
      std::vector<float> dx(c.n()), dw(c.s.channels, 0.0f), db(c.s.channels, 0.0f);
      if (silu) {
        group_norm_silu_forward(y.data(), dact.data(), mean.data(), rstd.data(), c.x.data(),
                                c.w.data(), c.b.data(), c.s, serial_executor());
        group_norm_silu_backward(dx.data(), dw.data(), db.data(), dact.data(), mean.data(),
                                 rstd.data(), c.dy.data(), c.x.data(), c.w.data(), c.s,
                                 serial_executor());
      } else {
        group_norm_forward(y.data(), mean.data(), rstd.data(), c.x.data(), c.w.data(), c.b.data(),
                           c.s, serial_executor());
        group_norm_backward(dx.data(), dw.data(), db.data(), mean.data(), rstd.data(), c.dy.data(),
                            c.x.data(), c.w.data(), c.s, serial_executor());
      }
      const Vec x = as_double(c.x), w = as_double(c.w), b = as_double(c.b);
      INFO((silu ? "fused SiLU" : "plain")
           << " C=" << c.s.channels << " G=" << c.s.groups << " HW=" << c.s.pixels);
      expect_gradient(
          "group_norm dx", [&](const Vec& v) { return c.loss(v, w, b, silu); }, x, dx.data());
      expect_gradient(
          "group_norm dweight", [&](const Vec& v) { return c.loss(x, v, b, silu); }, w, dw.data());
      expect_gradient(
          "group_norm dbias", [&](const Vec& v) { return c.loss(x, w, v, silu); }, b, db.data());
    }
  }
}

TEST_CASE("group_norm_silu equals group_norm followed by SiLU, bit for bit") {
  const NormCase c(4, 64, 32, 49, 1e-5f, 9);
  std::vector<float> ys(c.n()), dact(c.n()), mean(c.stats()), rstd(c.stats());
  group_norm_silu_forward(ys.data(), dact.data(), mean.data(), rstd.data(), c.x.data(), c.w.data(),
                          c.b.data(), c.s, serial_executor());
  std::vector<float> pre(c.n()), y2(c.n());
  group_norm_forward(pre.data(), mean.data(), rstd.data(), c.x.data(), c.w.data(), c.b.data(), c.s,
                     serial_executor());
  kernels::activation_forward(kernels::Activation::silu, y2.data(), pre.data(), c.n());
  CHECK(std::memcmp(ys.data(), y2.data(), ys.size() * sizeof(float)) == 0);
  std::vector<float> dx(c.n()), dw(c.s.channels, 0.0f), db(c.s.channels, 0.0f);
  group_norm_silu_backward(dx.data(), dw.data(), db.data(), dact.data(), mean.data(), rstd.data(),
                           c.dy.data(), c.x.data(), c.w.data(), c.s, serial_executor());
  std::vector<float> dpre(c.n()), dx2(c.n()), dw2(c.s.channels, 0.0f), db2(c.s.channels, 0.0f);
  kernels::activation_backward(kernels::Activation::silu, dpre.data(), c.dy.data(), pre.data(),
                               c.n());
  group_norm_backward(dx2.data(), dw2.data(), db2.data(), mean.data(), rstd.data(), dpre.data(),
                      c.x.data(), c.w.data(), c.s, serial_executor());
  CHECK(std::memcmp(dx.data(), dx2.data(), dx.size() * sizeof(float)) == 0);
  CHECK(std::memcmp(dw.data(), dw2.data(), dw.size() * sizeof(float)) == 0);
  CHECK(std::memcmp(db.data(), db2.data(), db.size() * sizeof(float)) == 0);
}
