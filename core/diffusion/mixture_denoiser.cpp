#include "diffusion/mixture_denoiser.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "base/check.hpp"
#include "base/error.hpp"
#include "diffusion/row_tasks.hpp"

namespace diffuse {

GaussianMixture mixture_marginal(const GaussianMixture& data, double alpha_bar) {
  GaussianMixture out = data;
  const double s = std::sqrt(alpha_bar);
  for (std::size_t k = 0; k < data.components(); ++k) {
    for (std::size_t d = 0; d < data.dims(); ++d) {
      const double var0 = data.stds(k, d) * data.stds(k, d);
      out.means(k, d) = s * data.means(k, d);
      out.stds(k, d) = std::sqrt(alpha_bar * var0 + (1.0 - alpha_bar));
    }
  }
  return out;
}

MixtureDenoiser::MixtureDenoiser(GaussianMixture data, const NoiseSchedule& schedule,
                                 Prediction prediction)
    : data_(std::move(data)), schedule_(&schedule), prediction_(prediction) {
  gaussian_mixture_validate(data_);
  if (prediction != Prediction::eps && prediction != Prediction::x0 &&
      prediction != Prediction::v) {
    fail("prediction ", static_cast<int>(prediction), " is unknown: allowed are eps, x0, v");
  }
}

void MixtureDenoiser::step_terms(StepTerms& terms, double ab) const {
  const std::size_t K = data_.components(), D = data_.dims();
  const double s = std::sqrt(ab);
  terms.alpha_bar = ab;
  terms.log_norm.resize(K);
  terms.mean.resize(K * D);
  terms.centre.resize(K * D);
  terms.precision.resize(K * D);
  terms.gain.resize(K * D);
  for (std::size_t k = 0; k < K; ++k) {
    double log_norm = std::log(data_.weights(k));
    for (std::size_t d = 0; d < D; ++d) {
      const double var0 = data_.stds(k, d) * data_.stds(k, d);
      const double var_t = ab * var0 + (1.0 - ab);
      log_norm -= 0.5 * std::log(var_t);
      terms.mean[k * D + d] = data_.means(k, d);
      terms.centre[k * D + d] = s * data_.means(k, d);
      terms.precision[k * D + d] = 1.0 / var_t;
      terms.gain[k * D + d] = s * var0 / var_t;
    }
    terms.log_norm[k] = log_norm;
  }
}

void MixtureDenoiser::row_posterior_mean(double* out, const float* x, const StepTerms& terms,
                                         int component, double* scratch) const {
  const std::size_t K = data_.components(), D = data_.dims();
  if (component >= 0) {
    const auto k = static_cast<std::size_t>(component);
    for (std::size_t d = 0; d < D; ++d) {
      const double residual = static_cast<double>(x[d]) - terms.centre[k * D + d];
      out[d] = terms.mean[k * D + d] + terms.gain[k * D + d] * residual;
    }
    return;
  }
  // Log responsibilities, unnormalized: log w_k + log N(x; sqrt(ab) mu_k, var_t,k) + const.
  double peak = -std::numeric_limits<double>::infinity();
  for (std::size_t k = 0; k < K; ++k) {
    double quadratic = 0.0;
    for (std::size_t d = 0; d < D; ++d) {
      const double diff = static_cast<double>(x[d]) - terms.centre[k * D + d];
      quadratic += diff * diff * terms.precision[k * D + d];
    }
    scratch[k] = terms.log_norm[k] - 0.5 * quadratic;
    peak = std::max(peak, scratch[k]);
  }
  double total = 0.0;
  for (std::size_t k = 0; k < K; ++k) total += scratch[k] = std::exp(scratch[k] - peak);
  std::fill(out, out + D, 0.0);
  for (std::size_t k = 0; k < K; ++k) {
    const double r = scratch[k] / total;
    for (std::size_t d = 0; d < D; ++d) {
      // E_k[x_0 | x_t] = mu_k + gain (x_t - sqrt(ab) mu_k)
      const double residual = static_cast<double>(x[d]) - terms.centre[k * D + d];
      out[d] += r * (terms.mean[k * D + d] + terms.gain[k * D + d] * residual);
    }
  }
}

void MixtureDenoiser::posterior_mean_x0(MixtureMatrix& out, const Tensor2& x_t, const Steps& t,
                                        const Labels* labels, const Executor& executor) const {
  DIFFUSE_ASSERT(t.size() == x_t.shape(0));
  std::vector<double> alpha_bar(t.size());
  for (std::size_t b = 0; b < t.size(); ++b) {
    DIFFUSE_ASSERT(t(b) >= 0 && t(b) < schedule_->T);
    alpha_bar[b] = schedule_->alpha_bar(static_cast<std::size_t>(t(b)));
  }
  posterior_mean_at(out, x_t, alpha_bar.data(), labels, executor);
}

void MixtureDenoiser::posterior_mean_at(MixtureMatrix& out, const Tensor2& x_t,
                                        const double* alpha_bar, const Labels* labels,
                                        const Executor& executor) const {
  const std::size_t B = x_t.shape(0), D = data_.dims(), K = data_.components();
  DIFFUSE_ASSERT(x_t.shape(1) == D);
  if (labels != nullptr) {
    if (labels->size() != B) fail("mixture denoiser: ", B, " rows but ", labels->size(), " labels");
    for (std::size_t b = 0; b < B; ++b) {
      if ((*labels)(b) < 0 || static_cast<std::size_t>((*labels)(b)) > K) {
        fail("mixture denoiser: label ", (*labels)(b), " is out of range: allowed are 0..", K,
             " (", K, " is the null class)");
      }
    }
  }
  out.resize({B, D});
  run_row_blocks(B, executor, [&](std::size_t first, std::size_t end) {
    std::vector<double> scratch(K);
    StepTerms terms;  // recomputed only when alpha_bar changes from one row to the next
    for (std::size_t b = first; b < end; ++b) {
      if (alpha_bar[b] != terms.alpha_bar) step_terms(terms, alpha_bar[b]);
      const int label = labels != nullptr ? (*labels)(b) : static_cast<int>(K);
      const int component = label < static_cast<int>(K) ? label : -1;
      row_posterior_mean(out.data() + b * D, x_t.data() + b * D, terms, component, scratch.data());
    }
  });
}

void MixtureDenoiser::predict(Tensor2& out, const Tensor2& x_t, const Steps& t,
                              const Labels* labels, const Executor& executor) {
  MixtureMatrix x0;
  posterior_mean_x0(x0, x_t, t, labels, executor);
  std::vector<double> sa(t.size()), sr(t.size());
  for (std::size_t b = 0; b < t.size(); ++b) {
    const auto i = static_cast<std::size_t>(t(b));
    sa[b] = schedule_->sqrt_alpha_bar(i);
    sr[b] = schedule_->sqrt_one_minus_alpha_bar(i);
  }
  prediction_from_x0(out, x0, x_t, sa.data(), sr.data(), executor);
}

void MixtureDenoiser::predict_at_level(Tensor2& out, const Tensor2& x_t, const NoiseLevel& level,
                                       const Labels* labels, const Executor& executor) {
  noise_level_validate(level);
  const std::size_t B = x_t.shape(0);
  const std::vector<double> alpha_bar(B, level.alpha_bar), sa(B, std::sqrt(level.alpha_bar)),
      sr(B, std::sqrt(1.0 - level.alpha_bar));
  MixtureMatrix x0;
  posterior_mean_at(x0, x_t, alpha_bar.data(), labels, executor);
  prediction_from_x0(out, x0, x_t, sa.data(), sr.data(), executor);
}

void MixtureDenoiser::prediction_from_x0(Tensor2& out, const MixtureMatrix& x0, const Tensor2& x_t,
                                         const double* sa, const double* sr,
                                         const Executor& executor) const {
  const std::size_t B = x_t.shape(0), D = data_.dims();
  out.resize({B, D});
  run_rows(B, executor, [&](std::size_t b) {
    const double s = sa[b], r = sr[b];
    // eps from (x_t, x0_hat), and v from (x0_hat, eps): the parameterization's coefficients.
    const AffinePair eps_of = prediction_estimates(Prediction::x0, s, r).eps;
    const AffinePair v_of = space_from_x0_eps(Prediction::v, s, r);
    for (std::size_t d = 0; d < D; ++d) {
      const double x0_hat = x0(b, d);
      const double eps = eps_of.a * static_cast<double>(x_t(b, d)) + eps_of.c * x0_hat;
      double value = x0_hat;
      if (prediction_ == Prediction::eps) value = eps;
      if (prediction_ == Prediction::v) value = v_of.a * x0_hat + v_of.c * eps;
      out(b, d) = static_cast<float>(value);
    }
  });
}

}  // namespace diffuse
