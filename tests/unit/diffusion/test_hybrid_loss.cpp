// The hybrid loss against independent computations: its value is loss_evaluate's L_simple plus
// lambda T L_t / (D ln 2) per row written out from vlb_terms; the gradient on the prediction
// columns is L_simple's alone (the stop-gradient: L_vlb does depend on p, and its derivative
// there is shown to be non-zero and excluded); the gradient on the variance columns matches
// central differences of the loss in o; importance weights scale each row.
#include <catch2/catch.hpp>

#include <cmath>
#include <iomanip>

#include "base/rng.hpp"
#include "diffusion/forward_process.hpp"
#include "diffusion/gaussian.hpp"
#include "diffusion/hybrid_loss.hpp"
#include "diffusion/learned_variance.hpp"

using namespace diffuse;

namespace {

struct Batch {
  Tensor2 x0, eps, x_t, output, p, o;  // output (B, 2 D) = [p, o]
  Steps t;
};

Batch make_batch(const NoiseSchedule& s, std::size_t B, std::size_t D, std::uint64_t seed) {
  Batch b;
  Rng rng(seed);
  b.x0 = Tensor2::from_shape({B, D});
  b.eps = Tensor2::from_shape({B, D});
  b.output = Tensor2::from_shape({B, 2 * D});
  rng.fill_normal(b.x0.data(), b.x0.size());
  rng.fill_normal(b.eps.data(), b.eps.size());
  rng.fill_normal(b.output.data(), b.output.size());
  b.t = Steps::from_shape({B});
  rng.fill_below(b.t.data(), B, static_cast<std::uint32_t>(s.T));
  b.t(0) = 0;
  b.t(1) = 1;
  b.t(2) = s.T - 1;
  q_sample(b.x_t, b.x0, b.eps, b.t, s);
  // A prediction near the truth (eps + noise), so the terms are of a trained model's size.
  for (std::size_t r = 0; r < B; ++r) {
    for (std::size_t d = 0; d < D; ++d) b.output(r, d) = b.eps(r, d) + 0.1f * b.output(r, d);
  }
  b.p = Tensor2::from_shape({B, D});
  b.o = Tensor2::from_shape({B, D});
  for (std::size_t r = 0; r < B; ++r) {
    for (std::size_t d = 0; d < D; ++d) {
      b.p(r, d) = b.output(r, d);
      b.o(r, d) = b.output(r, D + d);
    }
  }
  return b;
}

NoiseSchedule schedule(int T) {
  ScheduleConfig c;
  c.timesteps = T;
  return schedule_make(c);
}

// The hybrid loss written out from its parts, the L_vlb terms in float64 from the Gaussian
// identities directly (log Sigma not rounded to float32, so central differences in o stay exact
// to ~1e-16 relative before truncation).
double reference_loss(const Batch& b, const NoiseSchedule& s, const LossConfig& config,
                      double lambda, const std::vector<double>& weights) {
  const std::size_t B = b.x0.shape(0), D = b.x0.shape(1);
  Tensor2 grad, x0_hat;
  const LossResult simple = loss_evaluate(grad, b.p, Prediction::eps, b.x_t, b.x0, b.eps, b.t, s, config);
  predicted_x0(x0_hat, b.p, Prediction::eps, b.x_t, b.t, s);
  double total = 0;
  for (std::size_t r = 0; r < B; ++r) {
    const auto i = static_cast<std::size_t>(b.t(r));
    const double c0 = s.posterior_mean_coef1(i), ct = s.posterior_mean_coef2(i);
    double vlb = 0;
    for (std::size_t d = 0; d < D; ++d) {
      const double log_var = learned_log_variance(b.o(r, d), learned_variance_range(s, b.t(r)));
      const double mean_p = c0 * x0_hat(r, d) + ct * b.x_t(r, d);
      const double mean_q = c0 * b.x0(r, d) + ct * b.x_t(r, d);
      vlb += b.t(r) == 0 ? -normal_log_density(b.x0(r, d), mean_p, log_var)
                         : normal_kl(mean_q, s.posterior_log_variance_clipped(i), mean_p, log_var);
    }
    total += weights[r] * (simple.per_row[r] + lambda * s.T * vlb / (D * std::log(2.0))) / B;
  }
  return total;
}

}  // namespace

TEST_CASE("the hybrid loss is L_simple + lambda T L_t / (D ln 2), averaged over rows") {
  const NoiseSchedule s = schedule(1000);
  const Batch b = make_batch(s, 7, 3, 1);
  Tensor2 grad;
  for (double lambda : {0.0, 0.001, 0.5}) {
    const HybridLossResult r = hybrid_loss_evaluate(grad, b.output, Prediction::eps, b.x_t, b.x0,
                                                    b.eps, b.t, s, LossConfig{}, lambda, 0, nullptr);
    // The same float64 terms summed in another order: 1e-12 relative.
    CHECK(r.loss == Approx(reference_loss(b, s, LossConfig{}, lambda, std::vector<double>(7, 1.0))).epsilon(1e-12));
    CHECK(r.vlb.size() == 7);
  }
}

TEST_CASE("the prediction's gradient is L_simple's alone: L_vlb sees the mean through a stop-gradient") {
  const NoiseSchedule s = schedule(1000);
  const Batch b = make_batch(s, 6, 2, 2);
  Tensor2 grad, simple_grad;
  hybrid_loss_evaluate(grad, b.output, Prediction::eps, b.x_t, b.x0, b.eps, b.t, s, LossConfig{},
                       0.5, 0, nullptr);
  loss_evaluate(simple_grad, b.p, Prediction::eps, b.x_t, b.x0, b.eps, b.t, s, LossConfig{});
  for (std::size_t r = 0; r < 6; ++r) {
    for (std::size_t d = 0; d < 2; ++d) CHECK(grad(r, d) == simple_grad(r, d));
  }
  // Without the stop-gradient the derivative in p would differ: L_vlb does depend on p.
  Batch moved = b;
  moved.p(3, 0) += 1.0f / 64;
  const std::vector<double> ones(6, 1.0);
  const double with_vlb = reference_loss(moved, s, LossConfig{}, 0.5, ones) - reference_loss(b, s, LossConfig{}, 0.5, ones);
  const double without = reference_loss(moved, s, LossConfig{}, 0.0, ones) - reference_loss(b, s, LossConfig{}, 0.0, ones);
  CHECK(std::fabs(with_vlb - without) > 1e-6);
}

// Central differences of the float64 reference loss in o with steps of 2^-8 (exact in float32 for
// |o| < 8): the loss is exp of an affine function of o with slope at most (log beta - log beta~)/2
// ~ 0.35, so the truncation error h^2 f''' / 6 is ~ (0.35 / 256)^2 / 6 ~ 3e-7 relative of the
// gradient, and the analytic one is float64 until its rounding to float32 (6e-8): 1e-5 relative is
// a margin of 30.
TEST_CASE("the variance columns' gradient matches central differences, with importance weights") {
  const NoiseSchedule s = schedule(100);
  const std::size_t B = 5, D = 2;
  const Batch b = make_batch(s, B, D, 3);
  const std::vector<double> weights = {1.0, 0.5, 3.0, 1.0, 0.25};
  const double lambda = 0.2;
  Tensor2 grad;
  hybrid_loss_evaluate(grad, b.output, Prediction::eps, b.x_t, b.x0, b.eps, b.t, s, LossConfig{},
                       lambda, 0, weights.data());
  for (std::size_t r = 0; r < B; ++r) {
    for (std::size_t d = 0; d < D; ++d) {
      INFO("row " << r << " (t = " << b.t(r) << ") d " << d);
      const float h = 1.0f / 256;
      Batch up = b, down = b;
      up.o(r, d) += h;
      down.o(r, d) -= h;
      const double numeric = (reference_loss(up, s, LossConfig{}, lambda, weights) -
                              reference_loss(down, s, LossConfig{}, lambda, weights)) / (2.0 * h);
      INFO("analytic " << std::setprecision(10) << grad(r, D + d) << " numeric " << numeric);
      CHECK(grad(r, D + d) == Approx(numeric).epsilon(1e-5).margin(1e-10));
      // The prediction columns carry the row's weight too.
      Tensor2 plain;
      hybrid_loss_evaluate(plain, b.output, Prediction::eps, b.x_t, b.x0, b.eps, b.t, s,
                           LossConfig{}, lambda, 0, nullptr);
      CHECK(grad(r, d) == Approx(weights[r] * plain(r, d)).epsilon(1e-6));
    }
  }
}
