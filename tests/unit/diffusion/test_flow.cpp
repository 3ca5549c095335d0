// Flow matching (diffusion/flow.hpp) against independent computations: the shift's formula, the
// training levels diffusers' FlowMatchEulerDiscreteScheduler lists, the loss's gradient by finite
// differences, the sampling plan's levels written out by hand, and the flow samplers on Gaussian
// data, whose exact velocity field and exact ODE map (x_0 = m + s z) are known in closed form:
// Euler converges at order 1 and Heun at order 2.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "base/rng.hpp"
#include "diffusion/flow.hpp"
#include "diffusion/sampler.hpp"
#include "diffusion/trainer.hpp"

using namespace diffuse;

TEST_CASE("the shift maps s to shift s / (1 + (shift - 1) s) and keeps 0 and 1") {
  CHECK(flow_shift_level(0.5, 1.0) == 0.5);
  CHECK(flow_shift_level(0.5, 3.0) == Approx(0.75));
  CHECK(flow_shift_level(1.0, 3.0) == 1.0);
  CHECK(flow_shift_level(0.0, 3.0) == 0.0);
  // diffusers' training sigmas: linspace(1, T, T)[::-1] / T, shifted: index i <-> (i + 1) / T.
  CHECK(flow_train_level(999, 1000, 1.0) == 1.0);
  CHECK(flow_train_level(0, 1000, 1.0) == Approx(0.001));
  CHECK(flow_train_level(499, 1000, 3.0) == Approx(3 * 0.5 / (1 + 2 * 0.5)));
}

TEST_CASE("the flow loss is the MSE to eps - x0, and its gradient matches finite differences") {
  Tensor2 out = Tensor2::from_shape({3, 2}), x0 = out, eps = out, grad;
  Rng rng(4);
  rng.fill_normal(out.data(), out.size());
  rng.fill_normal(x0.data(), x0.size());
  rng.fill_normal(eps.data(), eps.size());
  const LossResult r = flow_loss_evaluate(grad, out, x0, eps);
  double want = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const double e = double(out.data()[i]) - (double(eps.data()[i]) - double(x0.data()[i]));
    want += e * e / out.size();
  }
  CHECK(r.loss == Approx(want).epsilon(1e-12));
  for (std::size_t i = 0; i < out.size(); ++i) {
    Tensor2 up = out, down = out, scratch;
    const float h = 1e-2f;
    up.data()[i] += h;
    down.data()[i] -= h;
    // The loss is quadratic: the central difference is exact up to float rounding of the inputs.
    const double fd = (flow_loss_evaluate(scratch, up, x0, eps).loss -
                       flow_loss_evaluate(scratch, down, x0, eps).loss) / (2 * h);
    CHECK(grad.data()[i] == Approx(fd).margin(1e-5));
  }
  // x_s = (1 - s) x0 + s eps, row by row.
  Tensor2 x_t;
  const std::vector<double> s = {0.0, 0.25, 1.0};
  flow_interpolate(x_t, x0, eps, s.data());
  CHECK(x_t(0, 1) == x0(0, 1));
  CHECK(x_t(1, 0) == Approx(0.75 * x0(1, 0) + 0.25 * eps(1, 0)));
  CHECK(x_t(2, 1) == eps(2, 1));
}

TEST_CASE("the flow plans are diffusers' FlowMatchEuler and FlowMatchHeun levels") {
  const NoiseSchedule sch = schedule_make({});
  SamplerConfig c;
  c.flow = true;
  c.kind = SamplerKind::euler;
  c.steps = 4;
  // np.linspace(1000, 1, 4) / 1000 = 1, 0.667, 0.334, 0.001; then 0.
  SamplerPlan plan = sampler_plan(sch, c);
  REQUIRE(plan.sigmas.size() == 5);
  CHECK(plan.sigmas[1] == Approx(0.667).epsilon(1e-6));
  CHECK(plan.sigmas[3] == Approx(0.001).epsilon(1e-6));
  CHECK(plan.timesteps[2] == Approx(334).epsilon(1e-6));
  CHECK(plan.init_noise_sigma == 1.0);
  CHECK(plan.flow);
  c.flow_shift = 3.0;
  plan = sampler_plan(sch, c);
  // The smallest level is shifted twice, as diffusers does: shift(shift(1 / T) T / T).
  const double lowest = flow_shift_level(flow_shift_level(0.001, 3.0), 3.0);
  CHECK(plan.sigmas[3] == Approx(lowest).epsilon(1e-6));
  CHECK(plan.sigmas[1] == Approx(flow_shift_level((1000 + (flow_shift_level(0.001, 3.0) * 1000 - 1000) / 3) / 1000, 3.0)).epsilon(1e-6));
  c.kind = SamplerKind::heun;
  c.flow_shift = 1.0;
  plan = sampler_plan(sch, c);
  CHECK(plan.calls() == 7);
  CHECK(plan.sigmas[1] == plan.sigmas[2]);
  c.kind = SamplerKind::ddim;
  CHECK_THROWS_WITH(sampler_plan(sch, c), Catch::Contains("euler or heun"));
}

namespace {

// The exact velocity E[eps - x_0 | x_s] for x_0 ~ N(m, v) per coordinate: with
// x_s = (1 - s) x_0 + s eps, var = (1 - s)^2 v + s^2,
//   E[x_0 | x] = m + (1 - s) v (x - (1 - s) m) / var,   E[eps | x] = s (x - (1 - s) m) / var.
// The level's t is s T (T = 1000).
class GaussianVelocity final : public Denoiser {
 public:
  GaussianVelocity(double m, double v) : m_(m), v_(v) {}
  std::size_t data_dim() const override { return 1; }
  Prediction prediction() const override { return Prediction::eps; }  // unused by flow sampling
  void predict(Tensor2&, const Tensor2&, const Steps&, const Labels*, const Executor&) override {
    FAIL("the flow sampler calls predict_at_level");
  }
  void predict_at_level(Tensor2& out, const Tensor2& x, const NoiseLevel& level, const Labels*,
                        const Executor&) override {
    const double s = level.t / 1000.0, var = (1 - s) * (1 - s) * v_ + s * s;
    out.resize(x.shape());
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double r = x.data()[i] - (1 - s) * m_;
      out.data()[i] = static_cast<float>(s * r / var - (m_ + (1 - s) * v_ * r / var));
    }
  }

 private:
  double m_, v_;
};

}  // namespace

TEST_CASE("flow Euler and Heun converge to the exact map x_0 = m + s z at orders 1 and 2") {
  const NoiseSchedule sch = schedule_make({});
  const double m = 0.7, sd = 0.3;
  GaussianVelocity model(m, sd * sd);
  Tensor2 z = Tensor2::from_shape({5, 1});
  for (std::size_t i = 0; i < 5; ++i) z.data()[i] = -2.0f + static_cast<float>(i);
  for (const auto& [kind, order] : {std::pair{SamplerKind::euler, 1.0}, std::pair{SamplerKind::heun, 2.0}}) {
    std::vector<double> errors;
    for (int N : {8, 16, 32}) {
      SamplerConfig c;
      c.flow = true;
      c.kind = kind;
      c.steps = N;
      Sampler sampler(model, sch, c, z, 0);
      while (!sampler.done()) sampler.step();
      // The ODE carries z at s = 1 to the marginal's own quantile at every s (in 1D the flow is the
      // monotone map): x_s = (1 - s) m + sqrt(var_s) z. The samplers run to the last level
      // s_min = 0.001 and return E[x_0 | x_{s_min}] there.
      double worst = 0;
      for (std::size_t i = 0; i < 5; ++i) {
        const double smin = sampler.plan().sigmas[sampler.plan().sigmas.size() - 2];
        const double var = (1 - smin) * (1 - smin) * sd * sd + smin * smin;
        const double x_at = (1 - smin) * m + std::sqrt(var) * z.data()[i];
        const double want = m + (1 - smin) * sd * sd * (x_at - (1 - smin) * m) / var;
        worst = std::max(worst, std::fabs(sampler.x().data()[i] - want));
      }
      errors.push_back(worst);
    }
    const double slope = std::log2(errors[1] / errors[2]);
    INFO("flow " << sampler_kinds.name(kind) << ": errors " << errors[0] << ", " << errors[1] << ", " << errors[2]);
    CHECK(std::fabs(slope - order) < 0.25);
  }
}
