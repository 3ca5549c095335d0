#include "diffusion/gaussian.hpp"

#include <cmath>

#include "base/check.hpp"

namespace diffuse {
namespace {

constexpr double log_two = 0.69314718055994530942;
constexpr double log_two_pi = 1.83787706640934548356;
constexpr double sqrt_half = 0.70710678118654752440;
constexpr double log_sqrt_pi = 0.57236494292470008707;

// log erfc(x), accurate where erfc underflows: for large x,
// erfc(x) = exp(-x^2) / (x sqrt(pi)) * (1 - 1/(2x^2) + 3/(4x^4) - 15/(8x^6) + ...).
double log_erfc(double x) {
  if (x < 25.0) return std::log(std::erfc(x));
  const double inv2 = 1.0 / (x * x);
  const double series = 1.0 - 0.5 * inv2 + 0.75 * inv2 * inv2 - 1.875 * inv2 * inv2 * inv2;
  return -x * x - std::log(x) - log_sqrt_pi + std::log(series);
}

// log(1 - exp(d)) for d < 0 (Maechler 2012's log1mexp).
double log1mexp(double d) {
  return d > -log_two ? std::log(-std::expm1(d)) : std::log1p(-std::exp(d));
}

}  // namespace

double normal_kl(double mean1, double log_var1, double mean2, double log_var2) {
  const double diff = mean1 - mean2;
  return 0.5 * (log_var2 - log_var1 + std::exp(log_var1 - log_var2) +
                diff * diff * std::exp(-log_var2) - 1.0);
}

double normal_kl_dlog_var2(double mean1, double log_var1, double mean2, double log_var2) {
  const double diff = mean1 - mean2;
  return 0.5 * (1.0 - std::exp(log_var1 - log_var2) - diff * diff * std::exp(-log_var2));
}

double normal_log_density_dlog_var(double x, double mean, double log_var) {
  const double diff = x - mean;
  return -0.5 * (1.0 - diff * diff * std::exp(-log_var));
}

double normal_log_density(double x, double mean, double log_var) {
  const double diff = x - mean;
  return -0.5 * (log_two_pi + log_var + diff * diff * std::exp(-log_var));
}

double standard_normal_cdf(double z) { return 0.5 * std::erfc(-z * sqrt_half); }

double standard_normal_log_cdf(double z) {
  // Upper half: Phi(z) = 1 - Q(z) with Q(z) <= 1/2, so log1p keeps the tiny Q(z) that
  // log(Phi(z)) would round away (log Phi(10) = -7.6e-24, not 0).
  if (z > 0.0) return std::log1p(-0.5 * std::erfc(z * sqrt_half));
  return log_erfc(-z * sqrt_half) - log_two;
}

double standard_normal_log_interval(double a, double b) {
  DIFFUSE_ASSERT(a < b);
  if (a >= 0.0) {
    // Upper tail: Phi(b) - Phi(a) = Q(a) - Q(b) with Q(z) = Phi(-z).
    const double log_qa = standard_normal_log_cdf(-a);
    return log_qa + log1mexp(standard_normal_log_cdf(-b) - log_qa);
  }
  if (b <= 0.0) {
    const double log_pb = standard_normal_log_cdf(b);
    return log_pb + log1mexp(standard_normal_log_cdf(a) - log_pb);
  }
  // The interval holds 0: both tails are at most 1/2, so 1 - Q(b) - Phi(a) has no cancellation.
  return std::log1p(-(standard_normal_cdf(-b) + standard_normal_cdf(a)));
}

double discretized_gaussian_log_likelihood(double x, double mean, double log_scale, int levels) {
  DIFFUSE_ASSERT(levels >= 2);
  const double half_bin = 1.0 / (levels - 1);
  const double inv_scale = std::exp(-log_scale);
  const double upper = (x - mean + half_bin) * inv_scale;
  const double lower = (x - mean - half_bin) * inv_scale;
  if (x < -1.0 + half_bin) return standard_normal_log_cdf(upper);   // bin (-inf, -1 + half]
  if (x > 1.0 - half_bin) return standard_normal_log_cdf(-lower);   // bin [1 - half, +inf)
  return standard_normal_log_interval(lower, upper);
}

namespace {

// z phi(z) / P as sign(z) exp(log|z| + log phi(z) - log P); 0 at z = 0.
double z_density_over_mass(double z, double log_mass) {
  if (z == 0.0) return 0.0;
  const double log_phi = -0.5 * (log_two_pi + z * z);
  const double magnitude = std::exp(std::log(std::fabs(z)) + log_phi - log_mass);
  return z > 0.0 ? magnitude : -magnitude;
}

}  // namespace

double discretized_gaussian_log_likelihood_dlog_scale(double x, double mean, double log_scale,
                                                      int levels) {
  DIFFUSE_ASSERT(levels >= 2);
  const double half_bin = 1.0 / (levels - 1);
  const double inv_scale = std::exp(-log_scale);
  const double upper = (x - mean + half_bin) * inv_scale;
  const double lower = (x - mean - half_bin) * inv_scale;
  const double log_mass = discretized_gaussian_log_likelihood(x, mean, log_scale, levels);
  const bool lowest = x < -1.0 + half_bin, highest = x > 1.0 - half_bin;
  const double from_lower = lowest ? 0.0 : z_density_over_mass(lower, log_mass);
  const double from_upper = highest ? 0.0 : z_density_over_mass(upper, log_mass);
  return from_lower - from_upper;
}

}  // namespace diffuse
