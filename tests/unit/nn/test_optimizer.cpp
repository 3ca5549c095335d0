// Adam and AdamW against hand-computed and float64 updates, bias correction, decoupled decay,
// gradient clipping with torch's clip_grad_norm_ factor, and a resumed state continuing bit for bit.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "base/error.hpp"
#include "base/rng.hpp"
#include "nn/optimizer.hpp"

using namespace diffuse;
using Catch::Contains;

namespace {
const double u32 = std::ldexp(1.0, -24);
}

TEST_CASE("the first Adam step is the hand-computed update") {
  // k = 1: m = (1 - b1) g, v = (1 - b2) g^2, m_hat = g, v_hat = g^2, so
  // p -= lr g / (|g| + eps): a step of lr against the sign of g (0 where g = 0).
  OptimizerConfig config;
  Adam adam(config, 4);
  std::vector<float> p = {0.5f, -1.0f, 2.0f, 0.25f}, g = {0.2f, -3.0f, 0.0f, 1e-3f};
  adam.step(p.data(), g.data(), 0.1f);
  const double lr = 0.1f, eps = 1e-8f;
  const double want[] = {0.5 - lr * 0.2f / (0.2f + eps), -1.0 + lr * 3.0 / (3.0 + eps), 2.0,
                         0.25 - lr * 1e-3f / (1e-3f + eps)};
  for (int i = 0; i < 4; ++i) CHECK(p[i] == Approx(want[i]).margin(8 * u32));
  CHECK(adam.state().step == 1);
  // (1 - beta) is formed in float: 1 - 0.999f = 0.000999987.
  CHECK(adam.state().m[0] == Approx((1 - double(0.9f)) * double(0.2f)).epsilon(2 * u32));
  CHECK(adam.state().v[1] == Approx((1 - double(0.999f)) * 9.0).epsilon(2 * u32));
}

TEST_CASE("bias correction keeps steps of size lr under a constant gradient") {
  // With g constant, m_hat = g and v_hat = g^2 at every k only if both moments are divided by
  // 1 - beta^k; without correction the first steps would be ~0.1 / 0.0316 = 3.2 lr.
  OptimizerConfig config;
  Adam adam(config, 1);
  float p = 0.0f;
  const float g = 0.5f, lr = 1e-2f;
  for (int k = 1; k <= 50; ++k) {
    const float before = p;
    adam.step(&p, &g, lr);
    INFO("k = " << k);
    CHECK(before - p == Approx(lr).epsilon(1e-4));
  }
}

TEST_CASE("Adam follows a float64 Adam over twenty steps of changing gradients") {
  OptimizerConfig config;
  config.beta1 = 0.8f;
  config.beta2 = 0.99f;
  const std::size_t n = 37;
  Adam adam(config, n);
  Rng rng(3);
  std::vector<float> p(n), g(n);
  rng.fill_normal(p.data(), n);
  std::vector<double> pd(p.begin(), p.end()), m(n, 0.0), v(n, 0.0);
  for (int k = 1; k <= 20; ++k) {
    rng.fill_normal(g.data(), n);
    const float lr = 0.01f * static_cast<float>(k);
    adam.step(p.data(), g.data(), lr);
    for (std::size_t i = 0; i < n; ++i) {
      m[i] = 0.8 * m[i] + 0.2 * g[i];
      v[i] = 0.99 * v[i] + 0.01 * g[i] * g[i];
      const double mh = m[i] / (1 - std::pow(0.8, k)), vh = v[i] / (1 - std::pow(0.99, k));
      pd[i] -= static_cast<double>(lr) * mh / (std::sqrt(vh) + 1e-8);
    }
  }
  // Each step's update (<= lr (1 - b1) / sqrt(1 - b2) ~ 2 lr) carries ~10 u32 relative error, and
  // p itself is rounded each step: 20 steps of lr <= 0.2 stay well inside 1e-5.
  for (std::size_t i = 0; i < n; ++i) CHECK(p[i] == Approx(pd[i]).margin(1e-5));
}

TEST_CASE("AdamW decays each weight by lr * weight_decay, decoupled from the gradient") {
  OptimizerConfig config;
  config.kind = OptimizerKind::adamw;
  config.weight_decay = 0.1f;
  Adam adamw(config, 3);
  std::vector<float> p = {1.0f, -2.0f, 0.5f}, zero(3, 0.0f);
  adamw.step(p.data(), zero.data(), 0.01f);  // g = 0: only the decay acts
  CHECK(p[0] == Approx(1.0 * (1 - 0.01f * 0.1f)).epsilon(2 * u32));
  CHECK(p[1] == Approx(-2.0 * (1 - 0.01f * 0.1f)).epsilon(2 * u32));
  // With a gradient, the decay adds to Adam's lr-sized step rather than entering m and v.
  std::vector<float> q = {1.0f}, g = {4.0f};
  Adam adamw2(config, 1);
  adamw2.step(q.data(), g.data(), 0.01f);
  CHECK(q[0] == Approx(1.0 - 0.01 - 0.01 * 0.1).epsilon(4 * u32));
  CHECK(adamw2.state().m[0] == Approx((1 - double(0.9f)) * 4.0).epsilon(2 * u32));

  config.kind = OptimizerKind::adam;
  CHECK_THROWS_WITH(Adam(config, 1), Contains("weight_decay = 0.1") && Contains("adamw"));
}

TEST_CASE("invalid optimizer settings name the field and the allowed range") {
  auto bad = [](auto change) {
    OptimizerConfig c;
    change(c);
    return c;
  };
  CHECK_THROWS_WITH(optimizer_config_validate(bad([](auto& c) { c.beta1 = 1.0f; })),
                    Contains("beta1 = 1") && Contains("[0, 1)"));
  CHECK_THROWS_WITH(optimizer_config_validate(bad([](auto& c) { c.beta2 = -0.5f; })),
                    Contains("beta2 = -0.5"));
  CHECK_THROWS_WITH(optimizer_config_validate(bad([](auto& c) { c.eps = 0.0f; })),
                    Contains("eps = 0") && Contains("> 0"));
  CHECK_THROWS_WITH(optimizer_config_validate(bad([](auto& c) {
                      c.kind = OptimizerKind::adamw;
                      c.weight_decay = -1.0f;
                    })),
                    Contains("weight_decay = -1"));
  CHECK(optimizer_kinds.value("adamw") == OptimizerKind::adamw);
  CHECK(optimizer_kinds.name(OptimizerKind::adam) == "adam");
  CHECK_THROWS_WITH(optimizer_kinds.value("sgd"), Contains("'sgd'") && Contains("adam, adamw"));
}

TEST_CASE("clip_grad_norm scales a large gradient by max_norm / (norm + 1e-6) and leaves a small one") {
  std::vector<float> g = {3.0f, 0.0f, -4.0f, 0.0f};  // norm 5
  CHECK(clip_grad_norm(g.data(), g.size(), 1.0) == 5.0);
  const double factor = 1.0 / (5.0 + 1e-6);  // torch.nn.utils.clip_grad_norm_'s clip_coef
  double sq = 0;
  for (float x : g) sq += double(x) * x;
  CHECK(std::sqrt(sq) == Approx(5.0 * factor).epsilon(2 * u32));  // two roundings per element
  CHECK(g[0] == Approx(3.0 * factor).epsilon(2 * u32));
  CHECK(g[2] == Approx(-4.0 * factor).epsilon(2 * u32));

  Rng rng(4);
  std::vector<float> big(1000);
  rng.fill_normal(big.data(), big.size());
  const double before = clip_grad_norm(big.data(), big.size(), 2.5);
  CHECK(before == Approx(std::sqrt(1000.0)).epsilon(0.1));
  sq = 0;
  for (float x : big) sq += double(x) * x;
  CHECK(std::sqrt(sq) == Approx(2.5 * before / (before + 1e-6)).epsilon(2 * u32));

  std::vector<float> small = {0.1f, 0.2f}, copy = small;
  CHECK(clip_grad_norm(small.data(), 2, 1.0) == Approx(std::sqrt(0.05)).epsilon(u32));
  CHECK(small == copy);
  std::vector<float> off = {30.0f, 40.0f};
  CHECK(clip_grad_norm(off.data(), 2, 0.0) == 50.0);  // max_norm 0: disabled
  CHECK(off == std::vector<float>{30.0f, 40.0f});
  std::vector<float> bad = {1.0f, std::numeric_limits<float>::quiet_NaN()};
  CHECK(std::isnan(clip_grad_norm(bad.data(), 2, 1.0)));
  CHECK(bad[0] == 1.0f);
}

TEST_CASE("clip_grad_norm's + 1e-6 is torch's: it shows on small norms and at the threshold") {
  // norm 1e-5 clipped to 5e-6: torch scales by 5e-6 / (1e-5 + 1e-6) = 0.4545..., not 0.5.
  std::vector<float> g = {6e-6f, 8e-6f};
  const double norm = std::sqrt(double(g[0]) * g[0] + double(g[1]) * g[1]);
  CHECK(clip_grad_norm(g.data(), 2, 5e-6) == Approx(norm).epsilon(u32));
  const double factor = 5e-6 / (norm + 1e-6);
  CHECK(factor == Approx(5.0 / 11.0).epsilon(1e-6));
  CHECK(g[0] == Approx(6e-6f * factor).epsilon(2 * u32));
  CHECK(g[1] == Approx(8e-6f * factor).epsilon(2 * u32));
  // A norm just below max_norm, within 1e-6 of it, is scaled as well (torch's clip_coef < 1) ...
  std::vector<float> edge = {1.0f};
  clip_grad_norm(edge.data(), 1, 1.0 + 5e-7);
  CHECK(edge[0] == static_cast<float>((1.0 + 5e-7) / (1.0 + 1e-6)));
  CHECK(edge[0] < 1.0f);
  // ... and one further below is not.
  std::vector<float> below = {1.0f};
  clip_grad_norm(below.data(), 1, 1.0 + 2e-6);
  CHECK(below[0] == 1.0f);
}

TEST_CASE("a restored Adam state continues bit for bit") {
  const std::size_t n = 50;
  OptimizerConfig config;
  config.kind = OptimizerKind::adamw;
  config.weight_decay = 0.01f;
  Adam adam(config, n);
  Rng rng(5);
  std::vector<float> p(n), g(n);
  rng.fill_normal(p.data(), n);
  auto run = [&](Adam& opt, std::vector<float>& params, Rng& r, int steps) {
    for (int s = 0; s < steps; ++s) {
      r.fill_normal(g.data(), n);
      opt.step(params.data(), g.data(), 1e-2f);
    }
  };
  run(adam, p, rng, 10);
  const AdamState saved = adam.state();
  const std::vector<float> saved_p = p;
  const RngState saved_rng = rng.state();
  run(adam, p, rng, 10);

  Adam resumed(config, n);
  resumed.set_state(saved);
  std::vector<float> q = saved_p;
  Rng rng2(saved_rng);
  run(resumed, q, rng2, 10);
  CHECK(q == p);
  CHECK(resumed.state().step == 20);
  CHECK(resumed.state().m == adam.state().m);
  CHECK(resumed.state().v == adam.state().v);

  AdamState wrong = saved;
  wrong.m.resize(n - 1);
  CHECK_THROWS_WITH(resumed.set_state(wrong), Contains("49 first") && Contains("50"));
}
