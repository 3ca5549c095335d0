#include "diffusion/reverse_step.hpp"

#include <cmath>

#include "base/check.hpp"
#include "base/error.hpp"

namespace diffuse {

namespace {

void require_fixed(ReverseVariance variance) {
  if (variance == ReverseVariance::learned_range) {
    fail("variance learned_range is the model's own: it needs the model's variance values");
  }
}

}  // namespace

double reverse_variance(const NoiseSchedule& schedule, ReverseVariance variance, int t) {
  DIFFUSE_ASSERT(t >= 0 && t < schedule.T);
  require_fixed(variance);
  const auto i = static_cast<std::size_t>(t);
  return variance == ReverseVariance::fixed_small ? schedule.posterior_variance(i)
                                                  : schedule.beta(i);
}

double reverse_log_variance(const NoiseSchedule& schedule, ReverseVariance variance, int t) {
  DIFFUSE_ASSERT(t >= 0 && t < schedule.T);
  require_fixed(variance);
  const auto i = static_cast<std::size_t>(t);
  if (variance == ReverseVariance::fixed_small || t == 0) {
    return schedule.posterior_log_variance_clipped(i);
  }
  return std::log(schedule.beta(i));
}

void reverse_step_check_prediction(Prediction prediction, const NoiseSchedule& schedule, int t) {
  DIFFUSE_ASSERT(t >= 0 && t < schedule.T);
  if (prediction == Prediction::eps && schedule.alpha_bar(static_cast<std::size_t>(t)) == 0.0) {
    fail("prediction eps has no x0 estimate at t = ", t, " where alpha_bar = 0 (zero terminal ",
         "SNR): x0 = (x_t - sqrt(1 - alpha_bar) eps) / sqrt(alpha_bar) divides by 0; use a v or ",
         "x0 model with zero terminal SNR");
  }
}

}  // namespace diffuse
