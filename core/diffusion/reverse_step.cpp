#include "diffusion/reverse_step.hpp"

#include <cmath>

#include "base/check.hpp"
#include "base/error.hpp"

namespace diffuse {

std::vector<std::string> reverse_variance_names() { return {"fixed_small", "fixed_large"}; }

ReverseVariance reverse_variance_from_name(std::string_view name) {
  if (name == "fixed_small") return ReverseVariance::fixed_small;
  if (name == "fixed_large") return ReverseVariance::fixed_large;
  fail("unknown variance '", name, "': allowed are fixed_small, fixed_large");
}

std::string reverse_variance_name(ReverseVariance variance) {
  switch (variance) {
    case ReverseVariance::fixed_small: return "fixed_small";
    case ReverseVariance::fixed_large: return "fixed_large";
  }
  fail("unknown variance ", static_cast<int>(variance), ": allowed are fixed_small, fixed_large");
}

double reverse_variance(const NoiseSchedule& schedule, ReverseVariance variance, int t) {
  DIFFUSE_ASSERT(t >= 0 && t < schedule.T);
  const auto i = static_cast<std::size_t>(t);
  return variance == ReverseVariance::fixed_small ? schedule.posterior_variance(i)
                                                  : schedule.beta(i);
}

double reverse_log_variance(const NoiseSchedule& schedule, ReverseVariance variance, int t) {
  DIFFUSE_ASSERT(t >= 0 && t < schedule.T);
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
