// unipc (diffusion/solvers.hpp): UniPC-2 with B(h) = e^h - 1 ("bh2") in the data-prediction form,
// as diffusers' UniPCMultistepScheduler with its defaults. With hh = -h (h = lambda' - lambda of
// the step), phi = e^hh - 1 and B = e^hh - 1:
//   predictor UniP of order p from state x at level s0 to level t, m0 = this call's x0_hat:
//     x_t = (s_t / s_s0) x - alpha_t phi m0 - alpha_t B (p = 2: 0.5 D1, p = 1: 0),
//     D1 = (m1 - m0) / r1, r1 = (lambda_{s1} - lambda_{s0}) / h, m1 the previous call's x0_hat;
//   corrector UniC of order p (the order of the step it corrects), on the step from the last
//   state x_last at level s0 to this call's level t, with m_t this call's x0_hat:
//     x_t^c = (s_t / s_s0) x_last - alpha_t phi m0 - alpha_t B (rho_1 D1 [p = 2] + rho_p (m_t - m0))
//     with rho = 1/2 for p = 1 and, for p = 2, the solution of [[1, 1], [r1, 1]] rho = (b1, b2),
//     b1 = (phi / hh - 1) / B, b2 = 2 ((phi / hh - 1) / hh - 1/2) / B.
// Orders: p_k = min(2, calls - k, k + 1): first order on the first and the last step.
#include <algorithm>
#include <cmath>

#include "diffusion/solvers.hpp"

namespace diffuse {
namespace {

struct StepTerms {
  LevelTerms from, to;
  double h, phi;  // h = lambda_to - lambda_from; phi = B = expm1(-h)
};

StepTerms step_terms(double sigma_from, double sigma_to) {
  StepTerms s{level_terms(sigma_from), level_terms(sigma_to), 0.0, 0.0};
  s.h = s.to.lambda - s.from.lambda;
  s.phi = std::expm1(-s.h);
  return s;
}

class UniPcSolver final : public Solver {
 public:
  explicit UniPcSolver(const SamplerPlan& plan) : plan_(plan) {}

  bool noisy(int) const override { return false; }

  void step(Tensor2& state, const Tensor2& x0_hat, const Tensor2& z, int k,
            const Executor& executor) override {
    (void)z;
    if (k > 0) correct(state, x0_hat, k, executor);
    // The history: m1 <- m0 <- this call's estimate.
    std::swap(m1_, m0_);
    m0_ = x0_hat;
    order_ = std::min({2, plan_.calls() - k, k + 1});
    last_state_ = state;
    predict(state, k, executor);
  }

 private:
  double lambda_at(int k) const { return level_terms(plan_.sigmas[static_cast<std::size_t>(k)]).lambda; }

  // UniP from level k to k + 1 (m0_ is call k's estimate, m1_ call k - 1's).
  void predict(Tensor2& state, int k, const Executor& executor) const {
    const auto i = static_cast<std::size_t>(k);
    const StepTerms s = step_terms(plan_.sigmas[i], plan_.sigmas[i + 1]);
    if (s.to.s == 0.0) {  // the limit h -> infinity (first order): x_t = m0
      state = m0_;
      return;
    }
    const double c_m0 = -s.to.alpha * s.phi;
    if (order_ == 1) {
      solver_combine(state, {{s.to.s / s.from.s, &state}, {c_m0, &m0_}}, executor);
      return;
    }
    // - alpha_t B 0.5 (m1 - m0) / r1
    const double r1 = (lambda_at(k - 1) - s.from.lambda) / s.h;
    const double c_d1 = -s.to.alpha * s.phi * 0.5 / r1;
    solver_combine(state, {{s.to.s / s.from.s, &state}, {c_m0 - c_d1, &m0_}, {c_d1, &m1_}},
                   executor);
  }

  // UniC of the last step (from level k - 1 to k, of order order_), with call k's estimate m_t:
  // replaces state (the predictor's result at level k).
  void correct(Tensor2& state, const Tensor2& m_t, int k, const Executor& executor) const {
    const auto i = static_cast<std::size_t>(k);
    const StepTerms s = step_terms(plan_.sigmas[i - 1], plan_.sigmas[i]);
    const double hh = -s.h, B = s.phi;
    const double b1 = (s.phi / hh - 1.0) / B;
    const double b2 = 2.0 * ((s.phi / hh - 1.0) / hh - 0.5) / B;
    double rho_d1 = 0.0, rho_t = 0.5, r1 = 1.0;
    if (order_ == 2) {
      r1 = (lambda_at(k - 2) - s.from.lambda) / s.h;
      rho_d1 = (b1 - b2) / (1.0 - r1);
      rho_t = b1 - rho_d1;
    }
    // x_last (s_t / s_s0) - alpha_t phi m0 - alpha_t B (rho_d1 (m1 - m0) / r1 + rho_t (m_t - m0))
    const double a = -s.to.alpha * B;
    const double c_m1 = a * rho_d1 / r1;
    const double c_mt = a * rho_t;
    const double c_m0 = -s.to.alpha * s.phi - c_m1 - c_mt;
    solver_combine(state, {{s.to.s / s.from.s, &last_state_},
                           {c_m0, &m0_},
                           {c_m1, &m1_},
                           {c_mt, &m_t}},
                   executor);
  }

  SamplerPlan plan_;  // a copy: a sampler may be moved
  Tensor2 m0_, m1_;    // (n, D) the estimates of the last two calls (m0 the latest)
  Tensor2 last_state_; // (n, D) the state the last predictor step started from
  int order_ = 1;      // the order of the last predictor step
};

}  // namespace

std::unique_ptr<Solver> solver_unipc(const SamplerPlan& plan) {
  return std::make_unique<UniPcSolver>(plan);
}

}  // namespace diffuse
