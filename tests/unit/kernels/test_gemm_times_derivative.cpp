// gemm_times_derivative against its definition computed the long way (gemm, then the multiply
// element by element), and chained layers (kernels::BelowLayer) against the same two layers run
// one after the other and against gemm_times_derivative called directly: all bit for bit, since
// the fused kernels do the same float operations.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "base/rng.hpp"
#include "kernels/activation.hpp"
#include "kernels/gemm.hpp"
#include "kernels/gemm_times_derivative.hpp"
#include "kernels/linear.hpp"
#include "support/gemm_cases.hpp"

using namespace diffuse;
using kernels::Activation;
using kernels::Transpose;

namespace {

const Activation all_activations[] = {Activation::identity, Activation::relu, Activation::silu,
                                      Activation::gelu};

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// g * act'(pre) as the training backward defines it, one element at a time: relu passes g where
// its derivative is 1 (and 0 elsewhere, also for a non-finite g), identity passes g unchanged.
float times_kept(Activation act, float g, float d) {
  switch (act) {
    case Activation::identity: return g;
    case Activation::relu: return d > 0.0f ? g : 0.0f;
    default: return g * d;
  }
}

// act'(pre) for pre ~ N(0, 4), as the training forward keeps it.
std::vector<float> kept_derivative(Activation act, std::size_t n, std::uint64_t seed) {
  std::vector<float> d(std::max<std::size_t>(n, 1));
  Rng(seed).fill_normal(d.data(), d.size());
  for (float& x : d) x *= 2.0f;
  kernels::activation_derivative(act, d.data(), d.data(), d.size());
  return d;
}

// C = (A B) * dact the long way: gemm into C, then the multiply over the valid columns.
void long_way(Activation act, const test::GemmCase& c, const test::GemmData& in, const std::vector<float>& dact,
              std::vector<float>& C) {
  kernels::gemm(Transpose::no, Transpose::no, c.M, c.N, c.K, 1.0f, in.A.data(), c.lda(), in.B.data(), c.ldb(),
                0.0f, C.data(), c.ldc());
  for (std::size_t i = 0; i < c.M; ++i) {
    for (std::size_t j = 0; j < c.N; ++j) {
      float& x = C[i * c.ldc() + j];
      x = times_kept(act, x, dact[i * c.ldc() + j]);
    }
  }
}

}  // namespace

TEST_CASE("gemm_times_derivative equals gemm followed by the multiply, bit for bit, on every path") {
  // Named shapes (tiles, edges, K past one block of 256, N below a vector, M of a few rows) and 60
  // random ones with padded strides; C starts as NaN (never read) and its padding must survive.
  std::vector<test::GemmCase> cases = test::gemm_named_shapes();
  for (const test::GemmCase& c : test::gemm_random_shapes(60, 77)) cases.push_back(c);
  std::uint64_t seed = 500;
  for (test::GemmCase c : cases) {
    c.alpha = 1.0f;
    c.beta = 0.0f;
    for (const Activation act : all_activations) {
      const test::GemmData in(c, seed += 3);
      const std::vector<float> dact = kept_derivative(act, c.M * c.ldc(), seed + 1);
      std::vector<float> fused = in.C, expected = in.C;
      kernels::gemm_times_derivative(act, c.M, c.N, c.K, in.A.data(), c.lda(), in.B.data(), c.ldb(),
                                     dact.data(), fused.data(), c.ldc());
      long_way(act, c, in, dact, expected);
      INFO(c.describe() << " " << kernels::activations.name(act));
      CHECK(same_bits(fused, expected));
    }
  }
}

TEST_CASE("gemm_times_derivative: identity reads no derivative, K = 0 gives zeros") {
  test::GemmCase c;
  c.M = 20;
  c.N = 40;
  c.K = 33;
  const test::GemmData in(c, 9);
  std::vector<float> fused = in.C, plain = in.C;
  kernels::gemm_times_derivative(Activation::identity, c.M, c.N, c.K, in.A.data(), c.lda(), in.B.data(),
                                 c.ldb(), nullptr, fused.data(), c.ldc());
  kernels::gemm(Transpose::no, Transpose::no, c.M, c.N, c.K, 1.0f, in.A.data(), c.lda(), in.B.data(), c.ldb(),
                0.0f, plain.data(), c.ldc());
  CHECK(same_bits(fused, plain));

  const std::vector<float> dact = kept_derivative(Activation::silu, c.M * c.N, 10);
  kernels::gemm_times_derivative(Activation::silu, c.M, c.N, 0, in.A.data(), c.lda(), in.B.data(), c.ldb(),
                                 dact.data(), fused.data(), c.ldc());
  for (const float x : fused) REQUIRE(x == 0.0f);
}

TEST_CASE("chained layers (BelowLayer) give what the two layers give one after the other") {
  // Layer 1 (in -> mid, act1) below layer 2 (mid -> out, act2). Unchained: layer 2's backward
  // writes dL/dh into dh, layer 1's multiplies by act1'(pre1). Chained: layer 2's product forms
  // dL/dpre1 itself and layer 1 only sums its bias gradient (act = identity, dpre == dy).
  struct Dims {
    std::size_t B, in, mid, out;
  };
  const Dims dims[] = {{256, 34, 128, 128}, {300, 7, 40, 33}, {5, 3, 17, 2}, {600, 16, 20, 24}};
  std::uint64_t seed = 40;
  for (const Dims& s : dims) {
    for (const Activation act1 : all_activations) {
      INFO("B=" << s.B << " in=" << s.in << " mid=" << s.mid << " out=" << s.out << " act1="
                << kernels::activations.name(act1));
      auto normal = [&](std::size_t n, float scale) {
        std::vector<float> v(n);
        Rng(seed += 11).fill_normal(v.data(), n);
        for (float& x : v) x *= scale;
        return v;
      };
      const std::vector<float> x = normal(s.B * s.in, 1.0f), w1 = normal(s.mid * s.in, 0.3f),
                               b1 = normal(s.mid, 0.5f), w2 = normal(s.out * s.mid, 0.2f),
                               dpre2 = normal(s.B * s.out, 1.0f), h1 = normal(s.B * s.mid, 1.0f);
      std::vector<float> dact1 = normal(s.B * s.mid, 2.0f);
      kernels::activation_derivative(act1, dact1.data(), dact1.data(), dact1.size());
      const std::vector<float> dw2_0 = normal(s.out * s.mid, 0.1f), dw1_0 = normal(s.mid * s.in, 0.1f),
                               db1_0 = normal(s.mid, 0.1f);

      // one after the other (layer 2 with identity: dy is its dL/dpre)
      std::vector<float> dh(s.B * s.mid), dw2 = dw2_0, dpre2_copy = dpre2;
      kernels::linear_backward_from_derivative(Activation::identity, dh.data(), dw2.data(), nullptr,
                                               dpre2_copy.data(), dpre2_copy.data(), nullptr, h1.data(),
                                               w2.data(), s.B, s.mid, s.out);
      std::vector<float> dpre1(s.B * s.mid), dw1 = dw1_0, db1 = db1_0, dx(s.B * s.in);
      kernels::linear_backward_from_derivative(act1, dx.data(), dw1.data(), db1.data(), dpre1.data(), dh.data(),
                                               dact1.data(), x.data(), w1.data(), s.B, s.in, s.mid);

      // chained
      std::vector<float> dpre1_c(s.B * s.mid), dw2_c = dw2_0, dpre2_c = dpre2;
      kernels::linear_backward_from_derivative(Activation::identity, dpre1_c.data(), dw2_c.data(), nullptr,
                                               dpre2_c.data(), dpre2_c.data(), nullptr, h1.data(), w2.data(),
                                               s.B, s.mid, s.out, serial_executor(), {act1, dact1.data()});
      const std::vector<float> dpre1_before = dpre1_c;
      std::vector<float> dw1_c = dw1_0, db1_c = db1_0, dx_c(s.B * s.in);
      kernels::linear_backward_from_derivative(Activation::identity, dx_c.data(), dw1_c.data(), db1_c.data(),
                                               dpre1_c.data(), dpre1_c.data(), nullptr, x.data(), w1.data(),
                                               s.B, s.in, s.mid);

      // and the chained product is gemm_times_derivative itself, on each block of 256 rows
      std::vector<float> dpre1_direct(s.B * s.mid);
      for (std::size_t b0 = 0; b0 < s.B; b0 += 256) {
        const std::size_t m = std::min<std::size_t>(256, s.B - b0);
        kernels::gemm_times_derivative(act1, m, s.mid, s.out, dpre2.data() + b0 * s.out, s.out, w2.data(), s.mid,
                                       dact1.data() + b0 * s.mid, dpre1_direct.data() + b0 * s.mid, s.mid);
      }
      CHECK(same_bits(dpre1_c, dpre1_direct));

      CHECK(same_bits(dw2_c, dw2));
      CHECK(same_bits(dpre1_c, dpre1));
      CHECK(same_bits(dpre1_c, dpre1_before));  // the sums-only pass leaves dpre alone
      CHECK(same_bits(dw1_c, dw1));
      CHECK(same_bits(db1_c, db1));
      CHECK(same_bits(dx_c, dx));
    }
  }
}

TEST_CASE("a chained relu passes no NaN where its derivative is 0") {
  const std::size_t B = 24, in = 16, out = 20;
  std::vector<float> dpre2(B * out), w(out * in), h(B * in), dact(B * in);
  Rng(3).fill_normal(dpre2.data(), dpre2.size());
  Rng(4).fill_normal(w.data(), w.size());
  Rng(5).fill_normal(h.data(), h.size());
  Rng(6).fill_normal(dact.data(), dact.size());
  kernels::activation_derivative(Activation::relu, dact.data(), dact.data(), dact.size());
  dpre2[0] = std::numeric_limits<float>::quiet_NaN();  // row 0's dL/dh is NaN in every column
  std::vector<float> dw(out * in, 0.0f), dpre1(B * in);
  kernels::linear_backward_from_derivative(Activation::identity, dpre1.data(), dw.data(), nullptr, dpre2.data(),
                                           dpre2.data(), nullptr, h.data(), w.data(), B, in, out,
                                           serial_executor(), {Activation::relu, dact.data()});
  for (std::size_t j = 0; j < in; ++j) {
    if (dact[j] == 0.0f) CHECK(dpre1[j] == 0.0f);
    if (dact[j] == 1.0f) CHECK(std::isnan(dpre1[j]));
  }
}
