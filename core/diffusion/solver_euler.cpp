// euler and euler_a (diffusion/solvers.hpp): one derivative per call, in sigma space.
#include <algorithm>
#include <cmath>

#include "diffusion/solvers.hpp"

namespace diffuse {
namespace {

class EulerSolver final : public Solver {
 public:
  EulerSolver(const SamplerPlan& plan, bool ancestral) : plan_(plan), ancestral_(ancestral) {}

  bool noisy(int k) const override { return ancestral_ && levels(k).up > 0.0; }

  void step(Tensor2& state, const Tensor2& x0_hat, const Tensor2& z, int k,
            const Executor& executor) override {
    const Levels l = levels(k);
    // y + (target - sigma) (y - x0_hat) / sigma = (target / sigma) y + (1 - target / sigma) x0_hat
    const double ratio = l.target / l.sigma;
    solver_combine(state, {{ratio, &state}, {1.0 - ratio, &x0_hat}, {l.up, &z}}, executor);
  }

 private:
  struct Levels {
    double sigma, target, up;  // from sigma to target (sigma_down), plus noise of std up
  };
  Levels levels(int k) const {
    const auto i = static_cast<std::size_t>(k);
    const double from = plan_.sigmas[i], to = plan_.sigmas[i + 1];
    if (!ancestral_) return {from, to, 0.0};
    // sigma_down = sqrt(to^2 - up^2) = to^2 / from and up = to sqrt(from^2 - to^2) / from, in the
    // form that keeps its digits when from >> to (the cosine schedule's sigma reaches 2e4).
    const double up = to * std::sqrt(std::max(0.0, from * from - to * to)) / from;
    return {from, to * to / from, up};
  }

  SamplerPlan plan_;  // a copy: a sampler may be moved
  bool ancestral_;
};

}  // namespace

std::unique_ptr<Solver> solver_euler(const SamplerPlan& plan, bool ancestral) {
  return std::make_unique<EulerSolver>(plan, ancestral);
}

}  // namespace diffuse
