#include "diffusion/schedule.hpp"

#include <algorithm>
#include <cmath>

#include "base/error.hpp"

namespace diffuse {
namespace {

constexpr double pi = 3.14159265358979323846;
constexpr double cosine_max_beta = 0.999;  // diffusers' betas_for_alpha_bar(max_beta=0.999)
constexpr double cosine_offset = 0.008;    // Nichol & Dhariwal 2021, eq. 17: s = 0.008

// Evenly spaced values from a to b inclusive, as torch.linspace.
Table linspace(double a, double b, int n) {
  Table out = Table::from_shape({static_cast<std::size_t>(n)});
  for (int i = 0; i < n; ++i) out(i) = a + (b - a) * static_cast<double>(i) / (n - 1);
  return out;
}

// squaredcos_cap_v2: alpha_bar(s) = cos^2((s + 0.008) / 1.008 * pi / 2).
double cosine_alpha_bar(double s) {
  const double c = std::cos((s + cosine_offset) / (1.0 + cosine_offset) * pi / 2.0);
  return c * c;
}

bool is_probability(double beta) { return std::isfinite(beta) && beta > 0.0 && beta < 1.0; }

}  // namespace

void schedule_config_validate(const ScheduleConfig& c) {
  if (!schedule_timesteps_range.contains(c.timesteps)) {
    fail("timesteps = ", c.timesteps, " is invalid: must be an integer in [",
         schedule_timesteps_range.min, ", ", schedule_timesteps_range.max, "]");
  }
  if (c.kind != ScheduleKind::linear && c.kind != ScheduleKind::scaled_linear &&
      c.kind != ScheduleKind::cosine && c.kind != ScheduleKind::sigmoid) {
    fail("schedule kind ", static_cast<int>(c.kind), " is unknown: must be one of ",
         "linear, scaled_linear, cosine, sigmoid");
  }
  if (!schedule_beta_range.contains(c.beta_start)) {
    fail("beta_start = ", c.beta_start, " is invalid: must be a number in ", schedule_beta_range.text());
  }
  if (!schedule_beta_range.contains(c.beta_end)) {
    fail("beta_end = ", c.beta_end, " is invalid: must be a number in ", schedule_beta_range.text());
  }
  if (c.beta_start > c.beta_end) {
    fail("beta_start = ", c.beta_start, " is greater than beta_end = ", c.beta_end,
         ": must be beta_start <= beta_end");
  }
}

Table schedule_betas(const ScheduleConfig& c) {
  schedule_config_validate(c);
  const int T = c.timesteps;
  switch (c.kind) {
    case ScheduleKind::linear: return linspace(c.beta_start, c.beta_end, T);
    case ScheduleKind::scaled_linear: {
      Table root = linspace(std::sqrt(c.beta_start), std::sqrt(c.beta_end), T);
      return root * root;
    }
    case ScheduleKind::cosine: {
      Table beta = Table::from_shape({static_cast<std::size_t>(T)});
      for (int i = 0; i < T; ++i) {
        const double ratio = cosine_alpha_bar(double(i + 1) / T) / cosine_alpha_bar(double(i) / T);
        beta(i) = std::min(1.0 - ratio, cosine_max_beta);
      }
      return beta;
    }
    case ScheduleKind::sigmoid: {
      // diffusers' beta-space sigmoid: sigmoid(linspace(-6, 6, T)) * (end - start) + start.
      Table x = linspace(-6.0, 6.0, T);
      Table beta = Table::from_shape({static_cast<std::size_t>(T)});
      for (int i = 0; i < T; ++i) {
        beta(i) = 1.0 / (1.0 + std::exp(-x(i))) * (c.beta_end - c.beta_start) + c.beta_start;
      }
      return beta;
    }
  }
  fail("unknown schedule kind ", static_cast<int>(c.kind));
}

Table schedule_rescale_zero_terminal_snr(const Table& beta) {
  const std::size_t T = beta.size();
  Table sqrt_alpha_bar = Table::from_shape({T});
  double product = 1.0;
  for (std::size_t i = 0; i < T; ++i) {
    product *= 1.0 - beta(i);
    sqrt_alpha_bar(i) = std::sqrt(product);
  }
  const double first = sqrt_alpha_bar(0);
  const double last = sqrt_alpha_bar(T - 1);
  // Shift so the last value is 0, scale so the first is unchanged.
  Table alpha_bar = Table::from_shape({T});
  for (std::size_t i = 0; i < T; ++i) {
    const double s = (sqrt_alpha_bar(i) - last) * first / (first - last);
    alpha_bar(i) = s * s;
  }
  Table rescaled = Table::from_shape({T});
  rescaled(0) = 1.0 - alpha_bar(0);
  for (std::size_t i = 1; i < T; ++i) rescaled(i) = 1.0 - alpha_bar(i) / alpha_bar(i - 1);
  rescaled(T - 1) = 1.0;  // exactly: alpha_bar(T-1) is 0
  return rescaled;
}

NoiseSchedule schedule_make(const ScheduleConfig& config) {
  NoiseSchedule s;
  s.config = config;
  s.T = config.timesteps;
  s.beta = schedule_betas(config);
  if (config.zero_terminal_snr) s.beta = schedule_rescale_zero_terminal_snr(s.beta);

  const std::size_t T = static_cast<std::size_t>(s.T);
  for (std::size_t t = 0; t < T; ++t) {
    const bool terminal_one = config.zero_terminal_snr && t == T - 1;
    if (!(is_probability(s.beta(t)) || (terminal_one && s.beta(t) == 1.0))) {
      fail("beta at t = ", t, " is ", s.beta(t), " with this configuration: every beta must lie in ",
           "(0, 1) (only the last may be 1, with zero terminal SNR)");
    }
  }

  auto table = [T] { return Table::from_shape({T}); };
  s.alpha = table();
  s.alpha_bar = table();
  s.alpha_bar_prev = table();
  s.sqrt_alpha_bar = table();
  s.sqrt_one_minus_alpha_bar = table();
  s.snr = table();
  s.posterior_variance = table();
  s.posterior_log_variance_clipped = table();
  s.posterior_mean_coef1 = table();
  s.posterior_mean_coef2 = table();

  double running = 1.0;
  for (std::size_t t = 0; t < T; ++t) {
    s.alpha(t) = 1.0 - s.beta(t);
    s.alpha_bar_prev(t) = running;
    running *= s.alpha(t);
    s.alpha_bar(t) = running;
  }
  if (config.zero_terminal_snr) s.alpha_bar(T - 1) = 0.0;  // exactly, not a rounding residue

  for (std::size_t t = 0; t < T; ++t) {
    const double ab = s.alpha_bar(t);
    const double ab_prev = s.alpha_bar_prev(t);
    const double one_minus_ab = 1.0 - ab;
    if (!(one_minus_ab > 0.0)) {
      fail("beta at t = ", t, " is ", s.beta(t), ": too small for 1 - alpha_bar to be positive in ",
           "float64; use a beta_start of at least 1e-15");
    }
    s.sqrt_alpha_bar(t) = std::sqrt(ab);
    s.sqrt_one_minus_alpha_bar(t) = std::sqrt(one_minus_ab);
    s.snr(t) = ab / one_minus_ab;
    // seed 004 eq. 12: beta~_t = (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t) * beta_t
    s.posterior_variance(t) = (1.0 - ab_prev) / one_minus_ab * s.beta(t);
    // seed 004 eq. 11
    s.posterior_mean_coef1(t) = s.beta(t) * std::sqrt(ab_prev) / one_minus_ab;
    s.posterior_mean_coef2(t) = (1.0 - ab_prev) * std::sqrt(s.alpha(t)) / one_minus_ab;
  }
  // beta~_0 = 0, whose log is -inf: use beta~_1 there, as DDPM and diffusers do.
  for (std::size_t t = 0; t < T; ++t) {
    const double v = t == 0 ? s.posterior_variance(1) : s.posterior_variance(t);
    s.posterior_log_variance_clipped(t) = std::log(v);
  }
  return s;
}

std::vector<ScheduleColumn> schedule_columns(const NoiseSchedule& s) {
  return {{"beta", &s.beta},
          {"alpha", &s.alpha},
          {"alpha_bar", &s.alpha_bar},
          {"sqrt_alpha_bar", &s.sqrt_alpha_bar},
          {"sqrt_one_minus_alpha_bar", &s.sqrt_one_minus_alpha_bar},
          {"posterior_variance", &s.posterior_variance},
          {"posterior_log_variance_clipped", &s.posterior_log_variance_clipped},
          {"posterior_mean_coef1", &s.posterior_mean_coef1},
          {"posterior_mean_coef2", &s.posterior_mean_coef2},
          {"snr", &s.snr}};
}

}  // namespace diffuse
