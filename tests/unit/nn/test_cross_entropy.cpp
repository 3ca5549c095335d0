// Softmax cross-entropy: the loss against a float64 reference written from the definition
// (-log of the softmax probability, no max subtraction, valid for moderate logits); the gradient
// against central differences of it; stability where the naive formula overflows; rows of the
// gradient summing to zero; aliasing; the mean over rows.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "layer_check.hpp"
#include "nn/cross_entropy.hpp"

using namespace diffuse;
using namespace diffuse::test;

namespace {

// -(1/B) sum_b log(exp(z_b[y_b]) / sum_k exp(z_b[k])), straight from the definition.
double ref_cross_entropy(const Vec& z, const std::vector<std::int32_t>& y, std::size_t K) {
  const std::size_t B = y.size();
  double total = 0.0;
  for (std::size_t b = 0; b < B; ++b) {
    double sum = 0.0;
    for (std::size_t k = 0; k < K; ++k) sum += std::exp(z[b * K + k]);
    total += -std::log(std::exp(z[b * K + static_cast<std::size_t>(y[b])]) / sum);
  }
  return total / static_cast<double>(B);
}

struct Case {
  std::size_t B = 6, K = 5;
  std::vector<float> z;
  std::vector<std::int32_t> y;
  explicit Case(std::uint64_t seed, float scale = 2.0f) {
    Rng rng(seed);
    z = random_floats(rng, B * K, scale);
    y.resize(B);
    for (std::size_t b = 0; b < B; ++b) y[b] = static_cast<std::int32_t>(rng.below(5));
  }
};

}  // namespace

TEST_CASE("cross_entropy_forward_backward: the loss is -mean log softmax of the labelled class") {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    const Case c(seed);
    const double loss = cross_entropy_forward_backward(nullptr, c.z.data(), c.y.data(), c.B, c.K);
    // Both are float64 computations of the same float32 logits, of a handful of operations each
    // on values of magnitude <= ~10 (exp of |z| <= 8): 64 u64 relative is generous and still
    // tells a wrong formula (off by O(1)).
    const double ref = ref_cross_entropy(as_double(c.z), c.y, c.K);
    CHECK(std::abs(loss - ref) <= 64 * std::ldexp(1.0, -53) * (std::abs(ref) + 10.0));
  }
}

TEST_CASE("cross_entropy_forward_backward: the gradient matches central differences") {
  const Case c(4);
  std::vector<float> d(c.B * c.K);
  cross_entropy_forward_backward(d.data(), c.z.data(), c.y.data(), c.B, c.K);
  expect_gradient(
      "cross-entropy dz", [&](const Vec& v) { return ref_cross_entropy(v, c.y, c.K); },
      as_double(c.z), d.data());
}

TEST_CASE("cross_entropy_forward_backward: each gradient row sums to zero") {
  // sum_k (p_k - [k = y]) / B = 0: each of the K float32 values is rounded once (relative u32)
  // and the float64 sum adds nothing noticeable, so |sum| <= K u32 max|d| <= K u32 / B.
  const Case c(5, 6.0f);
  std::vector<float> d(c.B * c.K);
  cross_entropy_forward_backward(d.data(), c.z.data(), c.y.data(), c.B, c.K);
  for (std::size_t b = 0; b < c.B; ++b) {
    double sum = 0.0;
    for (std::size_t k = 0; k < c.K; ++k) sum += d[b * c.K + k];
    CHECK(std::abs(sum) <= static_cast<double>(c.K) * std::ldexp(1.0, -24) / c.B);
  }
}

TEST_CASE("cross_entropy_forward_backward: stable where exp overflows") {
  // z = (1000, 0, -1000): exp(1000) overflows even in float64. Exactly: label 0 has loss
  // log(1 + e^-1000 + e^-2000) = 0 in float64, label 1 has 1000 + that, label 2 has 2000.
  const std::vector<float> z = {1000.0f, 0.0f, -1000.0f, 3e38f, -3e38f, 0.0f};
  for (std::int32_t y = 0; y < 3; ++y) {
    std::vector<float> d(3);
    const double loss = cross_entropy_forward_backward(d.data(), z.data(), &y, 1, 3);
    CHECK(loss == 1000.0 * y);
    // softmax = (1, 0, 0) in float32 (e^-1000 underflows): the gradient is e_0 - e_y.
    for (std::int32_t k = 0; k < 3; ++k) {
      CHECK(d[static_cast<std::size_t>(k)] == (k == 0 ? 1.0f : 0.0f) - (k == y ? 1.0f : 0.0f));
    }
  }
  // Logits near the float32 maximum: 3e38 - (-3e38) = 6e38 is finite in float64.
  const std::int32_t y = 1;
  const double loss = cross_entropy_forward_backward(nullptr, z.data() + 3, &y, 1, 3);
  CHECK(loss == static_cast<double>(3e38f) * 2.0);
}

TEST_CASE("cross_entropy_forward_backward: the mean of the rows' losses, and d_logits may alias") {
  const Case c(6);
  double sum = 0.0;
  for (std::size_t b = 0; b < c.B; ++b) {
    sum += cross_entropy_forward_backward(nullptr, c.z.data() + b * c.K, &c.y[b], 1, c.K);
  }
  const double loss = cross_entropy_forward_backward(nullptr, c.z.data(), c.y.data(), c.B, c.K);
  CHECK(loss == Approx(sum / static_cast<double>(c.B)).epsilon(1e-14));

  std::vector<float> d(c.B * c.K), in_place = c.z;
  const double a = cross_entropy_forward_backward(d.data(), c.z.data(), c.y.data(), c.B, c.K);
  const double b =
      cross_entropy_forward_backward(in_place.data(), in_place.data(), c.y.data(), c.B, c.K);
  CHECK(a == b);
  CHECK(in_place == d);
}
