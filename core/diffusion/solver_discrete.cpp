// ddpm and ddim as solvers: the affine step of diffusion/sampler_config.hpp, from the list entry
// t to the next entry prev (or -1 after the last).
#include "diffusion/solvers.hpp"

namespace diffuse {
namespace {

class DiscreteSolver final : public Solver {
 public:
  DiscreteSolver(const NoiseSchedule& schedule, const SamplerConfig& config, const SamplerPlan& plan)
      : schedule_(&schedule), config_(config), plan_(plan) {}

  bool noisy(int k) const override { return coefficients(k).noise_std > 0.0; }

  void step(Tensor2& state, const Tensor2& x0_hat, const Tensor2& z, int k,
            const Executor& executor) override {
    const SamplerStepCoefficients c = coefficients(k);
    solver_combine(state, {{c.x0, &x0_hat}, {c.xt, &state}, {c.noise_std, &z}}, executor);
  }

 private:
  SamplerStepCoefficients coefficients(int k) const {
    const auto i = static_cast<std::size_t>(k);
    const int t = static_cast<int>(plan_.timesteps[i]);
    const int prev = i + 1 < plan_.timesteps.size() ? static_cast<int>(plan_.timesteps[i + 1]) : -1;
    return sampler_step_coefficients(*schedule_, config_, t, prev);
  }

  const NoiseSchedule* schedule_;
  SamplerConfig config_;
  SamplerPlan plan_;  // a copy: a sampler may be moved
};

}  // namespace

std::unique_ptr<Solver> solver_discrete(const NoiseSchedule& schedule, const SamplerConfig& config,
                                        const SamplerPlan& plan) {
  return std::make_unique<DiscreteSolver>(schedule, config, plan);
}

}  // namespace diffuse
