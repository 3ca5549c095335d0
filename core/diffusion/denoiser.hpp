#pragma once
// What samplers and the ELBO need from a model: its prediction (eps, x0 or v) for noisy rows at
// given steps, optionally for given class labels. Any network becomes one through
// diffusion/network_denoiser.hpp; classifier-free guidance wraps one (diffusion/guidance.hpp);
// tests also use analytic denoisers (the exact optimal prediction for a Gaussian mixture), which is
// how samplers and the ELBO are checked independently of training.
#include <cstddef>

#include "base/executor.hpp"
#include "base/tensor.hpp"
#include "diffusion/parameterization.hpp"

namespace diffuse {

// Where a sampler evaluates the model: the step t the network embeds, fractional for samplers that
// interpolate between training steps (Euler and Heun, as diffusers passes them), and the alpha_bar
// the sampler assigns to that point (1 / (1 + sigma^2) for its sigma; diffusion/sampler_plan.hpp).
// A network only sees t; an analytic denoiser only alpha_bar.
struct NoiseLevel {
  double t = 0.0;
  double alpha_bar = 1.0;
};

// Throws Error unless t is finite and alpha_bar in [0, 1].
void noise_level_validate(const NoiseLevel& level);

class Denoiser {
 public:
  virtual ~Denoiser() = default;

  virtual std::size_t data_dim() const = 0;   // D
  virtual Prediction prediction() const = 0;  // what predict() returns: eps, x0 or v
  // K: labels are 0..K-1 and K is the null class (no class); 0 for an unconditional model.
  virtual std::size_t classes() const { return 0; }

  // out (B, D): the prediction for rows x_t (B, D), row b at step t(b) (diffusers' index) and of
  // class labels(b) (labels (B,), or nullptr: the null class for every row).
  virtual void predict(Tensor2& out, const Tensor2& x_t, const Steps& t, const Labels* labels,
                       const Executor& executor) = 0;

  // The same with every row at one step t, as samplers call it; models may share the work that
  // depends only on t (the time embedding's contribution to the first layer).
  virtual void predict_at(Tensor2& out, const Tensor2& x_t, int t, const Labels* labels,
                          const Executor& executor) {
    Steps steps = Steps::from_shape({x_t.shape(0)});
    steps.fill(t);
    predict(out, x_t, steps, labels, executor);
  }

  // The prediction for every row at a sampler's noise level. The default takes integer t only
  // (predict_at, whose alpha_bar is the schedule's at t) and throws Error for fractional t.
  virtual void predict_at_level(Tensor2& out, const Tensor2& x_t, const NoiseLevel& level,
                                const Labels* labels, const Executor& executor);

  // Improved DDPM's learned variance (diffusion/learned_variance.hpp): whether the model also
  // gives variance values o beside its prediction.
  virtual bool learned_variance() const { return false; }
  // out (B, D) as predict, and o (B, D) the variance values of the same rows. The default throws
  // Error: the model has none.
  virtual void predict_with_variance(Tensor2& out, Tensor2& o, const Tensor2& x_t, const Steps& t,
                                     const Labels* labels, const Executor& executor);

  // Without labels.
  void predict(Tensor2& out, const Tensor2& x_t, const Steps& t, const Executor& executor) {
    predict(out, x_t, t, nullptr, executor);
  }
  void predict_at(Tensor2& out, const Tensor2& x_t, int t, const Executor& executor) {
    predict_at(out, x_t, t, nullptr, executor);
  }
};

}  // namespace diffuse
