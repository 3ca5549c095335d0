// dpmpp_2m and dpmpp_2m_sde (diffusion/solvers.hpp): DPM-Solver++(2M), multistep, midpoint form,
// first order on the first call and on the last (diffusers' lower_order_final with a final sigma
// of zero).
#include <cmath>

#include "diffusion/solvers.hpp"

namespace diffuse {
namespace {

class DpmSolver final : public Solver {
 public:
  DpmSolver(const SamplerPlan& plan, bool sde) : plan_(plan), sde_(sde) {}

  // The SDE form's noise vanishes on the step to sigma = 0.
  bool noisy(int k) const override {
    return sde_ && plan_.sigmas[static_cast<std::size_t>(k) + 1] > 0.0;
  }

  void step(Tensor2& state, const Tensor2& x0_hat, const Tensor2& z, int k,
            const Executor& executor) override {
    const auto i = static_cast<std::size_t>(k);
    const LevelTerms now = level_terms(plan_.sigmas[i]), next = level_terms(plan_.sigmas[i + 1]);
    const bool last = k + 1 == plan_.calls();
    if (next.s == 0.0) {
      state = x0_hat;  // the limit h -> infinity of either order: x' = x0_hat
    } else {
      const double h = next.lambda - now.lambda;
      // D = D0 + D1 / 2 = (1 + 1 / (2r)) x0_hat - (1 / (2r)) m1 at second order, x0_hat at first.
      double c_m1 = 0.0;
      if (have_previous_ && !last) {
        const double r = (now.lambda - previous_lambda_) / h;
        c_m1 = -0.5 / r;
      }
      if (!sde_) {
        const double c_d = -next.alpha * std::expm1(-h);  // -alpha' (e^-h - 1)
        solver_combine(state, {{next.s / now.s, &state},
                               {c_d * (1.0 - c_m1), &x0_hat},
                               {c_d * c_m1, &previous_}},
                       executor);
      } else {
        const double c_d = -next.alpha * std::expm1(-2.0 * h);  // alpha' (1 - e^-2h)
        const double c_z = next.s * std::sqrt(-std::expm1(-2.0 * h));
        solver_combine(state, {{next.s / now.s * std::exp(-h), &state},
                               {c_d * (1.0 - c_m1), &x0_hat},
                               {c_d * c_m1, &previous_},
                               {c_z, &z}},
                       executor);
      }
    }
    previous_ = x0_hat;
    previous_lambda_ = now.lambda;
    have_previous_ = true;
  }

 private:
  SamplerPlan plan_;  // a copy: a sampler may be moved
  bool sde_;
  Tensor2 previous_;  // (n, D) the last call's x0_hat (m1)
  double previous_lambda_ = 0.0;
  bool have_previous_ = false;
};

}  // namespace

std::unique_ptr<Solver> solver_dpm(const SamplerPlan& plan, bool sde) {
  return std::make_unique<DpmSolver>(plan, sde);
}

}  // namespace diffuse
