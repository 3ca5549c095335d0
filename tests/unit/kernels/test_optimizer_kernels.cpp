// The xsimd Adam, EMA, squared norm and scaling against their scalar twins on every tail length
// around the vector width and on the reference model's parameter count.
// The scalar twins are optimizer_kernels_ref.cpp.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "base/rng.hpp"
#include "kernels/arch.hpp"
#include "kernels/optimizer_kernels.hpp"

using namespace diffuse;

namespace {

constexpr double u = 1.0 / (1 << 24);  // float32 unit roundoff

std::vector<std::size_t> lengths() {
  const std::size_t lanes = kernels::simd_float_lanes();
  std::vector<std::size_t> out;
  for (std::size_t n = 0; n <= 4 * lanes + 1; ++n) out.push_back(n);
  out.push_back(1000);
  out.push_back(37634);  // the reference model
  return out;
}

std::vector<float> normal(std::size_t n, std::uint64_t seed, float scale) {
  std::vector<float> v(n);
  Rng(seed).fill_normal(v.data(), n);
  for (float& x : v) x *= scale;
  return v;
}

}  // namespace

TEST_CASE("adam_update equals its scalar twin for every length, with and without weight decay") {
  for (const std::size_t n : lengths()) {
    for (const float wd : {0.0f, 0.01f}) {
      for (const int k : {1, 10, 1000}) {  // bias corrections early and late
        kernels::AdamStep s{1e-3f, 0.9f, 0.999f, 1e-8f, wd, 0.0f, 0.0f};
        s.bias_correction1 = 1.0f - std::pow(s.beta1, static_cast<float>(k));
        s.bias_correction2 = 1.0f - std::pow(s.beta2, static_cast<float>(k));
        std::vector<float> p = normal(n, 1, 1.0f), g = normal(n, 2, 0.1f), m = normal(n, 3, 0.01f);
        std::vector<float> v = normal(n, 4, 0.01f);
        for (float& x : v) x = x * x;  // second moments are >= 0
        if (n > 3) g[1] = m[1] = v[1] = 0.0f;  // a parameter that never had a gradient
        std::vector<float> p_ref = p, m_ref = m, v_ref = v;
        const std::vector<float> p0 = p, m0 = m, v0 = v;
        kernels::adam_update(p.data(), g.data(), m.data(), v.data(), n, s);
        kernels::adam_update_ref(p_ref.data(), g.data(), m_ref.data(), v_ref.data(), n, s);
        for (std::size_t i = 0; i < n; ++i) {
          INFO("n=" << n << " i=" << i << " wd=" << wd << " k=" << k);
          // m, v: b m + (1 - b) g, each side within 2 roundings of the sum of the terms' sizes.
          REQUIRE(std::abs(m[i] - m_ref[i]) <= 4 * u * (0.9 * std::abs(m0[i]) + 0.1 * std::abs(g[i])));
          REQUIRE(std::abs(v[i] - v_ref[i]) <= 6 * u * (0.999 * v0[i] + 0.001 * g[i] * g[i]));
          // p: the step m_hat / (sqrt(v_hat) + eps) is within ~8 roundings (reciprocals of the
          // bias corrections, a refined reciprocal), scaled by lr; p itself rounds once.
          const double step = std::abs((m_ref[i] / s.bias_correction1) /
                                       (std::sqrt(v_ref[i] / s.bias_correction2) + s.eps));
          REQUIRE(std::abs(p[i] - p_ref[i]) <= 2 * u * std::abs(p0[i]) + 16 * u * s.lr * (step + wd * std::abs(p0[i])));
          REQUIRE(std::isfinite(p[i]));
        }
      }
    }
  }
}

TEST_CASE("ema_update equals its scalar twin for every length") {
  for (const std::size_t n : lengths()) {
    std::vector<float> ema = normal(n, 5, 1.0f), ref = ema;
    const std::vector<float> ema0 = ema, p = normal(n, 6, 1.0f);
    kernels::ema_update(ema.data(), p.data(), n, 0.999f);
    kernels::ema_update_ref(ref.data(), p.data(), n, 0.999f);
    for (std::size_t i = 0; i < n; ++i) {
      // decay e + (1 - decay) p, each side within 2 roundings of the sum of the terms' sizes
      REQUIRE(std::abs(ema[i] - ref[i]) <= 4 * u * (0.999 * std::abs(ema0[i]) + 0.001 * std::abs(p[i])));
    }
  }
}

TEST_CASE("squared_norm equals its scalar twin for every length") {
  // Float32 partial sums of at most 16 positive terms per lane and block, then a pairwise
  // horizontal add, each block added in double: within (16 + 8) u of the sum.
  std::vector<std::size_t> ns = lengths();
  ns.push_back(100000);
  for (const std::size_t n : ns) {
    const std::vector<float> x = normal(n, 7, 3.0f);
    const double got = kernels::squared_norm(x.data(), n), want = kernels::squared_norm_ref(x.data(), n);
    INFO("n=" << n);
    REQUIRE(std::abs(got - want) <= 24 * u * want);
  }
}

TEST_CASE("scale_inplace equals its scalar twin exactly for every length") {
  for (const std::size_t n : lengths()) {
    std::vector<float> x = normal(n, 8, 2.0f), ref = x;
    kernels::scale_inplace(x.data(), n, 0.37f);
    kernels::scale_inplace_ref(ref.data(), n, 0.37f);
    REQUIRE(x == ref);
  }
}
