#include "diffusion/forward_process.hpp"

#include <cmath>

#include "diffusion/timestep_coefficients.hpp"
#include "kernels/rowwise.hpp"

namespace diffuse {

void q_sample(Tensor2& x_t, const Tensor2& x0, const Tensor2& eps, const Steps& t,
              const NoiseSchedule& schedule) {
  const std::size_t B = x0.shape(0), D = x0.shape(1);
  const std::vector<float> a = gather_at_steps(schedule.sqrt_alpha_bar, t);
  const std::vector<float> c = gather_at_steps(schedule.sqrt_one_minus_alpha_bar, t);
  x_t.resize({B, D});
  kernels::rows_axpby(x_t.data(), a.data(), x0.data(), c.data(), eps.data(), B, D);
}

void q_step(Tensor2& x_t, const Tensor2& x_prev, const Tensor2& eps, const Steps& t,
            const NoiseSchedule& schedule) {
  const std::size_t B = x_prev.shape(0), D = x_prev.shape(1);
  std::vector<float> a(B), c(B);
  for (std::size_t b = 0; b < B; ++b) {
    const auto i = static_cast<std::size_t>(t(b));
    a[b] = static_cast<float>(std::sqrt(schedule.alpha(i)));
    c[b] = static_cast<float>(std::sqrt(schedule.beta(i)));
  }
  x_t.resize({B, D});
  kernels::rows_axpby(x_t.data(), a.data(), x_prev.data(), c.data(), eps.data(), B, D);
}

}  // namespace diffuse
