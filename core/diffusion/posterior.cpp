#include "diffusion/posterior.hpp"

#include <cmath>

#include "diffusion/timestep_coefficients.hpp"
#include "kernels/rowwise.hpp"

namespace diffuse {

void posterior_mean(Tensor2& mean, const Tensor2& x0, const Tensor2& x_t, const Steps& t,
                    const NoiseSchedule& schedule) {
  const std::size_t B = x0.shape(0), D = x0.shape(1);
  const std::vector<float> c1 = gather_at_steps(schedule.posterior_mean_coef1, t);
  const std::vector<float> c2 = gather_at_steps(schedule.posterior_mean_coef2, t);
  mean.resize({B, D});
  kernels::rows_axpby(mean.data(), c1.data(), x0.data(), c2.data(), x_t.data(), B, D);
}

void posterior_mean_from_eps(Tensor2& mean, const Tensor2& x_t, const Tensor2& eps, const Steps& t,
                             const NoiseSchedule& schedule) {
  const std::size_t B = x_t.shape(0), D = x_t.shape(1);
  std::vector<float> a(B), c(B);
  for (std::size_t b = 0; b < B; ++b) {
    const auto i = static_cast<std::size_t>(t(b));
    const double inv_sqrt_alpha = 1.0 / std::sqrt(schedule.alpha(i));
    a[b] = static_cast<float>(inv_sqrt_alpha);
    c[b] = static_cast<float>(-inv_sqrt_alpha * schedule.beta(i) /
                              schedule.sqrt_one_minus_alpha_bar(i));
  }
  mean.resize({B, D});
  kernels::rows_axpby(mean.data(), a.data(), x_t.data(), c.data(), eps.data(), B, D);
}

}  // namespace diffuse
