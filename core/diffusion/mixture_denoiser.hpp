#pragma once
// The exact (oracle) denoiser for a Gaussian-mixture data distribution: the MMSE prediction
// E[x_0 | x_t] that a perfectly trained network would output, reported as eps, x0 or v. It checks
// samplers and the ELBO without training.
//
// With x_t = sqrt(ab) x_0 + sqrt(1 - ab) eps (seed 002 section 6, ab = alpha_bar_t) and
// x_0 ~ sum_k w_k N(mu_k, S_k), S_k = diag(s_k^2):
//   q(x_t) = sum_k w_k N(sqrt(ab) mu_k, ab S_k + (1 - ab) I)                     (mixture_marginal)
//   r_k(x_t) = w_k N(x_t; sqrt(ab) mu_k, ab S_k + (1 - ab) I) / q(x_t)     (log-sum-exp, float64)
//   E_k[x_0 | x_t] = mu_k + sqrt(ab) S_k (ab S_k + (1 - ab) I)^{-1} (x_t - sqrt(ab) mu_k)
//   E[x_0 | x_t] = sum_k r_k(x_t) E_k[x_0 | x_t]
// then eps = (x_t - sqrt(ab) x0) / sqrt(1 - ab) and v = sqrt(ab) eps - sqrt(1 - ab) x0
// (diffusion/parameterization.hpp). Where ab = 0 (zero terminal SNR) E[x_0 | x_t] is the data mean.
//
// Classes: the components. Label k < K conditions on component k, so E[x_0 | x_t, k] = E_k[x_0 | x_t]
// (responsibility 1 for k); the null class K (or no labels) is the whole mixture. So the exact
// conditional and unconditional predictions, and with them classifier-free guidance, are known.
#include <vector>

#include "data/gaussian_mixture.hpp"
#include "diffusion/denoiser.hpp"
#include "diffusion/schedule.hpp"

namespace diffuse {

// The distribution of x_t when x_0 follows `data`: means sqrt(ab) mu_k, stds
// sqrt(ab s_k^2 + 1 - ab).
GaussianMixture mixture_marginal(const GaussianMixture& data, double alpha_bar);

class MixtureDenoiser final : public Denoiser {
 public:
  // The schedule must outlive the denoiser (its tables are read, never copied or recomputed).
  MixtureDenoiser(GaussianMixture data, const NoiseSchedule& schedule, Prediction prediction);

  std::size_t data_dim() const override { return data_.dims(); }
  Prediction prediction() const override { return prediction_; }
  std::size_t classes() const override { return data_.components(); }
  const GaussianMixture& data() const { return data_; }

  // out (B, D): E[x_0 | x_t, label] at each row's step, converted to the configured prediction.
  using Denoiser::predict;
  void predict(Tensor2& out, const Tensor2& x_t, const Steps& t, const Labels* labels,
               const Executor& executor) override;
  // At the level's alpha_bar (its t is ignored): the exact prediction at any noise level, so
  // samplers that interpolate between training steps are checked against the exact ODE.
  void predict_at_level(Tensor2& out, const Tensor2& x_t, const NoiseLevel& level,
                        const Labels* labels, const Executor& executor) override;

  // out (B, D): E[x_0 | x_t, label] in float64 for rows x_t (B, D) at steps t (B,), labels (B,)
  // or nullptr (the whole mixture).
  void posterior_mean_x0(MixtureMatrix& out, const Tensor2& x_t, const Steps& t,
                         const Labels* labels, const Executor& executor) const;

 private:
  // What E[x_0 | x_t] needs at one step t, per component k and dimension d (K * D each).
  struct StepTerms {
    double alpha_bar = -1.0;
    std::vector<double> log_norm;   // (K,) log w_k - sum_d log(var_t,kd) / 2
    std::vector<double> mean;       // (K, D) mu_kd
    std::vector<double> centre;     // (K, D) sqrt(ab) mu_kd
    std::vector<double> precision;  // (K, D) 1 / var_t,kd, var_t = ab s_kd^2 + 1 - ab
    std::vector<double> gain;       // (K, D) sqrt(ab) s_kd^2 / var_t,kd
  };
  void step_terms(StepTerms& terms, double alpha_bar) const;
  // posterior_mean_x0 with row b at alpha_bar[b].
  void posterior_mean_at(MixtureMatrix& out, const Tensor2& x_t, const double* alpha_bar,
                         const Labels* labels, const Executor& executor) const;
  // out (B, D): the configured prediction from x0 (B, D), row b at (sqrt(ab), sqrt(1 - ab)) =
  // (sa[b], sr[b]).
  void prediction_from_x0(Tensor2& out, const MixtureMatrix& x0, const Tensor2& x_t,
                          const double* sa, const double* sr, const Executor& executor) const;
  // E[x_0 | x_t] for one row x (D,) at terms.alpha_bar, of the whole mixture (component < 0) or of one
  // component; scratch holds K values.
  void row_posterior_mean(double* out, const float* x, const StepTerms& terms, int component,
                          double* scratch) const;

  GaussianMixture data_;
  const NoiseSchedule* schedule_;
  Prediction prediction_;
};

}  // namespace diffuse
