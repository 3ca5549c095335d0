#include "diffusion/sigmas.hpp"

#include <algorithm>
#include <cmath>

#include "base/check.hpp"

namespace diffuse {

std::vector<double> schedule_sigmas(const NoiseSchedule& schedule) {
  std::vector<double> sigmas(static_cast<std::size_t>(schedule.T));
  for (std::size_t t = 0; t < sigmas.size(); ++t) {
    double ab = schedule.alpha_bar(t);
    if (ab == 0.0) ab = zero_snr_alpha_bar;
    sigmas[t] = std::sqrt((1.0 - ab) / ab);
  }
  return sigmas;
}

double alpha_bar_of_sigma(double sigma) {
  return 1.0 / (1.0 + sigma * sigma);
}

double sigma_interpolate(const std::vector<double>& sigmas, double t) {
  DIFFUSE_ASSERT(!sigmas.empty());
  const double last = static_cast<double>(sigmas.size() - 1);
  if (t <= 0.0) return sigmas.front();
  if (t >= last) return sigmas.back();
  const auto i = static_cast<std::size_t>(std::floor(t));
  const double w = t - static_cast<double>(i);
  // np.interp's form: the left value plus the slope times the distance.
  return sigmas[i] + (sigmas[i + 1] - sigmas[i]) * w;
}

double sigma_to_t(double sigma, const std::vector<double>& log_sigmas) {
  DIFFUSE_ASSERT(log_sigmas.size() >= 2);
  const double log_sigma = std::log(std::max(sigma, 1e-10));
  // The last index whose log sigma is <= log_sigma (0 if none), at most T - 2.
  std::size_t low = 0;
  for (std::size_t i = 0; i < log_sigmas.size(); ++i) {
    if (log_sigma - log_sigmas[i] >= 0.0) low = i;
  }
  low = std::min(low, log_sigmas.size() - 2);
  const double w = std::clamp((log_sigmas[low] - log_sigma) / (log_sigmas[low] - log_sigmas[low + 1]),
                              0.0, 1.0);
  return (1.0 - w) * static_cast<double>(low) + w * static_cast<double>(low + 1);
}

std::vector<double> karras_sigmas(double sigma_min, double sigma_max, int n) {
  DIFFUSE_ASSERT(n >= 1);
  constexpr double rho = 7.0;
  const double min_inv_rho = std::pow(sigma_min, 1.0 / rho);
  const double max_inv_rho = std::pow(sigma_max, 1.0 / rho);
  std::vector<double> sigmas(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const double ramp = n > 1 ? (i == n - 1 ? 1.0 : static_cast<double>(i) / (n - 1)) : 0.0;
    sigmas[static_cast<std::size_t>(i)] = std::pow(max_inv_rho + ramp * (min_inv_rho - max_inv_rho), rho);
  }
  return sigmas;
}

}  // namespace diffuse
