// The fused linear kernels (kernels/linear.hpp) three independent ways:
//   * bit for bit against the unfused kernels they fuse (gemm, add_bias_rows, activation_forward,
//     activation_derivative, activation_backward, sum_rows_accumulate, gemm_times_derivative): the
//     contract that lets a layer switch between fused and unfused calls without changing a result;
//   * against their scalar twins (linear_ref.cpp: gemm_ref in double and the element-wise twins)
//     within float32 bounds derived below;
//   * the training pair's gradients against central differences of an independent
//     double-precision layer.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "base/rng.hpp"
#include "kernels/activation.hpp"
#include "kernels/gemm.hpp"
#include "kernels/gemm_times_derivative.hpp"
#include "kernels/linear.hpp"

using namespace diffuse;
using kernels::Activation;
using kernels::BelowLayer;
using kernels::Transpose;

namespace {

constexpr double u = 1.0 / (1 << 24);  // float32 unit roundoff
constexpr std::size_t row_block = 256;  // the backward's block of rows (linear.hpp)
const Activation all_activations[] = {Activation::identity, Activation::relu, Activation::silu,
                                      Activation::gelu};

struct Shape {
  std::size_t B, in, out;
};

// The reference MLP's layers (B = 256, in = D + E = 34, H = 128, out = D = 2), outputs of one vector
// and narrower, a tile plus one, K past one block of 256 (partial sums wait in memory between
// blocks), tiny and empty sizes, and B past one block of 256 rows: the first layer and the output
// layer (which take gemm's column-tail and few-rows paths for dweight), a last block of 8 rows,
// and a last block of 2 rows with out > 256 (dx's few-rows path with K past one block).
const Shape shapes[] = {{256, 34, 128}, {256, 128, 128}, {256, 128, 2},  {33, 5, 17},    {7, 300, 40},
                        {1, 1, 1},      {9, 3, 16},      {65, 16, 33},   {3, 600, 20},   {12, 0, 20},
                        {0, 4, 20},     {300, 34, 128},  {300, 128, 2},  {520, 24, 36},  {258, 64, 300}};

std::vector<float> normal(std::size_t n, std::uint64_t seed, float scale) {
  std::vector<float> v(std::max<std::size_t>(n, 1));
  Rng(seed).fill_normal(v.data(), v.size());
  for (float& x : v) x *= scale;
  return v;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// Equal bits, or both NaN (a NaN's payload is not part of any contract).
bool same_value(float a, float b) {
  return (std::isnan(a) && std::isnan(b)) || std::memcmp(&a, &b, sizeof(float)) == 0;
}

// g * act'(pre) given d = act'(pre), as linear.hpp defines the training backward's multiply, one
// element at a time: relu passes g where d > 0 and 0 elsewhere (also for a non-finite g),
// identity passes g.
float times_kept(Activation act, float g, float d) {
  switch (act) {
    case Activation::identity: return g;
    case Activation::relu: return d > 0.0f ? g : 0.0f;
    default: return g * d;
  }
}

std::string describe(const Shape& s, Activation act) {
  return "B=" + std::to_string(s.B) + " in=" + std::to_string(s.in) + " out=" + std::to_string(s.out) + " " +
         std::string(kernels::activations.name(act));
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

// pre = x W^T + bias with the unfused kernels.
std::vector<float> pre_unfused(const Layer& L, const float* bias) {
  const Shape& s = L.s;
  std::vector<float> pre(std::max<std::size_t>(s.B * s.out, 1));
  kernels::gemm(Transpose::no, Transpose::yes, s.B, s.out, s.in, 1.0f, L.x.data(), s.in, L.w.data(), s.in, 0.0f,
                pre.data(), s.out);
  if (bias != nullptr) kernels::add_bias_rows(pre.data(), bias, s.B, s.out);
  return pre;
}

// The backward's inputs: a kept derivative dact = act'(pre) for pre ~ N(0, 4) (relu's is 0 and 1
// in about equal parts), dy, parameter gradients already holding something (they accumulate), and
// for a chained backward the layer below's act'(pre_below).
struct BackwardCase {
  Layer L;
  Activation act;
  BelowLayer below;
  std::vector<float> pre, dact, dy, dw0, db0, dact_below;
  BackwardCase(Shape s, Activation activation, bool chained, Activation below_act, std::uint64_t seed)
      : L(s, seed),
        act(activation),
        pre(normal(s.B * s.out, seed + 3, 2.0f)),
        dact(pre.size()),
        dy(normal(s.B * s.out, seed + 4, 1.0f)),
        dw0(normal(s.out * s.in, seed + 5, 0.1f)),
        db0(normal(s.out, seed + 6, 0.1f)),
        dact_below(normal(s.B * s.in, seed + 7, 2.0f)) {
    kernels::activation_derivative(act, dact.data(), pre.data(), pre.size());
    kernels::activation_derivative(below_act, dact_below.data(), dact_below.data(), dact_below.size());
    if (chained) below = BelowLayer{below_act, dact_below.data()};
  }
  BackwardCase(const BackwardCase&) = delete;  // below points into this object
  BackwardCase& operator=(const BackwardCase&) = delete;
};

struct Grads {
  std::vector<float> dx, dw, db, dpre;
  explicit Grads(const BackwardCase& c)
      : dx(std::max<std::size_t>(c.L.s.B * c.L.s.in, 1), 0.0f), dw(c.dw0), db(c.db0), dpre(c.dy.size(), 0.0f) {}
};

Grads fused_backward(const BackwardCase& c, const Executor& executor = serial_executor()) {
  const Shape& s = c.L.s;
  Grads g(c);
  kernels::linear_backward_from_derivative(c.act, g.dx.data(), g.dw.data(), g.db.data(), g.dpre.data(), c.dy.data(),
                                           c.dact.data(), c.L.x.data(), c.L.w.data(), s.B, s.in, s.out, executor,
                                           c.below);
  return g;
}

// The training backward as separate kernel calls on blocks of `rows` examples: the multiply as
// the element-wise kernel forms it from the pre that dact came from (activation_backward, which is
// dy times activation_derivative's bits), gemm(yes, no, beta = 1) for dweight, gemm(no, no) or
// gemm_times_derivative for dx; then sum_rows_accumulate of dpre over all rows.
Grads unfused_backward(const BackwardCase& c, std::size_t rows) {
  const Shape& s = c.L.s;
  Grads g(c);
  for (std::size_t b0 = 0; b0 < s.B; b0 += rows) {
    const std::size_t m = std::min(rows, s.B - b0);
    float* dpre = g.dpre.data() + b0 * s.out;
    kernels::activation_backward(c.act, dpre, c.dy.data() + b0 * s.out, c.pre.data() + b0 * s.out, m * s.out);
    kernels::gemm(Transpose::yes, Transpose::no, s.out, s.in, m, 1.0f, dpre, s.out, c.L.x.data() + b0 * s.in, s.in,
                  1.0f, g.dw.data(), s.in);
    if (c.below.dact != nullptr) {
      kernels::gemm_times_derivative(c.below.act, m, s.in, s.out, dpre, s.out, c.L.w.data(), s.in,
                                     c.below.dact + b0 * s.in, g.dx.data() + b0 * s.in, s.in);
    } else {
      kernels::gemm(Transpose::no, Transpose::no, m, s.in, s.out, 1.0f, dpre, s.out, c.L.w.data(), s.in, 0.0f,
                    g.dx.data() + b0 * s.in, s.in);
    }
  }
  kernels::sum_rows_accumulate(g.db.data(), g.dpre.data(), s.B, s.out);
  return g;
}

// Float32 error bounds of the activations' vector bodies, as derived in test_activation.cpp: a
// handful of roundings (16 u) relative to the result (or, for a derivative, to the sum of its
// terms' magnitudes, at most sup|act'| = 1.13), GELU also 2 x^2 u from the conditioning of erfc
// and exp, and an absolute term below x = -87.3 where SiLU's exp stays at 1.2e-38.
double relative_tolerance(Activation act, double x) {
  if (act == Activation::identity || act == Activation::relu) return 0.0;
  return act == Activation::gelu ? (16 + 2 * x * x) * u : 16 * u;
}
double absolute_tolerance(double x) { return (1 + std::abs(x)) * 1.25e-38; }

constexpr double sup_first = 1.13;   // sup |act'|: gelu's at x = 1.41 (silu's is 1.10)
constexpr double sup_second = 0.80;  // sup |act''|: gelu's 2 phi(0) at x = 0 (silu's is 0.5)

}  // namespace

TEST_CASE("linear_forward is bit for bit gemm, add_bias_rows and activation_forward") {
  std::uint64_t seed = 10;
  for (const Shape& s : shapes) {
    for (const Activation act : all_activations) {
      for (const bool with_bias : {true, false}) {
        const Layer L(s, seed += 3);
        const float* bias = with_bias ? L.bias.data() : nullptr;
        const std::size_t n = std::max<std::size_t>(s.B * s.out, 1);
        std::vector<float> y(n, 0.0f), y_check(n, 0.0f);
        kernels::linear_forward(act, y.data(), L.x.data(), L.w.data(), bias, s.B, s.in, s.out);
        const std::vector<float> pre = pre_unfused(L, bias);
        kernels::activation_forward(act, y_check.data(), pre.data(), s.B * s.out);
        INFO(describe(s, act) << (with_bias ? " with bias" : " no bias"));
        CHECK(same_bits(y, y_check));
      }
    }
  }
}

TEST_CASE("linear_forward_keep_derivative: y is linear_forward's, dact is activation_derivative of "
          "gemm + add_bias_rows, bit for bit") {
  std::uint64_t seed = 200;
  for (const Shape& s : shapes) {
    for (const Activation act : all_activations) {
      for (const bool with_bias : {true, false}) {
        const Layer L(s, seed += 3);
        const float* bias = with_bias ? L.bias.data() : nullptr;
        const std::size_t n = std::max<std::size_t>(s.B * s.out, 1);
        std::vector<float> y(n, 0.0f), dact(n, 0.0f), y_inference(n, 0.0f), y_check(n, 0.0f), dact_check(n, 0.0f);
        kernels::linear_forward_keep_derivative(act, y.data(), dact.data(), L.x.data(), L.w.data(), bias, s.B, s.in,
                                                s.out);
        kernels::linear_forward(act, y_inference.data(), L.x.data(), L.w.data(), bias, s.B, s.in, s.out);
        const std::vector<float> pre = pre_unfused(L, bias);
        kernels::activation_forward(act, y_check.data(), pre.data(), s.B * s.out);
        kernels::activation_derivative(act, dact_check.data(), pre.data(), s.B * s.out);
        INFO(describe(s, act) << (with_bias ? " with bias" : " no bias"));
        CHECK(same_bits(y, y_inference));
        CHECK(same_bits(y, y_check));
        CHECK(same_bits(dact, dact_check));
      }
    }
  }
}

TEST_CASE("linear_forward and linear_forward_keep_derivative agree with their scalar twins") {
  // Per element, with p the exact pre-activation and S = sum_i |x w| + |bias|: the kernels' and
  // the twins' float32 pre-activations are within E = (2 in + 8) u S of each other (gemm's bound,
  // 2K u S, plus the blocks of K and the bias). Then
  //   y:    sup|act'| E, plus the activation's rounding relative to y, plus one rounding of each;
  //   dact: sup|act''| E, plus the derivative's rounding (relative to sup|act'|), plus the same;
  // except relu's derivative, which jumps at 0: equal wherever |p| > E, 0 or 1 elsewhere.
  std::uint64_t seed = 400;
  for (const Shape& s : shapes) {
    for (const Activation act : all_activations) {
      for (const bool with_bias : {true, false}) {
        const Layer L(s, seed += 3);
        const float* bias = with_bias ? L.bias.data() : nullptr;
        const std::size_t n = std::max<std::size_t>(s.B * s.out, 1);
        std::vector<float> y(n), y_ref(n), y_train(n), dact(n), y_train_ref(n), dact_ref(n);
        kernels::linear_forward(act, y.data(), L.x.data(), L.w.data(), bias, s.B, s.in, s.out);
        kernels::linear_forward_ref(act, y_ref.data(), L.x.data(), L.w.data(), bias, s.B, s.in, s.out);
        kernels::linear_forward_keep_derivative(act, y_train.data(), dact.data(), L.x.data(), L.w.data(), bias,
                                                s.B, s.in, s.out);
        kernels::linear_forward_keep_derivative_ref(act, y_train_ref.data(), dact_ref.data(), L.x.data(),
                                                    L.w.data(), bias, s.B, s.in, s.out);
        INFO(describe(s, act) << (with_bias ? " with bias" : " no bias"));
        CHECK(same_bits(y_ref, y_train_ref));  // the twins agree with each other exactly
        const bool smooth = act == Activation::silu || act == Activation::gelu;
        const double lipschitz = smooth ? sup_first : 1.0;
        for (std::size_t b = 0; b < s.B; ++b) {
          for (std::size_t o = 0; o < s.out; ++o) {
            double p = with_bias ? L.bias[o] : 0.0, S = with_bias ? std::abs(L.bias[o]) : 0.0;
            for (std::size_t i = 0; i < s.in; ++i) {
              const double t = static_cast<double>(L.x[b * s.in + i]) * L.w[o * s.in + i];
              p += t;
              S += std::abs(t);
            }
            const double E = (2.0 * s.in + 8) * u * S, a = std::abs(p) + E;
            const std::size_t at = b * s.out + o;
            INFO("b=" << b << " o=" << o << " pre=" << p);
            const double tol_y = lipschitz * E + (relative_tolerance(act, a) + 2 * u) * (std::abs(y_ref[at]) + lipschitz * E) +
                                 absolute_tolerance(a);
            REQUIRE(std::abs(static_cast<double>(y[at]) - y_ref[at]) <= tol_y);
            REQUIRE(std::abs(static_cast<double>(y_train[at]) - y_ref[at]) <= tol_y);
            if (act == Activation::identity) {
              REQUIRE((dact[at] == 1.0f && dact_ref[at] == 1.0f));
            } else if (act == Activation::relu) {
              REQUIRE((dact[at] == 0.0f || dact[at] == 1.0f));
              if (std::abs(p) > E) REQUIRE(dact[at] == dact_ref[at]);
            } else {
              const double tol_d = sup_second * E + relative_tolerance(act, a) * sup_first + absolute_tolerance(a) +
                                   2 * u * (std::abs(dact_ref[at]) + sup_second * E);
              REQUIRE(std::abs(static_cast<double>(dact[at]) - dact_ref[at]) <= tol_d);
            }
          }
        }
      }
    }
  }
}

TEST_CASE("linear_backward_from_derivative is bit for bit the multiply, sum_rows_accumulate and gemm "
          "(or gemm_times_derivative) on each block of 256 rows") {
  std::uint64_t seed = 600;
  for (const Shape& s : shapes) {
    for (const Activation act : all_activations) {
      for (const bool chained : {false, true}) {
        // the layer below's activation: each one in turn
        const Activation below_act = all_activations[(seed / 11) % 4];
        const BackwardCase c(s, act, chained, below_act, seed += 11);
        const Grads fused = fused_backward(c), unfused = unfused_backward(c, row_block);
        INFO(describe(s, act) << (chained ? " chained below " + std::string(kernels::activations.name(below_act)) : ""));
        CHECK(same_bits(fused.dpre, unfused.dpre));
        CHECK(same_bits(fused.db, unfused.db));
        CHECK(same_bits(fused.dw, unfused.dw));
        CHECK(same_bits(fused.dx, unfused.dx));
        // dpre by the definition, element by element (a product rounds once, wherever it is formed)
        for (std::size_t i = 0; i < s.B * s.out; ++i) {
          REQUIRE(same_value(fused.dpre[i], times_kept(act, c.dy[i], c.dact[i])));
        }
      }
    }
  }
}

TEST_CASE("on gemm's tiled paths the blocks of 256 rows add up to one unfused call over all rows") {
  // dweight's and dx's products tile on every architecture for these shapes (out and the last
  // block's rows above the few-rows path, in a whole number of panels), and gemm's tiles block K
  // by the same 256, so the fused backward gives what one gemm over all B rows gives. (Where gemm
  // runs one chain over K instead, as for {300, 34, 128}, {300, 128, 2} and {258, 64, 300} above,
  // the last bits differ from one call, and the blocks of 256 are the contract: the case above.)
  const Shape tiled[] = {{520, 128, 128}, {300, 64, 48}, {256, 64, 48}};
  std::uint64_t seed = 800;
  for (const Shape& s : tiled) {
    for (const Activation act : all_activations) {
      for (const bool chained : {false, true}) {
        const BackwardCase c(s, act, chained, Activation::silu, seed += 11);
        const Grads fused = fused_backward(c), whole = unfused_backward(c, s.B);
        INFO(describe(s, act) << (chained ? " chained" : ""));
        CHECK(same_bits(fused.dpre, whole.dpre));
        CHECK(same_bits(fused.db, whole.db));
        CHECK(same_bits(fused.dw, whole.dw));
        CHECK(same_bits(fused.dx, whole.dx));
      }
    }
  }
}

TEST_CASE("linear_backward_from_derivative agrees with its scalar twin") {
  // Same inputs (dy and the kept dact), so dpre, one rounded product or a selection, is the same
  // bits. dbias: float32 sums of blocks of 64 rows added in double, within (64 + 2) u (|db0| +
  // sum |dpre|) (test_activation.cpp). dweight and dx: gemm's bound, 2K u S plus the blocks of K,
  // with S the sum of the products' magnitudes (and the accumulated value); a chained dx is that
  // times |act'(pre_below)| plus one rounding of each side's multiply.
  std::uint64_t seed = 1000;
  for (const Shape& s : shapes) {
    for (const Activation act : all_activations) {
      for (const bool chained : {false, true}) {
        const Activation below_act = all_activations[(seed / 13) % 4];
        const BackwardCase c(s, act, chained, below_act, seed += 13);
        const Grads fused = fused_backward(c);
        Grads twin(c);
        kernels::linear_backward_from_derivative_ref(act, twin.dx.data(), twin.dw.data(), twin.db.data(),
                                                     twin.dpre.data(), c.dy.data(), c.dact.data(), c.L.x.data(),
                                                     c.L.w.data(), s.B, s.in, s.out, c.below);
        INFO(describe(s, act) << (chained ? " chained below " + std::string(kernels::activations.name(below_act)) : ""));
        REQUIRE(same_bits(fused.dpre, twin.dpre));
        const std::vector<float>& dpre = fused.dpre;
        for (std::size_t o = 0; o < s.out; ++o) {
          double S = std::abs(c.db0[o]);
          for (std::size_t b = 0; b < s.B; ++b) S += std::abs(dpre[b * s.out + o]);
          REQUIRE(std::abs(static_cast<double>(fused.db[o]) - twin.db[o]) <= (64 + 2) * u * S);
        }
        for (std::size_t o = 0; o < s.out; ++o) {
          for (std::size_t i = 0; i < s.in; ++i) {
            double S = std::abs(c.dw0[o * s.in + i]);
            for (std::size_t b = 0; b < s.B; ++b) S += std::abs(dpre[b * s.out + o] * c.L.x[b * s.in + i]);
            REQUIRE(std::abs(static_cast<double>(fused.dw[o * s.in + i]) - twin.dw[o * s.in + i]) <=
                    (2.0 * s.B + 8) * u * S);
          }
        }
        for (std::size_t b = 0; b < s.B; ++b) {
          for (std::size_t i = 0; i < s.in; ++i) {
            double S = 0;
            for (std::size_t o = 0; o < s.out; ++o) S += std::abs(dpre[b * s.out + o] * c.L.w[o * s.in + i]);
            const bool multiplied = chained && below_act != Activation::identity;
            const double factor = multiplied ? std::abs(c.dact_below[b * s.in + i]) : 1.0;
            REQUIRE(std::abs(static_cast<double>(fused.dx[b * s.in + i]) - twin.dx[b * s.in + i]) <=
                    (2.0 * s.out + 11) * u * S * factor);
          }
        }
      }
    }
  }
}

TEST_CASE("linear_backward_from_derivative works in place (dpre == dact), and relu passes no NaN "
          "where pre <= 0") {
  // dy holds NaN in every fifth element (a diverged loss): relu must give 0 where pre <= 0 (PyTorch's
  // threshold_backward), and NaN where pre > 0; the smooth activations give NaN.
  for (const Shape s : {Shape{40, 12, 24}, Shape{300, 12, 24}}) {
    const Layer L(s, 950);
    const std::size_t n = s.B * s.out;
    for (const Activation act : all_activations) {
      std::vector<float> y(n), dact(n);
      kernels::linear_forward_keep_derivative(act, y.data(), dact.data(), L.x.data(), L.w.data(), L.bias.data(),
                                              s.B, s.in, s.out);
      const std::vector<float> pre = pre_unfused(L, L.bias.data());
      std::vector<float> dy = normal(n, 951, 1.0f);
      for (std::size_t i = 0; i < n; i += 5) dy[i] = std::numeric_limits<float>::quiet_NaN();
      std::vector<float> dx(s.B * s.in), dw(s.out * s.in, 0.0f), db(s.out, 0.0f), dpre(n);
      kernels::linear_backward_from_derivative(act, dx.data(), dw.data(), db.data(), dpre.data(), dy.data(),
                                               dact.data(), L.x.data(), L.w.data(), s.B, s.in, s.out);
      std::vector<float> in_place = dact, dx2(s.B * s.in), dw2(s.out * s.in, 0.0f), db2(s.out, 0.0f);
      kernels::linear_backward_from_derivative(act, dx2.data(), dw2.data(), db2.data(), in_place.data(), dy.data(),
                                               in_place.data(), L.x.data(), L.w.data(), s.B, s.in, s.out);
      INFO("B=" << s.B << " " << kernels::activations.name(act));
      CHECK(same_bits(in_place, dpre));  // NaN == NaN fails, so compare bits
      CHECK(same_bits(dx2, dx));
      CHECK(same_bits(dw2, dw));
      CHECK(same_bits(db2, db));
      for (std::size_t i = 0; i < n; ++i) {
        INFO("i=" << i << " pre=" << pre[i] << " dy=" << dy[i] << " dact=" << dact[i] << " dpre=" << dpre[i]);
        REQUIRE(same_value(dpre[i], times_kept(act, dy[i], dact[i])));
        if (act == Activation::relu && pre[i] <= 0) REQUIRE(dpre[i] == 0.0f);
        if (act == Activation::relu && pre[i] > 0 && std::isnan(dy[i])) REQUIRE(std::isnan(dpre[i]));
      }
    }
  }
}

TEST_CASE("linear_backward_from_derivative skips dx and dbias when they are null, works with dpre == "
          "dy, and with identity and dpre == dy only sums") {
  for (const Shape s : {Shape{40, 12, 24}, Shape{300, 12, 24}}) {
    for (const Activation act : all_activations) {
      const BackwardCase c(s, act, false, Activation::identity, 900);
      const Grads full = fused_backward(c);
      // null dx and dbias, dpre written over dy; identity reads no dact
      std::vector<float> dy = c.dy, dw = c.dw0;
      const float* dact = act == Activation::identity ? nullptr : c.dact.data();
      kernels::linear_backward_from_derivative(act, nullptr, dw.data(), nullptr, dy.data(), dy.data(), dact,
                                               c.L.x.data(), c.L.w.data(), s.B, s.in, s.out);
      INFO(describe(s, act));
      CHECK(same_bits(dy, full.dpre));
      CHECK(same_bits(dw, full.dw));
    }
    // identity with dpre == dy: dy is dL/dpre already (a chained layer above formed it); it is left
    // alone, and dbias, dweight and dx are what the call with a separate dpre gives, dbias being
    // sum_rows_accumulate of dy.
    const BackwardCase c(s, Activation::identity, false, Activation::identity, 901);
    const Grads separate = fused_backward(c);
    std::vector<float> dy = c.dy, dx(s.B * s.in), dw = c.dw0, db = c.db0, db_check = c.db0;
    kernels::linear_backward_from_derivative(Activation::identity, dx.data(), dw.data(), db.data(), dy.data(),
                                             dy.data(), nullptr, c.L.x.data(), c.L.w.data(), s.B, s.in, s.out);
    kernels::sum_rows_accumulate(db_check.data(), c.dy.data(), s.B, s.out);
    INFO("B=" << s.B << " identity, dpre == dy");
    CHECK(same_bits(dy, c.dy));
    CHECK(same_bits(separate.dpre, c.dy));
    CHECK(same_bits(db, db_check));
    CHECK(same_bits(db, separate.db));
    CHECK(same_bits(dw, separate.dw));
    CHECK(same_bits(dx, separate.dx));
  }
}

TEST_CASE("the training pair's gradients match central differences of an independent "
          "double-precision layer") {
  // L = sum_{b,o} c(b, o) act(x W^T + bias)(b, o), in double; its derivatives in W, bias and x by
  // central differences (step 1e-4: truncation ~1e-8, rounding ~1e-12) against the training pair
  // with dy = c (float32: ~1e-6 relative to the sum of term sizes). The shapes: a small layer, one
  // on the narrow forward path (out = 2), and one past a block of 256 rows; relu only on the small
  // ones, where no pre-activation lies within a step of its kink.
  struct Case {
    Shape s;
    bool with_relu;
  };
  for (const Case& k : {Case{{6, 5, 20}, true}, Case{{4, 3, 2}, true}, Case{{300, 9, 17}, false}}) {
    const std::size_t B = k.s.B, in = k.s.in, out = k.s.out;
    for (const Activation act : all_activations) {
      if (act == Activation::relu && !k.with_relu) continue;
      const Layer L(k.s, 1234);
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
      std::vector<double> x(L.x.begin(), L.x.begin() + B * in), w(L.w.begin(), L.w.begin() + out * in),
          bias(L.bias.begin(), L.bias.begin() + out);
      std::vector<float> y(B * out), dact(B * out), dx(B * in), dw(out * in, 0.0f), db(out, 0.0f), dpre(B * out);
      kernels::linear_forward_keep_derivative(act, y.data(), dact.data(), L.x.data(), L.w.data(), L.bias.data(), B,
                                              in, out);
      kernels::linear_backward_from_derivative(act, dx.data(), dw.data(), db.data(), dpre.data(), c.data(),
                                               dact.data(), L.x.data(), L.w.data(), B, in, out);
      const double h = 1e-4;
      auto check = [&](std::vector<double>& v, const std::vector<float>& grad, const char* name) {
        for (std::size_t j = 0; j < v.size(); ++j) {
          const double keep = v[j];
          v[j] = keep + h;
          const double up = loss(x, w, bias);
          v[j] = keep - h;
          const double down = loss(x, w, bias);
          v[j] = keep;
          const double fd = (up - down) / (2 * h);
          INFO(describe(k.s, act) << " d" << name << "[" << j << "] = " << grad[j] << ", finite difference " << fd);
          REQUIRE(std::abs(grad[j] - fd) <= 1e-4 * (1 + std::abs(fd)));
        }
      };
      check(w, dw, "weight");
      check(bias, db, "bias");
      check(x, dx, "x");
    }
  }
}
