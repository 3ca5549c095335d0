// The linear layer: forward against a naive float64 loop; backward against central differences of
// it, without and with every activation; the accumulation rules (dW, db +=; dX overwritten; dX
// skipped when null); the block-of-columns forward against the whole layer.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/activation.hpp"
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
  linear_forward(y.data(), nullptr, c.x.data(), c.w.data(), c.b.data(), c.B, c.in, c.out,
                 Activation::identity, serial_executor());
  // Each output sums in + 1 terms of magnitude ~|x||w| <= ~4: k = in + 2 roundings of scale 8 in.
  expect_close(y, ref_linear(as_double(c.x), as_double(c.w), as_double(c.b), c.B, c.in, c.out),
               8.0 * static_cast<double>(c.in), static_cast<double>(c.in + 2));
}

TEST_CASE("linear_backward matches central differences for x, W and b") {
  const LinearCase c(12);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> dx(c.B * c.in, nan), dw(c.out * c.in, 0.0f), db(c.out, 0.0f);
  linear_backward(dx.data(), dw.data(), db.data(), nullptr, nullptr, c.dy.data(), c.x.data(), c.w.data(), c.B, c.in,
                  c.out, Activation::identity, serial_executor());
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
  linear_backward(dx1.data(), dw1.data(), db1.data(), nullptr, nullptr, c.dy.data(), c.x.data(), c.w.data(), c.B, c.in,
                  c.out, Activation::identity, serial_executor());
  std::vector<float> dx2(c.B * c.in, 1e30f), dw2 = dw1, db2 = db1;
  linear_backward(dx2.data(), dw2.data(), db2.data(), nullptr, nullptr, c.dy.data(), c.x.data(), c.w.data(), c.B, c.in,
                  c.out, Activation::identity, serial_executor());
  for (std::size_t i = 0; i < dw1.size(); ++i) CHECK(dw2[i] == Approx(2 * dw1[i]).epsilon(1e-6));
  for (std::size_t i = 0; i < db1.size(); ++i) CHECK(db2[i] == Approx(2 * db1[i]).epsilon(1e-6));
  for (std::size_t i = 0; i < dx1.size(); ++i) CHECK(dx2[i] == dx1[i]);

  std::vector<float> dw3(c.out * c.in, 0.0f), db3(c.out, 0.0f);
  linear_backward(nullptr, dw3.data(), db3.data(), nullptr, nullptr, c.dy.data(), c.x.data(), c.w.data(), c.B, c.in,
                  c.out, Activation::identity, serial_executor());
  CHECK(dw3 == dw1);
  CHECK(db3 == db1);
}

namespace {

const Activation all_activations[] = {Activation::silu, Activation::relu, Activation::gelu};

// ReLU has a kink at 0: a difference across it is meaningless, so the cases keep every
// pre-activation further from 0 than a step of h = 1e-6 can move it (|dpre| <= h (|x| + 1) < 1e-5).
void require_off_kinks(Activation act, const Vec& pre) {
  if (act != Activation::relu) return;
  double closest = INFINITY;
  for (double v : pre) closest = std::min(closest, std::abs(v));
  REQUIRE(closest > 1e-4);
}

}  // namespace

TEST_CASE("activation_backward is the derivative of activation_forward") {
  Rng rng(30);
  const std::vector<float> x = random_floats(rng, 64, 2.0f), dy = random_floats(rng, 64);
  for (Activation act : all_activations) {
    INFO(kernels::activations.name(act));
    require_off_kinks(act, as_double(x));
    std::vector<float> y(x.size()), dx(x.size());
    kernels::activation_forward(act, y.data(), x.data(), x.size());
    kernels::activation_backward(act, dx.data(), dy.data(), x.data(), x.size());
    expect_close(y, ref_activation(act, as_double(x)), 1.0, 4.0);
    expect_gradient(
        "activation " + kernels::activations.name(act),
        [&](const Vec& v) { return weighted_sum(ref_activation(act, v), dy); }, as_double(x),
        dx.data());
  }
}

TEST_CASE("linear layer with an activation: backward matches central differences for x, W and b") {
  const std::size_t B = 6, in = 5, out = 7;
  for (Activation act : all_activations) {
    INFO(kernels::activations.name(act));
    Rng rng(31);
    const auto x = random_floats(rng, B * in), w = random_floats(rng, out * in, 0.6f),
               b = random_floats(rng, out, 0.3f), dy = random_floats(rng, B * out);
    const Vec xd = as_double(x), wd = as_double(w), bd = as_double(b);
    require_off_kinks(act, ref_linear(xd, wd, bd, B, in, out));
    auto loss = [&](const Vec& xv, const Vec& wv, const Vec& bv) {
      return weighted_sum(ref_activation(act, ref_linear(xv, wv, bv, B, in, out)), dy);
    };
    std::vector<float> y(B * out), dact(B * out), dx(B * in), dw(out * in, 0.0f), db(out, 0.0f),
        d_pre(B * out);
    linear_forward(y.data(), dact.data(), x.data(), w.data(), b.data(), B, in, out, act,
                        serial_executor());
    expect_close(y, ref_activation(act, ref_linear(xd, wd, bd, B, in, out)), 8.0 * in, in + 6.0);
    linear_backward(dx.data(), dw.data(), db.data(), d_pre.data(), dact.data(), dy.data(),
                         x.data(), w.data(), B, in, out, act, serial_executor());
    expect_gradient(
        "act(linear) dx", [&](const Vec& v) { return loss(v, wd, bd); }, xd, dx.data());
    expect_gradient(
        "act(linear) dW", [&](const Vec& v) { return loss(xd, v, bd); }, wd, dw.data());
    expect_gradient(
        "act(linear) db", [&](const Vec& v) { return loss(xd, wd, v); }, bd, db.data());
    // d_pre is dL/dpre, which is also db per row: its column sums are db.
    for (std::size_t o = 0; o < out; ++o) {
      double s = 0;
      for (std::size_t r = 0; r < B; ++r) s += d_pre[r * out + o];
      CHECK(db[o] == Approx(s).epsilon(1e-6));
    }
  }
}

TEST_CASE("linear_forward_columns is the block of columns' share of the pre-activation") {
  // A layer over [a, e] (B, 3 + 4): e's share with the bias, plus a's, is the whole pre-activation;
  // computed alone it must be what gemm + add_bias_rows give, i.e. the whole layer with a = 0.
  const std::size_t B = 4, na = 3, ne = 4, in = na + ne, out = 5;
  Rng rng(33);
  const auto e = random_floats(rng, B * ne), w = random_floats(rng, out * in, 0.5f),
             b = random_floats(rng, out, 0.5f);
  std::vector<float> share(B * out);
  linear_forward_columns(share.data(), e.data(), w.data() + na, in, b.data(), B, ne, out,
                         serial_executor());
  // float64 reference of e's share: sum over e's columns of w, plus b
  Vec ref(B * out);
  for (std::size_t r = 0; r < B; ++r)
    for (std::size_t o = 0; o < out; ++o) {
      double acc = b[o];
      for (std::size_t k = 0; k < ne; ++k) acc += double(e[r * ne + k]) * w[o * in + na + k];
      ref[r * out + o] = acc;
    }
  // ne + 2 roundings of values of magnitude <= ~8 ne.
  expect_close(share, ref, 8.0 * ne, ne + 2.0);
  std::vector<float> no_bias(B * out);
  linear_forward_columns(no_bias.data(), e.data(), w.data() + na, in, nullptr, B, ne, out,
                         serial_executor());
  for (std::size_t i = 0; i < share.size(); ++i) {
    CHECK(share[i] == no_bias[i] + b[i % out]);  // the bias is one float addition
  }
}
