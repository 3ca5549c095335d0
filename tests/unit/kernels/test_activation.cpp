// The xsimd activations and row operations against their scalar twins on every tail length around
// the vector width, and the derivatives against central differences of the definitions.
// The vector bodies are activation_simd.hpp; the twins activation_ref.cpp.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "base/rng.hpp"
#include "kernels/activation.hpp"
#include "kernels/arch.hpp"

using namespace diffuse;
using kernels::Activation;

namespace {

constexpr double u = 1.0 / (1 << 24);  // float32 unit roundoff
const Activation all_activations[] = {Activation::identity, Activation::relu, Activation::silu,
                                      Activation::gelu};

// The definitions, in double, written independently of activation_ref.cpp.
double definition(Activation act, double x) {
  switch (act) {
    case Activation::identity: return x;
    case Activation::relu: return x > 0 ? x : 0;
    case Activation::silu: return x / (1 + std::exp(-x));
    case Activation::gelu: return x * 0.5 * (1 + std::erf(x / std::sqrt(2.0)));
  }
  return 0;
}

// Inputs spanning everything: a grid over [-12, 12], wide Gaussian draws, and the edges of the exp
// range and of float (±0, tiny, large).
std::vector<float> test_inputs(std::size_t n, std::uint64_t seed) {
  const float edges[] = {0.0f, -0.0f, 1e-30f, -1e-30f, -87.0f, -87.5f, -88.5f, -100.0f, 87.0f,
                         100.0f, -1.2784645f, 3e4f, -3e4f, -9.0f, 9.0f};
  std::vector<float> x(n);
  Rng rng(seed);
  rng.fill_normal(x.data(), n);
  for (std::size_t i = 0; i < n; ++i) {
    if (i % 3 == 0) x[i] = -12.0f + 24.0f * static_cast<float>(i) / static_cast<float>(n);
    else if (i % 3 == 1) x[i] *= 6.0f;
    if (i % 7 == 0) x[i] = edges[(i / 7) % (sizeof(edges) / sizeof(edges[0]))];
  }
  return x;
}

// Relative error allowed for act(x) or act'(x) in float32: the SIMD formulas take a handful of
// roundings (exp or erfc to a few ulp, a refined reciprocal, two products): 16 u. GELU also
// inherits the conditioning of its float32 arguments: z = x * fl(1/sqrt(2)) and -x^2/2 carry a
// relative error up to 2u, and erfc (whose relative sensitivity to z is about 2 z^2 = x^2 for large
// z) and exp (sensitivity x^2/2) turn that into up to 2 x^2 u in the result.
double relative_tolerance(Activation act, double x) {
  if (act == Activation::identity || act == Activation::relu) return 0.0;
  return act == Activation::gelu ? (16 + 2 * x * x) * u : 16 * u;
}

// ... plus an absolute term: below x = -87.3 silu's exp(-|x|) stays at exp(-87.3) = 1.2e-38, so
// silu and its derivative are off by up to (1 + |x|) 1.22e-38 there (both are tinier still).
double absolute_tolerance(double x) { return (1 + std::abs(x)) * 1.25e-38; }

double forward_tolerance(Activation act, double x, double exact) {
  if (act == Activation::identity || act == Activation::relu) return 0.0;
  return relative_tolerance(act, x) * std::abs(exact) + absolute_tolerance(x);
}

}  // namespace

TEST_CASE("activation_forward equals its scalar twin for every activation and tail length") {
  const std::size_t lanes = kernels::simd_float_lanes();
  for (const Activation act : all_activations) {
    for (std::size_t n = 0; n <= 4 * lanes + 1; ++n) {
      const std::vector<float> x = test_inputs(n + 200, n);
      const std::size_t len = n == 4 * lanes + 1 ? x.size() : n;  // and one long run
      std::vector<float> y(len), ref(len);
      kernels::activation_forward(act, y.data(), x.data(), len);
      kernels::activation_forward_ref(act, ref.data(), x.data(), len);
      for (std::size_t i = 0; i < len; ++i) {
        INFO(kernels::activations.name(act) << " n=" << len << " x=" << x[i]);
        REQUIRE(std::abs(static_cast<double>(y[i]) - ref[i]) <= forward_tolerance(act, x[i], ref[i]));
      }
    }
  }
}

TEST_CASE("activation_forward works in place (y == x)") {
  for (const Activation act : all_activations) {
    const std::vector<float> x0 = test_inputs(53, 3);
    std::vector<float> x = x0, ref(53);
    kernels::activation_forward_ref(act, ref.data(), x.data(), x.size());
    kernels::activation_forward(act, x.data(), x.data(), x.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
      REQUIRE(std::abs(static_cast<double>(x[i]) - ref[i]) <= forward_tolerance(act, x0[i], ref[i]));
    }
  }
}

TEST_CASE("activation_backward equals its scalar twin for every activation and tail length") {
  const std::size_t lanes = kernels::simd_float_lanes();
  for (const Activation act : all_activations) {
    for (std::size_t n = 0; n <= 4 * lanes + 1; ++n) {
      const std::vector<float> x = test_inputs(n, 100 + n);
      std::vector<float> dy(n), dx(n), ref(n);
      Rng(200 + n).fill_normal(dy.data(), n);
      kernels::activation_backward(act, dx.data(), dy.data(), x.data(), n);
      kernels::activation_backward_ref(act, ref.data(), dy.data(), x.data(), n);
      for (std::size_t i = 0; i < n; ++i) {
        // act'(x) is a sum of terms (silu: s + s x (1 - s); gelu: Phi + x phi), so its error is
        // relative to the sum of their magnitudes, not to the (possibly cancelling) result.
        const double xd = x[i];
        double scale = 1.0;
        if (act == Activation::silu) {
          const double s = 1 / (1 + std::exp(-xd));
          scale = s * (1 + std::abs(xd) * (1 - s));
        } else if (act == Activation::gelu) {
          scale = 0.5 * std::erfc(-xd / std::sqrt(2.0)) + std::abs(xd) * std::exp(-xd * xd / 2) / std::sqrt(2 * M_PI);
        }
        const double tol = (relative_tolerance(act, xd) * scale + absolute_tolerance(xd)) * std::abs(dy[i]);
        INFO(kernels::activations.name(act) << " n=" << n << " x=" << x[i] << " dy=" << dy[i]);
        REQUIRE(std::abs(static_cast<double>(dx[i]) - ref[i]) <= tol);
      }
    }
  }
}

TEST_CASE("activation_backward with dy = 1 matches central differences of the definitions") {
  // Central differences in double with step h: truncation error h^2 |f'''| / 6 < 1e-6 for these
  // smooth functions at h = 1e-3, rounding error ~1e-16 / h. The kernel's float32 derivative is
  // good to ~1e-6 relative, so 1e-5 (1 + |f'|) separates a wrong formula from rounding.
  const double h = 1e-3;
  std::vector<float> x;
  for (double v = -8.0; v <= 8.0; v += 0.0625) x.push_back(static_cast<float>(v + 0.01));
  const std::vector<float> ones(x.size(), 1.0f);
  for (const Activation act : all_activations) {
    std::vector<float> dx(x.size()), dx_ref(x.size());
    kernels::activation_backward(act, dx.data(), ones.data(), x.data(), x.size());
    kernels::activation_backward_ref(act, dx_ref.data(), ones.data(), x.data(), x.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double xd = x[i];
      if (act == Activation::relu && std::abs(xd) < 2 * h) continue;  // the kink
      const double fd = (definition(act, xd + h) - definition(act, xd - h)) / (2 * h);
      INFO(kernels::activations.name(act) << " x=" << xd << " finite difference " << fd);
      REQUIRE(std::abs(dx[i] - fd) <= 1e-5 * (1 + std::abs(fd)));
      REQUIRE(std::abs(dx_ref[i] - fd) <= 1e-5 * (1 + std::abs(fd)));
    }
  }
}

TEST_CASE("activation_backward works in place (dx == dy)") {
  for (const Activation act : all_activations) {
    const std::vector<float> x = test_inputs(41, 5);
    std::vector<float> dy(41), ref(41);
    Rng(6).fill_normal(dy.data(), dy.size());
    const std::vector<float> dy0 = dy;
    kernels::activation_backward_ref(act, ref.data(), dy.data(), x.data(), x.size());
    kernels::activation_backward(act, dy.data(), dy.data(), x.data(), x.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
      // as in the test above, with |act'| <= 1.2 for these activations
      REQUIRE(std::abs(dy[i] - ref[i]) <= (1.2 * relative_tolerance(act, x[i]) + absolute_tolerance(x[i])) * std::abs(dy0[i]));
    }
  }
}

TEST_CASE("activation_derivative is activation_backward with dy = 1, bit for bit, and its twin is "
          "activation_backward_ref with dy = 1") {
  // The backward's tests above then cover it: twin agreement, and central differences.
  const std::size_t lanes = kernels::simd_float_lanes();
  for (const Activation act : all_activations) {
    for (std::size_t n = 0; n <= 4 * lanes + 1; ++n) {
      const std::vector<float> x = test_inputs(n, 300 + n);
      const std::vector<float> ones(n, 1.0f);
      std::vector<float> d(n), d_ref(n), via_backward(n), via_backward_ref(n), in_place = x;
      kernels::activation_derivative(act, d.data(), x.data(), n);
      kernels::activation_derivative_ref(act, d_ref.data(), x.data(), n);
      kernels::activation_backward(act, via_backward.data(), ones.data(), x.data(), n);
      kernels::activation_backward_ref(act, via_backward_ref.data(), ones.data(), x.data(), n);
      kernels::activation_derivative(act, in_place.data(), in_place.data(), n);
      INFO(kernels::activations.name(act) << " n=" << n);
      CHECK(d == via_backward);
      CHECK(d_ref == via_backward_ref);
      CHECK(in_place == d);
    }
  }
}

TEST_CASE("add_bias_rows equals its scalar twin exactly for every width") {
  const std::size_t lanes = kernels::simd_float_lanes();
  for (std::size_t B : {1u, 3u, 70u}) {
    for (std::size_t N = 1; N <= 3 * lanes + 1; ++N) {
      std::vector<float> y(B * N), bias(N);
      Rng rng(N * 10 + B);
      rng.fill_normal(y.data(), y.size());
      rng.fill_normal(bias.data(), N);
      std::vector<float> ref = y;
      kernels::add_bias_rows(y.data(), bias.data(), B, N);
      kernels::add_bias_rows_ref(ref.data(), bias.data(), B, N);
      REQUIRE(y == ref);
    }
  }
}

TEST_CASE("sum_rows_accumulate equals its scalar twin for every width and row count") {
  // The kernel adds float32 sums of blocks of 64 rows in double: each block sum is within
  // 64 u sum |dy| of exact, the double total adds nothing visible, and the final += db rounds once.
  const std::size_t lanes = kernels::simd_float_lanes();
  for (std::size_t B : {1u, 5u, 64u, 65u, 300u}) {
    for (std::size_t N = 1; N <= 3 * lanes + 1; ++N) {
      std::vector<float> dy(B * N), db(N);
      Rng rng(N * 100 + B);
      rng.fill_normal(dy.data(), dy.size());
      rng.fill_normal(db.data(), N);
      std::vector<float> ref = db;
      kernels::sum_rows_accumulate(db.data(), dy.data(), B, N);
      kernels::sum_rows_accumulate_ref(ref.data(), dy.data(), B, N);
      for (std::size_t j = 0; j < N; ++j) {
        double abs_sum = std::abs(db[j]);
        for (std::size_t b = 0; b < B; ++b) abs_sum += std::abs(dy[b * N + j]);
        INFO("B=" << B << " N=" << N << " j=" << j);
        REQUIRE(std::abs(db[j] - ref[j]) <= (64 + 2) * u * abs_sum);
      }
    }
  }
}
