#pragma once
// Importance sampling of the training step t for L_vlb (Nichol & Dhariwal 2021, section 3.3, eq.
// 17-18): L_vlb = E_{t ~ p_t}[L_t / p_t] with p_t proportional to sqrt(E[L_t^2]), estimated from a
// history of the last 10 values of L_t seen at each t. Until every t has 10 values t stays uniform
// (the paper's warm-up); after it, p_t is that estimate normalized and mixed with a uniform share
// of 0.001, so no step's probability falls to 0 (the rule of improved-diffusion's
// LossSecondMomentResampler, resample.py: history_per_term = 10, uniform_prob = 0.001). A row
// drawn at t is weighted 1 / (T p_t), which keeps every expectation that of uniform t.
//
// The history is kept in float32 (as a checkpoint stores it), so a resumed run draws exactly the
// steps an uninterrupted one would.
#include <cstdint>
#include <vector>

#include "base/enum_names.hpp"
#include "base/tensor.hpp"

namespace diffuse {

enum class TimestepSampling { uniform, importance };

inline const EnumNames<TimestepSampling> timestep_samplings{
    "t sampling",
    {{TimestepSampling::uniform, "uniform"}, {TimestepSampling::importance, "importance"}}};

inline constexpr int loss_history_per_t = 10;
inline constexpr double importance_uniform_share = 0.001;

class LossSecondMomentSampler {
 public:
  explicit LossSecondMomentSampler(int T);

  int T() const { return T_; }
  // Every t has loss_history_per_t values.
  bool warmed_up() const;
  // p (T,): uniform before the warm-up ends; then sqrt(mean of the squared history) normalized,
  // times 1 - 0.001, plus 0.001 / T.
  std::vector<double> probabilities() const;

  // t (B,) by inversion of p's cumulative sums at the uniforms u (B,) in [0, 1), and the rows'
  // weights (B,) 1 / (T p_t).
  void draw(Steps& t, std::vector<double>& weights, const double* u) const;

  // Appends losses (B,) at steps t (B,); a full history drops its oldest value.
  void add(const Steps& t, const std::vector<double>& losses);

  // The state, for checkpoints: history (T * 10, row t holds its values oldest first) and the
  // count of values at each t (T,).
  const std::vector<float>& history() const { return history_; }
  const std::vector<std::int32_t>& counts() const { return counts_; }
  // Error unless the sizes are (T * 10) and (T,), the counts in 0..10 and the values finite.
  void set_state(std::vector<float> history, std::vector<std::int32_t> counts);

 private:
  int T_;
  std::vector<float> history_;        // (T, 10)
  std::vector<std::int32_t> counts_;  // (T,)
};

}  // namespace diffuse
