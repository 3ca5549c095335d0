#include "diffusion/timestep_sampler.hpp"

#include <algorithm>
#include <cmath>

#include "base/check.hpp"
#include "base/error.hpp"

namespace diffuse {

LossSecondMomentSampler::LossSecondMomentSampler(int T)
    : T_(T),
      history_(static_cast<std::size_t>(T) * loss_history_per_t, 0.0f),
      counts_(static_cast<std::size_t>(T), 0) {
  if (T < 1) fail("the timestep sampler needs T >= 1, got ", T);
}

bool LossSecondMomentSampler::warmed_up() const {
  return std::all_of(counts_.begin(), counts_.end(),
                     [](std::int32_t n) { return n == loss_history_per_t; });
}

std::vector<double> LossSecondMomentSampler::probabilities() const {
  const auto T = static_cast<std::size_t>(T_);
  std::vector<double> p(T, 1.0 / static_cast<double>(T));
  if (!warmed_up()) return p;
  double total = 0.0;
  for (std::size_t t = 0; t < T; ++t) {
    double squares = 0.0;
    for (int k = 0; k < loss_history_per_t; ++k) {
      const double v = history_[t * loss_history_per_t + static_cast<std::size_t>(k)];
      squares += v * v;
    }
    p[t] = std::sqrt(squares / loss_history_per_t);
    total += p[t];
  }
  for (double& v : p) {
    // All-zero history (a perfect model): the estimate says nothing, so uniform.
    const double share = total > 0.0 ? v / total : 1.0 / static_cast<double>(T);
    v = share * (1.0 - importance_uniform_share) + importance_uniform_share / static_cast<double>(T);
  }
  return p;
}

void LossSecondMomentSampler::draw(Steps& t, std::vector<double>& weights, const double* u) const {
  const std::size_t B = t.size();
  const std::vector<double> p = probabilities();
  std::vector<double> cumulative(p.size());
  double running = 0.0;
  for (std::size_t i = 0; i < p.size(); ++i) cumulative[i] = running += p[i];
  weights.resize(B);
  for (std::size_t b = 0; b < B; ++b) {
    // The first t whose cumulative sum exceeds u * total (total ~ 1 up to rounding).
    const double target = u[b] * running;
    const auto it = std::upper_bound(cumulative.begin(), cumulative.end(), target);
    const std::size_t i = std::min<std::size_t>(static_cast<std::size_t>(it - cumulative.begin()),
                                                p.size() - 1);
    t(b) = static_cast<std::int32_t>(i);
    weights[b] = 1.0 / (static_cast<double>(T_) * p[i]);
  }
}

void LossSecondMomentSampler::add(const Steps& t, const std::vector<double>& losses) {
  DIFFUSE_ASSERT(losses.size() == t.size());
  for (std::size_t b = 0; b < t.size(); ++b) {
    DIFFUSE_ASSERT(t(b) >= 0 && t(b) < T_);
    const auto i = static_cast<std::size_t>(t(b));
    float* row = history_.data() + i * loss_history_per_t;
    const auto value = static_cast<float>(losses[b]);
    if (counts_[i] == loss_history_per_t) {
      std::copy(row + 1, row + loss_history_per_t, row);  // drop the oldest
      row[loss_history_per_t - 1] = value;
    } else {
      row[counts_[i]++] = value;
    }
  }
}

void LossSecondMomentSampler::set_state(std::vector<float> history,
                                        std::vector<std::int32_t> counts) {
  const auto T = static_cast<std::size_t>(T_);
  if (history.size() != T * loss_history_per_t || counts.size() != T) {
    fail("the timestep sampler's saved history has ", history.size(), " values and ",
         counts.size(), " counts: expected ", T * loss_history_per_t, " and ", T);
  }
  for (std::int32_t n : counts) {
    if (n < 0 || n > loss_history_per_t) {
      fail("the timestep sampler's saved count ", n, " is invalid: must be in 0..",
           loss_history_per_t);
    }
  }
  for (float v : history) {
    if (!std::isfinite(v)) fail("the timestep sampler's saved history holds ", v);
  }
  history_ = std::move(history);
  counts_ = std::move(counts);
}

}  // namespace diffuse
