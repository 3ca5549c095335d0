// LayerNorm: forward against torch.nn.LayerNorm's definition in float64; backward against central
// differences for x, weight and bias; a constant row stays finite (eps).
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "layer_check.hpp"
#include "nn/layernorm.hpp"

using namespace diffuse;
using namespace diffuse::test;

namespace {

struct LayerNormCase {
  std::size_t B = 4, N = 9;
  std::vector<float> x, w, b, dy;  // (B, N), (N,), (N,), (B, N)
  explicit LayerNormCase(std::uint64_t seed) {
    Rng rng(seed);
    x = random_floats(rng, B * N, 1.5f, 0.7f);  // rows with a mean away from 0
    w = random_floats(rng, N, 0.5f, 1.0f);
    b = random_floats(rng, N, 0.5f);
    dy = random_floats(rng, B * N);
  }
  double loss(const Vec& xd, const Vec& wd, const Vec& bd) const {
    return weighted_sum(ref_layernorm(xd, wd, bd, B, N), dy);
  }
};

}  // namespace

TEST_CASE("layernorm_forward normalizes each row like torch.nn.LayerNorm") {
  const LayerNormCase c(21);
  std::vector<float> y(c.B * c.N), mean(c.B), rstd(c.B);
  layernorm_forward(y.data(), mean.data(), rstd.data(), c.x.data(), c.w.data(), c.b.data(), c.B,
                    c.N);
  // xhat = (x - mean) rstd has |xhat| <= sqrt(N) = 3; w xhat + b: a few roundings of scale ~6.
  expect_close(y, ref_layernorm(as_double(c.x), as_double(c.w), as_double(c.b), c.B, c.N), 6.0,
               8.0);
  for (std::size_t r = 0; r < c.B; ++r) {
    double m = 0;
    for (std::size_t j = 0; j < c.N; ++j) m += c.x[r * c.N + j] / static_cast<double>(c.N);
    CHECK(mean[r] == Approx(m).epsilon(1e-6));
  }
}

TEST_CASE("layernorm_backward matches central differences for x, weight and bias") {
  const LayerNormCase c(22);
  std::vector<float> y(c.B * c.N), mean(c.B), rstd(c.B);
  layernorm_forward(y.data(), mean.data(), rstd.data(), c.x.data(), c.w.data(), c.b.data(), c.B,
                    c.N);
  std::vector<float> dx(c.B * c.N, std::numeric_limits<float>::quiet_NaN());
  std::vector<float> dw(c.N, 0.0f), db(c.N, 0.0f);
  layernorm_backward(dx.data(), dw.data(), db.data(), mean.data(), rstd.data(), c.dy.data(),
                     c.x.data(), c.w.data(), c.B, c.N);
  const Vec x = as_double(c.x), w = as_double(c.w), b = as_double(c.b);
  expect_gradient(
      "layernorm dx", [&](const Vec& v) { return c.loss(v, w, b); }, x, dx.data());
  expect_gradient(
      "layernorm dweight", [&](const Vec& v) { return c.loss(x, v, b); }, w, dw.data());
  expect_gradient(
      "layernorm dbias", [&](const Vec& v) { return c.loss(x, w, v); }, b, db.data());
}

TEST_CASE("layernorm of a constant row is the bias, with finite gradients") {
  const std::size_t N = 8;
  std::vector<float> x(N, 3.25f), w(N, 2.0f), b(N), y(N), dy(N, 1.0f), dx(N), dw(N, 0.0f),
      db(N, 0.0f);
  for (std::size_t j = 0; j < N; ++j) b[j] = 0.1f * static_cast<float>(j);
  float mean = 0, rstd = 0;
  layernorm_forward(y.data(), &mean, &rstd, x.data(), w.data(), b.data(), 1, N);
  CHECK(rstd == Approx(1.0 / std::sqrt(1e-5)).epsilon(1e-6));
  for (std::size_t j = 0; j < N; ++j) CHECK(y[j] == b[j]);
  layernorm_backward(dx.data(), dw.data(), db.data(), &mean, &rstd, dy.data(), x.data(), w.data(),
                     1, N);
  for (std::size_t j = 0; j < N; ++j) {
    CHECK(std::isfinite(dx[j]));
    CHECK(dx[j] == 0.0f);  // a uniform dy only shifts the row, which normalization removes
  }
}
