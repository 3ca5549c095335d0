// Linear: forward against a naive float64 loop; backward against central differences of it; the
// accumulation rules (dW, db +=; dX overwritten; dX skipped when null).
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "layer_check.hpp"
#include "nn/linear.hpp"

using namespace diffuse;
using namespace diffuse::test;

namespace {

struct LinearCase {
  std::size_t B = 5, in = 7, out = 6;
  std::vector<float> x, w, b, dy;  // (B, in), (out, in), (out,), (B, out)
  explicit LinearCase(std::uint64_t seed) {
    Rng rng(seed);
    x = random_floats(rng, B * in);
    w = random_floats(rng, out * in, 0.5f);
    b = random_floats(rng, out, 0.5f);
    dy = random_floats(rng, B * out);
  }
  double loss(const Vec& xd, const Vec& wd, const Vec& bd) const {
    return weighted_sum(ref_linear(xd, wd, bd, B, in, out), dy);
  }
};

}  // namespace

TEST_CASE("linear_forward equals x W^T + b") {
  const LinearCase c(11);
  std::vector<float> y(c.B * c.out);
  linear_forward(y.data(), c.x.data(), c.w.data(), c.b.data(), c.B, c.in, c.out, serial_executor());
  // Each output sums in + 1 terms of magnitude ~|x||w| <= ~4: k = in + 2 roundings of scale 8 in.
  expect_close(y, ref_linear(as_double(c.x), as_double(c.w), as_double(c.b), c.B, c.in, c.out),
               8.0 * static_cast<double>(c.in), static_cast<double>(c.in + 2));
}

TEST_CASE("linear_backward matches central differences for x, W and b") {
  const LinearCase c(12);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> dx(c.B * c.in, nan), dw(c.out * c.in, 0.0f), db(c.out, 0.0f);
  linear_backward(dx.data(), dw.data(), db.data(), c.dy.data(), c.x.data(), c.w.data(), c.B, c.in,
                  c.out, serial_executor());
  const Vec x = as_double(c.x), w = as_double(c.w), b = as_double(c.b);
  expect_gradient(
      "linear dx", [&](const Vec& v) { return c.loss(v, w, b); }, x, dx.data());
  expect_gradient(
      "linear dW", [&](const Vec& v) { return c.loss(x, v, b); }, w, dw.data());
  expect_gradient(
      "linear db", [&](const Vec& v) { return c.loss(x, w, v); }, b, db.data());
}

TEST_CASE("linear_backward accumulates dW and db, overwrites dx, and skips a null dx") {
  const LinearCase c(13);
  std::vector<float> dx1(c.B * c.in), dw1(c.out * c.in, 0.0f), db1(c.out, 0.0f);
  linear_backward(dx1.data(), dw1.data(), db1.data(), c.dy.data(), c.x.data(), c.w.data(), c.B,
                  c.in, c.out, serial_executor());
  std::vector<float> dx2(c.B * c.in, 1e30f), dw2 = dw1, db2 = db1;
  linear_backward(dx2.data(), dw2.data(), db2.data(), c.dy.data(), c.x.data(), c.w.data(), c.B,
                  c.in, c.out, serial_executor());
  for (std::size_t i = 0; i < dw1.size(); ++i) CHECK(dw2[i] == Approx(2 * dw1[i]).epsilon(1e-6));
  for (std::size_t i = 0; i < db1.size(); ++i) CHECK(db2[i] == Approx(2 * db1[i]).epsilon(1e-6));
  for (std::size_t i = 0; i < dx1.size(); ++i) CHECK(dx2[i] == dx1[i]);

  std::vector<float> dw3(c.out * c.in, 0.0f), db3(c.out, 0.0f);
  linear_backward(nullptr, dw3.data(), db3.data(), c.dy.data(), c.x.data(), c.w.data(), c.B, c.in,
                  c.out, serial_executor());
  CHECK(dw3 == dw1);
  CHECK(db3 == db1);
}
