#pragma once
// The noise schedule seen as noise levels sigma (Karras et al. 2022, "EDM", section 2): with
// x_t = sqrt(ab) x_0 + sqrt(1 - ab) eps (seed 002 section 6, ab = alpha_bar_t), the rescaled state
// x_t / sqrt(ab) = x_0 + sigma_t eps has
//   sigma_t = sqrt((1 - ab) / ab),   and back   ab = 1 / (1 + sigma^2),
// so sqrt(ab) = 1 / sqrt(1 + sigma^2) and sqrt(1 - ab) = sigma / sqrt(1 + sigma^2). The samplers
// of diffusion/sampler_plan.hpp walk a list of sigmas; these are diffusers' helpers for making one
// (scheduling_euler_discrete.py and the schedulers that share its functions).
#include <vector>

#include "diffusion/schedule.hpp"

namespace diffuse {

// diffusers' stand-in for alpha_bar = 0 at the last step of a zero-terminal-SNR schedule
// (rescale_betas_zero_snr): 2^-24, "close to 0 without being 0 so first sigma is not inf".
inline constexpr double zero_snr_alpha_bar = 1.0 / 16777216.0;

// (T,) sigma_t for t = 0..T-1 from the schedule's alpha_bar (ascending in t), with
// zero_snr_alpha_bar in place of an alpha_bar of exactly 0.
std::vector<double> schedule_sigmas(const NoiseSchedule& schedule);

// alpha_bar at noise level sigma (>= 0): 1 / (1 + sigma^2).
double alpha_bar_of_sigma(double sigma);

// np.interp(t, [0, 1, ..., T-1], sigmas): linear in t between training steps, clamped at the ends.
double sigma_interpolate(const std::vector<double>& sigmas, double t);

// diffusers' _sigma_to_t: the (fractional) step whose sigma is `sigma`, linear in log sigma between
// the two training steps around it and clamped to [0, T-1]. log_sigmas (T,) ascending.
double sigma_to_t(double sigma, const std::vector<double>& log_sigmas);

// Karras et al. 2022 eq. 5 with rho = 7 (diffusers' _convert_to_karras): n levels from sigma_max
// down to sigma_min, evenly spaced in sigma^(1/rho). n >= 1 (n = 1 gives sigma_max).
std::vector<double> karras_sigmas(double sigma_min, double sigma_max, int n);

}  // namespace diffuse
