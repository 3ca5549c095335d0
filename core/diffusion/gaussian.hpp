#pragma once
// Scalar Gaussian identities the ELBO is made of (seed 004 eq. 5-10), in float64.
// Diagonal Gaussians factor over dimensions, so callers sum these per element.

namespace diffuse {

// KL(N(m1, exp(lv1)) || N(m2, exp(lv2))) for one dimension, in nats:
//   0.5 * (lv2 - lv1 + exp(lv1 - lv2) + (m1 - m2)^2 exp(-lv2) - 1).
double normal_kl(double mean1, double log_var1, double mean2, double log_var2);

// log N(x; mean, exp(log_var)) for one dimension, in nats.
double normal_log_density(double x, double mean, double log_var);

// d normal_kl / d log_var2: 0.5 (1 - exp(lv1 - lv2) - (m1 - m2)^2 exp(-lv2)), the gradient that
// trains a learned reverse variance (diffusion/learned_variance.hpp).
double normal_kl_dlog_var2(double mean1, double log_var1, double mean2, double log_var2);

// d normal_log_density / d log_var: -0.5 (1 - (x - mean)^2 exp(-log_var)).
double normal_log_density_dlog_var(double x, double mean, double log_var);

// Phi(z), the standard normal CDF, and log Phi(z) accurate far into both tails.
double standard_normal_cdf(double z);
double standard_normal_log_cdf(double z);

// log (Phi(b) - Phi(a)) for a < b, without cancellation in either tail.
double standard_normal_log_interval(double a, double b);

// The DDPM decoder L0 for data quantized to `levels` evenly spaced values on [-1, 1]
// (256 for 8-bit images, 17 for the 8x8 digits): the log of the Gaussian mass of x's bin,
// bin half-width 1 / (levels - 1), with the outermost bins extended to -inf and +inf
// (Ho et al. 2020, section 3.3). `log_scale` is the log standard deviation.
double discretized_gaussian_log_likelihood(double x, double mean, double log_scale, int levels);

// Its derivative in log_scale. With the bin's standardized edges l < u (z = (edge - mean) / scale,
// so dz / dlog_scale = -z) and phi the standard normal density:
//   d log(Phi(u) - Phi(l)) / dlog_scale = (l phi(l) - u phi(u)) / (Phi(u) - Phi(l)),
// an infinite edge contributing 0; each ratio is formed in log space, so it stays finite in the
// tails where the mass underflows.
double discretized_gaussian_log_likelihood_dlog_scale(double x, double mean, double log_scale,
                                                      int levels);

}  // namespace diffuse
