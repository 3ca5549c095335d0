// The training loss against independent computations: the eps-space loss of an eps model is the
// plain mean squared error; measuring in another space equals converting the prediction first
// (parameterization.hpp) and taking the plain MSE there; the gradient matches central finite
// differences in double precision.
#include <catch2/catch.hpp>

#include <cmath>

#include "base/error.hpp"
#include "base/rng.hpp"
#include "diffusion/forward_process.hpp"
#include "diffusion/loss.hpp"

using namespace diffuse;

namespace {

struct Batch {
  Tensor2 x0, eps, x_t, output;
  Steps t;
};

Batch make_batch(const NoiseSchedule& s, std::size_t B, std::size_t D, std::uint64_t seed) {
  Batch batch;
  Rng rng(seed);
  batch.x0 = Tensor2::from_shape({B, D});
  batch.eps = Tensor2::from_shape({B, D});
  batch.output = Tensor2::from_shape({B, D});
  rng.fill_normal(batch.x0.data(), batch.x0.size());
  rng.fill_normal(batch.eps.data(), batch.eps.size());
  rng.fill_normal(batch.output.data(), batch.output.size());
  batch.t = Steps::from_shape({B});
  rng.fill_below(batch.t.data(), B, static_cast<std::uint32_t>(s.T));
  batch.t(0) = 0;
  batch.t(1) = s.T - 1;
  q_sample(batch.x_t, batch.x0, batch.eps, batch.t, s);
  return batch;
}

// The estimate of the target space implied by the prediction, via parameterization.hpp.
Tensor2 estimate_in_space(Prediction space, const Batch& b, Prediction prediction, const NoiseSchedule& s) {
  Tensor2 x0_hat, eps_hat, out;
  predicted_x0(x0_hat, b.output, prediction, b.x_t, b.t, s);
  predicted_eps(eps_hat, b.output, prediction, b.x_t, b.t, s);
  if (space == Prediction::x0) return x0_hat;
  if (space == Prediction::eps) return eps_hat;
  v_from_x0_eps(out, x0_hat, eps_hat, b.t, s);
  return out;
}

Tensor2 truth_in_space(Prediction space, const Batch& b, const NoiseSchedule& s) {
  if (space == Prediction::x0) return b.x0;
  if (space == Prediction::eps) return b.eps;
  Tensor2 v;
  v_from_x0_eps(v, b.x0, b.eps, b.t, s);
  return v;
}

}  // namespace

TEST_CASE("the loss in any space equals the plain MSE of the converted prediction") {
  ScheduleConfig sc;
  sc.timesteps = 100;
  const NoiseSchedule s = schedule_make(sc);
  const Batch batch = make_batch(s, 32, 3, 1);
  for (Prediction prediction : {Prediction::eps, Prediction::x0, Prediction::v}) {
    for (Prediction space : {Prediction::eps, Prediction::x0, Prediction::v}) {
      LossConfig config;
      config.space = space;
      Tensor2 grad;
      const LossResult r = loss_evaluate(grad, batch.output, prediction, batch.x_t, batch.x0,
                                         batch.eps, batch.t, s, config);
      const Tensor2 estimate = estimate_in_space(space, batch, prediction, s);
      const Tensor2 truth = truth_in_space(space, batch, s);
      double mse = 0, scale = 0;
      for (std::size_t i = 0; i < estimate.size(); ++i) {
        mse += double(estimate.data()[i] - truth.data()[i]) * (estimate.data()[i] - truth.data()[i]);
        scale += double(estimate.data()[i]) * estimate.data()[i] + double(truth.data()[i]) * truth.data()[i];
      }
      mse /= estimate.size();
      // The reference rounds the converted estimate to float32: relative error ~1e-6 of the
      // squared magnitudes involved.
      CHECK(r.loss == Approx(mse).margin(1e-5 * scale / estimate.size()));
    }
  }
}

TEST_CASE("the loss gradient matches central finite differences in double precision") {
  ScheduleConfig sc;
  sc.timesteps = 50;
  const NoiseSchedule s = schedule_make(sc);
  Batch batch = make_batch(s, 8, 2, 2);
  for (Prediction prediction : {Prediction::eps, Prediction::x0, Prediction::v}) {
    for (Prediction space : {Prediction::eps, Prediction::x0, Prediction::v}) {
      for (LossWeighting weighting : {LossWeighting::none, LossWeighting::min_snr}) {
        LossConfig config{space, weighting, 5.0};
        Tensor2 grad, scratch;
        loss_evaluate(grad, batch.output, prediction, batch.x_t, batch.x0, batch.eps, batch.t, s, config);
        for (std::size_t i = 0; i < batch.output.size(); ++i) {
          // The loss is quadratic in the output: the central difference is exact up to the
          // rounding of the evaluations (float32 inputs, double sums). Step h = 1e-2 keeps the
          // rounding error (~1e-7 |loss| / h) far below the float32 gradient's own rounding.
          const float saved = batch.output.data()[i];
          const float h = 1e-2f;
          batch.output.data()[i] = saved + h;
          const double up = loss_evaluate(scratch, batch.output, prediction, batch.x_t, batch.x0, batch.eps, batch.t, s, config).loss;
          batch.output.data()[i] = saved - h;
          const double down = loss_evaluate(scratch, batch.output, prediction, batch.x_t, batch.x0, batch.eps, batch.t, s, config).loss;
          batch.output.data()[i] = saved;
          const double numeric = (up - down) / (double(saved + h) - double(saved - h));
          CHECK(grad.data()[i] == Approx(numeric).epsilon(1e-4).margin(1e-6 * (std::abs(up) + std::abs(down))));
        }
      }
    }
  }
}

TEST_CASE("min-SNR weights follow Hang et al. in each space, including at zero SNR") {
  ScheduleConfig sc;
  sc.zero_terminal_snr = true;
  const NoiseSchedule s = schedule_make(sc);
  for (int t : {0, 100, 500, 998, 999}) {
    const double snr = s.snr(t), clipped = std::min(snr, 5.0);
    LossConfig c{Prediction::eps, LossWeighting::min_snr, 5.0};
    CHECK(loss_weight(c, s, t) == Approx(snr > 0 ? clipped / snr : 1.0));
    c.space = Prediction::x0;
    CHECK(loss_weight(c, s, t) == Approx(clipped));
    c.space = Prediction::v;
    CHECK(loss_weight(c, s, t) == Approx(clipped / (snr + 1)));
    CHECK(std::isfinite(loss_weight(c, s, t)));
  }
  LossConfig none;
  CHECK(loss_weight(none, s, 10) == 1.0);
}

TEST_CASE("loss configuration errors name the value") {
  CHECK_THROWS_WITH(loss_weightings.value("p2"), Catch::Matchers::Contains("p2"));
  LossConfig c;
  c.snr_gamma = -1;
  CHECK_THROWS_WITH(loss_config_validate(c), Catch::Matchers::Contains("snr_gamma = -1"));
}
