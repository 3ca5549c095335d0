// The residual block h + act(LayerNorm(h) W^T + b), for every activation: backward against central
// differences of the float64 reference, with respect to the input and every parameter.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "kernels/activation.hpp"
#include "layer_check.hpp"
#include "nn/residual_block.hpp"

using namespace diffuse;
using namespace diffuse::test;
using kernels::Activation;

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

namespace {

struct ResidualCase {
  std::size_t B = 5, H = 8;
  std::vector<float> h, ln_w, ln_b, w, b, dy;
  Activation act;
  ResidualCase(Activation a, std::uint64_t seed) : act(a) {
    Rng rng(seed);
    h = random_floats(rng, B * H, 1.0f, 0.3f);
    ln_w = random_floats(rng, H, 0.3f, 1.0f);
    ln_b = random_floats(rng, H, 0.3f);
    w = random_floats(rng, H * H, 0.4f);
    b = random_floats(rng, H, 0.3f);
    dy = random_floats(rng, B * H);
  }
  Vec pre(const Vec& hv, const Vec& lw, const Vec& lb, const Vec& wv, const Vec& bv) const {
    return ref_linear(ref_layernorm(hv, lw, lb, B, H), wv, bv, B, H, H);
  }
  Vec forward(const Vec& hv, const Vec& lw, const Vec& lb, const Vec& wv, const Vec& bv) const {
    Vec y = ref_activation(act, pre(hv, lw, lb, wv, bv));
    for (std::size_t i = 0; i < y.size(); ++i) y[i] += hv[i];
    return y;
  }
};

}  // namespace

TEST_CASE("residual block backward matches central differences for h and every parameter") {
  for (Activation act : all_activations) {
    INFO(kernels::activations.name(act));
    const ResidualCase c(act, 32);
    const Vec h = as_double(c.h), lw = as_double(c.ln_w), lb = as_double(c.ln_b),
              w = as_double(c.w), b = as_double(c.b);
    require_off_kinks(act, c.pre(h, lw, lb, w, b));
    const std::size_t B = c.B, H = c.H;
    std::vector<float> y(B * H), ln_out(B * H), mean(B), rstd(B), dact(B * H);
    const ResidualCache cache{ln_out.data(), mean.data(), rstd.data(), dact.data()};
    const ResidualParams params{c.ln_w.data(), c.ln_b.data(), c.w.data(), c.b.data()};
    residual_block_forward(y.data(), cache, c.h.data(), params, B, H, act, serial_executor());
    expect_close(y, c.forward(h, lw, lb, w, b), 32.0, 32.0);

    std::vector<float> dh(B * H), d_pre(B * H), d_ln(B * H), g_lw(H, 0.0f), g_lb(H, 0.0f),
        g_w(H * H, 0.0f), g_b(H, 0.0f);
    const ResidualGrads grads{g_lw.data(), g_lb.data(), g_w.data(), g_b.data()};
    residual_block_backward(dh.data(), grads, d_pre.data(), d_ln.data(), cache, c.dy.data(),
                            c.h.data(), params, B, H, act, serial_executor());
    auto loss = [&](const Vec& hv, const Vec& lwv, const Vec& lbv, const Vec& wv, const Vec& bv) {
      return weighted_sum(c.forward(hv, lwv, lbv, wv, bv), c.dy);
    };
    expect_gradient(
        "residual dh", [&](const Vec& v) { return loss(v, lw, lb, w, b); }, h, dh.data());
    expect_gradient(
        "residual dln_weight", [&](const Vec& v) { return loss(h, v, lb, w, b); }, lw, g_lw.data());
    expect_gradient(
        "residual dln_bias", [&](const Vec& v) { return loss(h, lw, v, w, b); }, lb, g_lb.data());
    expect_gradient(
        "residual dW", [&](const Vec& v) { return loss(h, lw, lb, v, b); }, w, g_w.data());
    expect_gradient(
        "residual db", [&](const Vec& v) { return loss(h, lw, lb, w, v); }, b, g_b.data());
  }
}
