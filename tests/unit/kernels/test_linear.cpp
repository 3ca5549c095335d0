// The fused linear layer against its unfused scalar twin, against its own building blocks bit for
// bit where the arithmetic is the same, and its gradients against central differences of an
// independent double-precision layer.
// The scalar twin is linear_ref.cpp.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "base/rng.hpp"
#include "kernels/activation.hpp"
#include "kernels/arch.hpp"
#include "kernels/gemm.hpp"
#include "kernels/linear.hpp"

using namespace diffuse;
using kernels::Activation;

namespace {

constexpr double u = 1.0 / (1 << 24);
const Activation all_activations[] = {Activation::identity, Activation::relu, Activation::silu,
                                      Activation::gelu};

struct Shape {
  std::size_t B, in, out;
};

// The reference MLP's layers, one-vector and narrower outputs, a tile plus one, K past one block
// of 256 (partial sums wait in memory between blocks), and tiny sizes.
const Shape shapes[] = {{256, 34, 128}, {256, 128, 128}, {256, 128, 2}, {33, 5, 17}, {7, 300, 40},
                        {1, 1, 1},      {9, 3, 16},      {65, 16, 33},  {3, 600, 20}, {12, 0, 20}};

std::vector<float> normal(std::size_t n, std::uint64_t seed, float scale) {
  std::vector<float> v(std::max<std::size_t>(n, 1));
  Rng(seed).fill_normal(v.data(), v.size());
  for (float& x : v) x *= scale;
  return v;
}

bool same_bits(const float* a, const float* b, std::size_t n) {
  return n == 0 || std::memcmp(a, b, n * sizeof(float)) == 0;
}

// The forward's operands at a typical scale (x ~ N(0, 1), weights ~ 1/sqrt(in)).
struct Layer {
  Shape s;
  std::vector<float> x, w, bias;
  Layer(Shape shape, std::uint64_t seed)
      : s(shape),
        x(normal(shape.B * shape.in, seed, 1.0f)),
        w(normal(shape.out * shape.in, seed + 1, 1.0f / std::sqrt(static_cast<float>(shape.in) + 1.0f))),
        bias(normal(shape.out, seed + 2, 0.5f)) {}
};

}  // namespace

TEST_CASE("linear_forward: pre matches the unfused twin, y is exactly activation_forward(pre)") {
  std::uint64_t seed = 10;
  for (const Shape& s : shapes) {
    for (const Activation act : all_activations) {
      for (const bool with_bias : {true, false}) {
        const Layer L(s, seed += 3);
        const float* bias = with_bias ? L.bias.data() : nullptr;
        const std::size_t n = s.B * s.out;
        std::vector<float> y(n), pre(n), y_ref(n), pre_ref(n), y_only(n), y_check(n);
        kernels::linear_forward(act, y.data(), pre.data(), L.x.data(), L.w.data(), bias, s.B, s.in, s.out);
        kernels::linear_forward_ref(act, y_ref.data(), pre_ref.data(), L.x.data(), L.w.data(), bias, s.B, s.in, s.out);
        INFO("B=" << s.B << " in=" << s.in << " out=" << s.out << " " << kernels::activations.name(act)
                  << (with_bias ? " with bias" : " no bias"));
        // pre: a float32 sum of `in` products (gemm's bound, 2K u sum|x w|, plus the blocks of
        // K), then the bias: within (2 in + 8) u (sum |x w| + |bias|) of the twin.
        for (std::size_t b = 0; b < s.B; ++b) {
          for (std::size_t o = 0; o < s.out; ++o) {
            double S = with_bias ? std::abs(L.bias[o]) : 0.0;
            for (std::size_t i = 0; i < s.in; ++i) S += std::abs(L.x[b * s.in + i] * L.w[o * s.in + i]);
            REQUIRE(std::abs(pre[b * s.out + o] - pre_ref[b * s.out + o]) <= (2.0 * s.in + 8) * u * S);
          }
        }
        kernels::activation_forward(act, y_check.data(), pre.data(), n);
        CHECK(same_bits(y.data(), y_check.data(), n));
        // Without pre the kernel stores only y, and the same bits.
        kernels::linear_forward(act, y_only.data(), nullptr, L.x.data(), L.w.data(), bias, s.B, s.in, s.out);
        CHECK(same_bits(y.data(), y_only.data(), n));
      }
    }
  }
}

TEST_CASE("linear_forward gives bit for bit what gemm, add_bias_rows and activation_forward give") {
  // So a layer can switch from the unfused calls to the fused kernel without changing a result.
  std::uint64_t seed = 300;
  for (const Shape& s : shapes) {
    const Layer L(s, seed += 3);
    const std::size_t n = s.B * s.out;
    std::vector<float> y(n), pre(n), y_check(n), pre_check(n);
    kernels::linear_forward(Activation::silu, y.data(), pre.data(), L.x.data(), L.w.data(), L.bias.data(), s.B, s.in,
                            s.out);
    kernels::gemm(kernels::Transpose::no, kernels::Transpose::yes, s.B, s.out, s.in, 1.0f, L.x.data(), s.in,
                  L.w.data(), s.in, 0.0f, pre_check.data(), s.out);
    kernels::add_bias_rows(pre_check.data(), L.bias.data(), s.B, s.out);
    kernels::activation_forward(Activation::silu, y_check.data(), pre_check.data(), n);
    INFO("B=" << s.B << " in=" << s.in << " out=" << s.out);
    CHECK(same_bits(pre.data(), pre_check.data(), n));
    CHECK(same_bits(y.data(), y_check.data(), n));
  }
}

TEST_CASE("linear_forward with identity may write y and pre to the same buffer") {
  const Layer L({37, 20, 40}, 77);
  std::vector<float> both(37 * 40), y(37 * 40), pre(37 * 40);
  kernels::linear_forward(Activation::identity, both.data(), both.data(), L.x.data(), L.w.data(), L.bias.data(), 37, 20, 40);
  kernels::linear_forward(Activation::identity, y.data(), pre.data(), L.x.data(), L.w.data(), L.bias.data(), 37, 20, 40);
  CHECK(both == y);
  CHECK(both == pre);
}

TEST_CASE("linear_backward: dpre and dbias exactly as activation_backward and sum_rows_accumulate, "
          "dweight and dx as gemm") {
  std::uint64_t seed = 500;
  for (const Shape& s : shapes) {
    for (const Activation act : all_activations) {
      const Layer L(s, seed += 5);
      const std::size_t n = s.B * s.out;
      const std::vector<float> pre = normal(n, seed + 3, 2.0f), dy = normal(n, seed + 4, 1.0f);
      const std::vector<float> dw0 = normal(s.out * s.in, seed + 5, 0.1f), db0 = normal(s.out, seed + 6, 0.1f);
      std::vector<float> dx(s.B * s.in), dw = dw0, db = db0, dpre(n);
      kernels::linear_backward(act, dx.data(), dw.data(), db.data(), dpre.data(), dy.data(), pre.data(),
                               L.x.data(), L.w.data(), s.B, s.in, s.out);
      INFO("B=" << s.B << " in=" << s.in << " out=" << s.out << " " << kernels::activations.name(act));
      // The building blocks, run separately on the same inputs.
      std::vector<float> dpre_check(n), db_check = db0, dw_check = dw0, dx_check(s.B * s.in);
      kernels::activation_backward(act, dpre_check.data(), dy.data(), pre.data(), n);
      kernels::sum_rows_accumulate(db_check.data(), dpre_check.data(), s.B, s.out);
      CHECK(same_bits(dpre.data(), dpre_check.data(), n));
      CHECK(same_bits(db.data(), db_check.data(), s.out));
      kernels::gemm(kernels::Transpose::yes, kernels::Transpose::no, s.out, s.in, s.B, 1.0f, dpre.data(),
                    s.out, L.x.data(), s.in, 1.0f, dw_check.data(), s.in);
      kernels::gemm(kernels::Transpose::no, kernels::Transpose::no, s.B, s.in, s.out, 1.0f, dpre.data(),
                    s.out, L.w.data(), s.in, 0.0f, dx_check.data(), s.in);
      CHECK(same_bits(dw.data(), dw_check.data(), s.out * s.in));
      CHECK(same_bits(dx.data(), dx_check.data(), s.B * s.in));
      // And against the unfused scalar twin, to the GEMM bound on the kernel's own dpre (the
      // activation's few roundings are covered by test_activation).
      std::vector<float> dx_ref(s.B * s.in), dw_ref = dw0, db_ref = db0, dpre_ref(n);
      kernels::linear_backward_ref(act, dx_ref.data(), dw_ref.data(), db_ref.data(), dpre_ref.data(),
                                   dy.data(), pre.data(), L.x.data(), L.w.data(), s.B, s.in, s.out);
      std::vector<float> dw_ref_own = dw0;
      kernels::gemm_ref(kernels::Transpose::yes, kernels::Transpose::no, s.out, s.in, s.B, 1.0f, dpre.data(),
                        s.out, L.x.data(), s.in, 1.0f, dw_ref_own.data(), s.in);
      for (std::size_t o = 0; o < s.out; ++o) {
        for (std::size_t i = 0; i < s.in; ++i) {
          double S = std::abs(dw0[o * s.in + i]);
          for (std::size_t b = 0; b < s.B; ++b) S += std::abs(dpre[b * s.out + o] * L.x[b * s.in + i]);
          REQUIRE(std::abs(dw[o * s.in + i] - dw_ref_own[o * s.in + i]) <= (2.0 * s.B + 8) * u * S);
        }
      }
    }
  }
}

TEST_CASE("the training pair (keep the derivative) gives the pre-keeping pair's outputs bit for bit") {
  // linear_forward_keep_derivative: y as linear_forward, dact = activation_derivative(pre);
  // linear_backward_from_derivative(dact): dpre, dbias, dweight, dx as linear_backward(pre). So
  // every test of the pre-keeping pair (twins, central differences) covers this pair too.
  std::uint64_t seed = 700;
  for (const Shape& s : shapes) {
    for (const Activation act : all_activations) {
      for (const bool with_bias : {true, false}) {
        const Layer L(s, seed += 7);
        const float* bias = with_bias ? L.bias.data() : nullptr;
        const std::size_t n = s.B * s.out;
        INFO("B=" << s.B << " in=" << s.in << " out=" << s.out << " " << kernels::activations.name(act)
                  << (with_bias ? " with bias" : " no bias"));
        std::vector<float> y(n), pre(n), y2(n), dact(n), dact_check(n);
        kernels::linear_forward(act, y.data(), pre.data(), L.x.data(), L.w.data(), bias, s.B, s.in, s.out);
        kernels::linear_forward_keep_derivative(act, y2.data(), dact.data(), L.x.data(), L.w.data(), bias, s.B,
                                                s.in, s.out);
        kernels::activation_derivative(act, dact_check.data(), pre.data(), n);
        CHECK(same_bits(y.data(), y2.data(), n));
        CHECK(same_bits(dact.data(), dact_check.data(), n));

        const std::vector<float> dy = normal(n, seed + 4, 1.0f);
        const std::vector<float> dw0 = normal(s.out * s.in, seed + 5, 0.1f), db0 = normal(s.out, seed + 6, 0.1f);
        std::vector<float> dx(s.B * s.in), dw = dw0, db = db0, dpre(n);
        std::vector<float> dx2(s.B * s.in), dw2 = dw0, db2 = db0, dpre2(n);
        kernels::linear_backward(act, dx.data(), dw.data(), db.data(), dpre.data(), dy.data(), pre.data(),
                                 L.x.data(), L.w.data(), s.B, s.in, s.out);
        kernels::linear_backward_from_derivative(act, dx2.data(), dw2.data(), db2.data(), dpre2.data(), dy.data(),
                                                 dact.data(), L.x.data(), L.w.data(), s.B, s.in, s.out);
        CHECK(same_bits(dpre.data(), dpre2.data(), n));
        CHECK(same_bits(db.data(), db2.data(), s.out));
        CHECK(same_bits(dw.data(), dw2.data(), s.out * s.in));
        CHECK(same_bits(dx.data(), dx2.data(), s.B * s.in));
      }
    }
  }
}

TEST_CASE("linear_backward_from_derivative works in place (dpre == dact) and relu passes no NaN where x <= 0") {
  const Shape s{40, 12, 24};
  const Layer L(s, 950);
  const std::size_t n = s.B * s.out;
  for (const Activation act : all_activations) {
    std::vector<float> y(n), dact(n), pre(n), y_pre(n);
    kernels::linear_forward_keep_derivative(act, y.data(), dact.data(), L.x.data(), L.w.data(), L.bias.data(),
                                            s.B, s.in, s.out);
    kernels::linear_forward(act, y_pre.data(), pre.data(), L.x.data(), L.w.data(), L.bias.data(), s.B, s.in,
                            s.out);
    std::vector<float> dy = normal(n, 951, 1.0f);
    for (std::size_t i = 0; i < n; i += 5) dy[i] = std::numeric_limits<float>::quiet_NaN();
    std::vector<float> dw(s.out * s.in, 0.0f), dw_pre(s.out * s.in, 0.0f), dpre(n);
    kernels::linear_backward(act, nullptr, dw_pre.data(), nullptr, dpre.data(), dy.data(), pre.data(),
                             L.x.data(), L.w.data(), s.B, s.in, s.out);
    kernels::linear_backward_from_derivative(act, nullptr, dw.data(), nullptr, dact.data(), dy.data(),
                                             dact.data(), L.x.data(), L.w.data(), s.B, s.in, s.out);
    INFO(kernels::activations.name(act));
    // NaN == NaN fails, so compare bits
    CHECK(same_bits(dact.data(), dpre.data(), n));
    CHECK(same_bits(dw.data(), dw_pre.data(), s.out * s.in));
    if (act == Activation::relu) {
      for (std::size_t i = 0; i < n; ++i) {
        if (pre[i] <= 0) REQUIRE(dpre[i] == 0.0f);
      }
    }
  }
}

TEST_CASE("linear_backward skips dx and dbias when they are null, and works with dpre == dy") {
  const Shape s{40, 12, 24};
  const Layer L(s, 900);
  const std::size_t n = s.B * s.out;
  const std::vector<float> pre = normal(n, 901, 2.0f), dy0 = normal(n, 902, 1.0f);
  std::vector<float> dy = dy0, dw(s.out * s.in, 0.0f), dw_full(s.out * s.in, 0.0f), db(s.out, 0.0f);
  std::vector<float> dx(s.B * s.in), dpre(n);
  kernels::linear_backward(Activation::silu, dx.data(), dw_full.data(), db.data(), dpre.data(), dy0.data(),
                           pre.data(), L.x.data(), L.w.data(), s.B, s.in, s.out);
  kernels::linear_backward(Activation::silu, nullptr, dw.data(), nullptr, dy.data(), dy.data(), pre.data(),
                           L.x.data(), L.w.data(), s.B, s.in, s.out);
  CHECK(dy == dpre);    // in place
  CHECK(dw == dw_full);
}

TEST_CASE("linear gradients match central differences of an independent double-precision layer") {
  // L = sum_{b,o} c(b, o) act(x W^T + b)(b, o), in double; its derivatives in W, bias and x by
  // central differences (step 1e-4: truncation ~1e-8, rounding ~1e-12) against linear_backward
  // with dy = c (float32: ~1e-6 relative to the sum of term sizes).
  const std::size_t B = 6, in = 5, out = 20;
  for (const Activation act : {Activation::relu, Activation::silu, Activation::gelu}) {
    const Layer L({B, in, out}, 1234);
    const std::vector<float> c = normal(B * out, 1300, 1.0f);
    auto act_d = [&](double v) {
      switch (act) {
        case Activation::relu: return v > 0 ? v : 0.0;
        case Activation::silu: return v / (1 + std::exp(-v));
        case Activation::gelu: return v * 0.5 * std::erfc(-v / std::sqrt(2.0));
        default: return v;
      }
    };
    auto loss = [&](const std::vector<double>& x, const std::vector<double>& w, const std::vector<double>& bias) {
      double total = 0;
      for (std::size_t b = 0; b < B; ++b) {
        for (std::size_t o = 0; o < out; ++o) {
          double p = bias[o];
          for (std::size_t i = 0; i < in; ++i) p += x[b * in + i] * w[o * in + i];
          total += c[b * out + o] * act_d(p);
        }
      }
      return total;
    };
    std::vector<double> x(L.x.begin(), L.x.begin() + B * in), w(L.w.begin(), L.w.end()), bias(L.bias.begin(), L.bias.end());
    std::vector<float> y(B * out), pre(B * out), dx(B * in), dw(out * in, 0.0f), db(out, 0.0f), dpre(B * out);
    kernels::linear_forward(act, y.data(), pre.data(), L.x.data(), L.w.data(), L.bias.data(), B, in, out);
    kernels::linear_backward(act, dx.data(), dw.data(), db.data(), dpre.data(), c.data(), pre.data(), L.x.data(),
                             L.w.data(), B, in, out);
    const double h = 1e-4;
    auto check = [&](std::vector<double>& v, const std::vector<float>& grad, const char* name) {
      for (std::size_t k = 0; k < v.size(); ++k) {
        const double keep = v[k];
        v[k] = keep + h;
        const double up = loss(x, w, bias);
        v[k] = keep - h;
        const double down = loss(x, w, bias);
        v[k] = keep;
        const double fd = (up - down) / (2 * h);
        INFO(kernels::activations.name(act) << " d" << name << "[" << k << "] = " << grad[k] << ", finite difference " << fd);
        REQUIRE(std::abs(grad[k] - fd) <= 1e-4 * (1 + std::abs(fd)));
      }
    };
    check(w, dw, "weight");
    check(bias, db, "bias");
    check(x, dx, "x");
  }
}
