#pragma once
// The noise schedule: beta_t and every table derived from it, built once (seed 002 section 6,
// seed 004 eq. 11-12) with the definitions of diffusers' DDPMScheduler so that numbers agree with
// the ecosystem. Index t = 0..T-1 is diffusers' index; the seeds' step is t + 1.
//
// Tables are float64. The forward process, samplers and ELBO read them and never recompute them.
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/enum_names.hpp"
#include "base/ranges.hpp"
#include "base/tensor.hpp"

namespace diffuse {

enum class ScheduleKind { linear, scaled_linear, cosine, sigmoid };

struct ScheduleConfig {
  ScheduleKind kind = ScheduleKind::linear;
  int timesteps = 1000;            // T >= 2
  double beta_start = 1e-4;        // used by linear, scaled_linear, sigmoid
  double beta_end = 0.02;          // used by linear, scaled_linear, sigmoid
  bool zero_terminal_snr = false;  // Lin et al. 2024: rescale so that alpha_bar at T-1 is exactly 0
};

// "linear", "scaled_linear", "cosine" (diffusers' squaredcos_cap_v2; that name is accepted too),
// "sigmoid". Unknown names throw an Error listing the allowed ones.
// Names (base/enum_names.hpp); the aliases after them are accepted when reading.
inline const EnumNames<ScheduleKind> schedule_kinds{"schedule",
                                                    {{ScheduleKind::linear, "linear"},
                                                     {ScheduleKind::scaled_linear, "scaled_linear"},
                                                     {ScheduleKind::cosine, "cosine"},
                                                     {ScheduleKind::sigmoid, "sigmoid"},
                                                     {ScheduleKind::cosine, "squaredcos_cap_v2"}}};

// T's allowed range, also quoted in error messages (the page's cap keeps its tables small).
inline constexpr IntRange schedule_timesteps_range{2, 100000, 4000};
// beta_start and beta_end (linear, scaled_linear, sigmoid).
inline const NumberRange schedule_beta_range{0, 1, true, true};

// Throws Error naming the first invalid field, its value and what is allowed.
void schedule_config_validate(const ScheduleConfig& config);

struct NoiseSchedule {
  ScheduleConfig config;
  int T = 0;

  // The chain, seed 002 section 6: q(x_t | x_{t-1}) = N(sqrt(alpha_t) x_{t-1}, beta_t I).
  Table beta;            // (T,)
  Table alpha;           // (T,) 1 - beta
  Table alpha_bar;       // (T,) running product of alpha
  Table alpha_bar_prev;  // (T,) alpha_bar at t - 1, and 1 at t = 0

  // The closed-form jump q(x_t | x_0) (seed 002 section 6), used by q_sample and the losses.
  Table sqrt_alpha_bar;            // (T,)
  Table sqrt_one_minus_alpha_bar;  // (T,)
  Table snr;                       // (T,) alpha_bar / (1 - alpha_bar), for min-SNR weighting

  // The posterior q(x_{t-1} | x_t, x_0) (seed 004 eq. 11-12), used by samplers and the ELBO.
  Table posterior_variance;              // (T,) beta~_t; 0 at t = 0
  Table posterior_log_variance_clipped;  // (T,) log beta~_t with the t = 0 entry set to log beta~_1
  Table posterior_mean_coef1;  // (T,) on x_0: beta_t sqrt(alpha_bar_{t-1}) / (1 - alpha_bar_t)
  Table
      posterior_mean_coef2;  // (T,) on x_t: (1 - alpha_bar_{t-1}) sqrt(alpha_t) / (1 - alpha_bar_t)
};

// The tables in their canonical order and under their canonical names (the CLI's CSV header and
// the page's plots): beta, alpha, alpha_bar, sqrt_alpha_bar, sqrt_one_minus_alpha_bar,
// posterior_variance, posterior_log_variance_clipped, posterior_mean_coef1, posterior_mean_coef2,
// snr. The pointers live as long as the schedule.
struct ScheduleColumn {
  std::string name;
  const Table* values;
};
std::vector<ScheduleColumn> schedule_columns(const NoiseSchedule& schedule);

// {"schedule": "linear", "timesteps": 1000, "beta_start": ..., "beta_end": ...,
// "zero_terminal_snr": false} for checkpoint metadata; from_json validates and names the bad field.
nlohmann::json schedule_config_to_json(const ScheduleConfig& config);
ScheduleConfig schedule_config_from_json(const nlohmann::json& json);

// Validates the configuration and builds every table. Throws Error on invalid configurations.
NoiseSchedule schedule_make(const ScheduleConfig& config);

// The raw beta sequence of each kind before rescaling (exposed for tests and plots).
Table schedule_betas(const ScheduleConfig& config);

// Rescales betas so that the terminal SNR is zero (Lin et al. 2024, Algorithm 1): shift and scale
// sqrt(alpha_bar) so that its first value is kept and its last becomes 0. The last beta becomes 1.
Table schedule_rescale_zero_terminal_snr(const Table& beta);

}  // namespace diffuse
