#include "diffusion/solvers.hpp"

#include <cmath>
#include <limits>
#include <vector>

#include "base/check.hpp"
#include "diffusion/row_tasks.hpp"

namespace diffuse {

std::unique_ptr<Solver> solver_make(const NoiseSchedule& schedule, const SamplerConfig& config,
                                    const SamplerPlan& plan) {
  switch (config.kind) {
    case SamplerKind::ddpm:
    case SamplerKind::ddim:
      return solver_discrete(schedule, config, plan);
    case SamplerKind::euler:
      return solver_euler(plan, false);
    case SamplerKind::euler_a:
      return solver_euler(plan, true);
    case SamplerKind::heun:
      return solver_heun(plan);
    case SamplerKind::dpmpp_2m:
      return solver_dpm(plan, false);
    case SamplerKind::dpmpp_2m_sde:
      return solver_dpm(plan, true);
    case SamplerKind::unipc:
      return solver_unipc(plan);
  }
  DIFFUSE_ASSERT(false);
  return nullptr;
}

void solver_combine(Tensor2& out, std::initializer_list<SolverTerm> terms,
                    const Executor& executor) {
  std::vector<SolverTerm> used;
  for (const SolverTerm& term : terms) {
    if (term.c == 0.0) continue;
    DIFFUSE_ASSERT(term.x->size() == out.size());
    used.push_back(term);
  }
  const std::size_t D = out.shape(1);
  run_rows(out.shape(0), executor, [&](std::size_t b) {
    for (std::size_t i = b * D; i < (b + 1) * D; ++i) {
      double value = 0.0;
      for (const SolverTerm& term : used) value += term.c * term.x->data()[i];
      out.data()[i] = static_cast<float>(value);
    }
  });
}

LevelTerms level_terms(double sigma) {
  const double alpha = 1.0 / std::sqrt(1.0 + sigma * sigma);
  const double s = sigma * alpha;
  const double lambda =
      sigma == 0.0 ? std::numeric_limits<double>::infinity() : std::log(alpha) - std::log(s);
  return {alpha, s, lambda};
}

}  // namespace diffuse
