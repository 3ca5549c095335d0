// Classifier-free guidance (diffusion/guidance.hpp) on the exact Gaussian-mixture denoiser, where
// the conditional and the unconditional eps are known in closed form and written here
// independently: the guided eps is eps_null + w (eps_c - eps_null) for every row, w = 1 is the
// conditional model and w = 0 the unconditional one, null-class rows are unconditional at any w,
// and guiding an x0 or v model's output is guiding its eps.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "base/error.hpp"
#include "base/rng.hpp"
#include "diffusion/guidance.hpp"
#include "diffusion/mixture_denoiser.hpp"
#include "diffusion/parameterization.hpp"

using namespace diffuse;

namespace {

// eps of one row in float64, written from the definitions: x0_hat = E[x_0 | x_t(, k)], then
// eps = (x_t - sqrt(ab) x0_hat) / sqrt(1 - ab). Component k alone for a class; the responsibility-
// weighted mixture (log-sum-exp) for the null class K.
std::vector<double> exact_eps(const GaussianMixture& m, double ab, const float* x, int label) {
  const std::size_t K = m.components(), D = m.dims();
  const double s = std::sqrt(ab), r = std::sqrt(1.0 - ab);
  std::vector<double> log_w(K), x0(D, 0.0);
  double peak = -INFINITY;
  for (std::size_t k = 0; k < K; ++k) {
    double lw = std::log(m.weights(k));
    for (std::size_t d = 0; d < D; ++d) {
      const double var = ab * m.stds(k, d) * m.stds(k, d) + 1.0 - ab;
      const double diff = x[d] - s * m.means(k, d);
      lw += -0.5 * std::log(var) - 0.5 * diff * diff / var;
    }
    log_w[k] = lw;
    peak = std::max(peak, lw);
  }
  double total = 0.0;
  for (std::size_t k = 0; k < K; ++k) total += std::exp(log_w[k] - peak);
  for (std::size_t k = 0; k < K; ++k) {
    const double resp = label == static_cast<int>(K) ? std::exp(log_w[k] - peak) / total
                                                     : (static_cast<int>(k) == label ? 1.0 : 0.0);
    for (std::size_t d = 0; d < D; ++d) {
      const double var0 = m.stds(k, d) * m.stds(k, d);
      const double mean_k = m.means(k, d) + s * var0 / (ab * var0 + 1.0 - ab) * (x[d] - s * m.means(k, d));
      x0[d] += resp * mean_k;
    }
  }
  std::vector<double> eps(D);
  for (std::size_t d = 0; d < D; ++d) eps[d] = (x[d] - s * x0[d]) / r;
  return eps;
}

struct Batch {
  Tensor2 x;
  Steps t;
  Labels labels;
};

Batch random_batch(std::size_t B, std::size_t K, std::uint64_t seed) {
  Rng rng(seed);
  Batch b{Tensor2::from_shape({B, 2}), Steps::from_shape({B}), Labels::from_shape({B})};
  rng.fill_normal(b.x.data(), b.x.size());
  for (float& v : b.x) v *= 1.5f;
  rng.fill_below(b.t.data(), B, 1000);
  rng.fill_below(b.labels.data(), B, static_cast<std::uint32_t>(K + 1));  // the null class too
  return b;
}

}  // namespace

TEST_CASE("guided eps is eps_null + w (eps_class - eps_null), against the closed form") {
  const NoiseSchedule s = schedule_make({});
  const GaussianMixture data = gaussian_mixture_gaussians8();
  MixtureDenoiser oracle(data, s, Prediction::eps);
  const Batch b = random_batch(64, 8, 3);
  for (double w : {0.0, 0.5, 1.0, 2.0, 7.5, -1.0}) {
    INFO("w = " << w);
    GuidedDenoiser guided(oracle, w);
    Tensor2 out;
    guided.predict(out, b.x, b.t, &b.labels, serial_executor());
    for (std::size_t i = 0; i < 64; ++i) {
      const double ab = s.alpha_bar(static_cast<std::size_t>(b.t(i)));
      const std::vector<double> c = exact_eps(data, ab, &b.x(i, 0), b.labels(i));
      const std::vector<double> u = exact_eps(data, ab, &b.x(i, 0), 8);
      for (std::size_t d = 0; d < 2; ++d) {
        const double want = u[d] + w * (c[d] - u[d]);
        // Both eps are rounded to float32 (|eps| <~ 5), then combined in double and rounded once:
        // 2 + 2 |w| roundings of the scale max(|c|, |u|), plus the oracle's own float64 error.
        const double scale = std::max({std::abs(c[d]), std::abs(u[d]), 1.0});
        CHECK(std::abs(out(i, d) - want) <= (3 + 2 * std::abs(w)) * std::ldexp(scale, -24) + 1e-9);
      }
    }
  }
}

TEST_CASE("w = 1 is the conditional model, w = 0 the unconditional one, and null rows are unconditional") {
  const NoiseSchedule s = schedule_make({});
  MixtureDenoiser oracle(gaussian_mixture_gaussians8(), s, Prediction::eps);
  const Batch b = random_batch(40, 8, 4);
  Tensor2 cond, uncond, one, zero, three, three_at;
  oracle.predict(cond, b.x, b.t, &b.labels, serial_executor());
  oracle.predict(uncond, b.x, b.t, nullptr, serial_executor());
  GuidedDenoiser(oracle, 1.0).predict(one, b.x, b.t, &b.labels, serial_executor());
  GuidedDenoiser(oracle, 0.0).predict(zero, b.x, b.t, &b.labels, serial_executor());
  const bool same_one = one == cond, same_zero = zero == uncond;
  CHECK(same_one);
  CHECK(same_zero);
  GuidedDenoiser strong(oracle, 3.0);
  strong.predict(three, b.x, b.t, &b.labels, serial_executor());
  for (std::size_t i = 0; i < 40; ++i) {
    if (b.labels(i) != 8) continue;
    CHECK(three(i, 0) == uncond(i, 0));  // u + w (u - u), rounded once: u exactly
    CHECK(three(i, 1) == uncond(i, 1));
  }
  // predict_at with every row at one t is predict with that t.
  Steps t = Steps::from_shape({40});
  t.fill(321);
  strong.predict(three, b.x, t, &b.labels, serial_executor());
  strong.predict_at(three_at, b.x, 321, &b.labels, serial_executor());
  const bool same_at = three == three_at;
  CHECK(same_at);
  // No labels: the null class, whatever w.
  Tensor2 none;
  strong.predict(none, b.x, b.t, nullptr, serial_executor());
  const bool same_none = none == uncond;
  CHECK(same_none);
}

TEST_CASE("guiding an x0 or v model's output guides its eps alike") {
  // eps = a x_t + c p for every prediction type (parameterization.hpp), the same (a, c) for the
  // conditional and the unconditional output, so eps(p_u + w (p_c - p_u)) = eps_u + w (eps_c - eps_u).
  const NoiseSchedule s = schedule_make({});
  const GaussianMixture data = gaussian_mixture_gaussians8();
  MixtureDenoiser as_eps(data, s, Prediction::eps);
  const Batch b = random_batch(32, 8, 5);
  Tensor2 want;
  GuidedDenoiser(as_eps, 2.5).predict(want, b.x, b.t, &b.labels, serial_executor());
  for (Prediction p : {Prediction::x0, Prediction::v}) {
    INFO(predictions.name(p));
    MixtureDenoiser other(data, s, p);
    Tensor2 out, eps;
    GuidedDenoiser(other, 2.5).predict(out, b.x, b.t, &b.labels, serial_executor());
    predicted_eps(eps, out, p, b.x, b.t, s);
    for (std::size_t i = 0; i < want.size(); ++i) {
      // a few float32 roundings of the conversion, relative to |eps| and |x_t| / sqrt(1 - ab)
      CHECK(eps.data()[i] == Approx(want.data()[i]).margin(2e-4));
    }
  }
}

TEST_CASE("guidance needs a conditional model, a finite w and a label per row") {
  const NoiseSchedule s = schedule_make({});
  MixtureDenoiser oracle(gaussian_mixture_gaussians8(), s, Prediction::eps);
  CHECK_THROWS_WITH(GuidedDenoiser(oracle, NAN), Catch::Contains("guidance = nan"));
  CHECK_THROWS_WITH(GuidedDenoiser(oracle, INFINITY), Catch::Contains("finite"));
  GuidedDenoiser guided(oracle, 2.0);
  const Batch b = random_batch(6, 8, 6);
  Labels short_labels = Labels::from_shape({4});
  short_labels.fill(1);
  Tensor2 out;
  CHECK_THROWS_WITH(guided.predict(out, b.x, b.t, &short_labels, serial_executor()),
                    Catch::Contains("6 rows") && Catch::Contains("4 labels"));
  Labels bad = b.labels;
  bad(0) = 9;
  CHECK_THROWS_WITH(guided.predict(out, b.x, b.t, &bad, serial_executor()),
                    Catch::Contains("label 9") && Catch::Contains("0..8"));
}
