#include "diffusion/denoiser.hpp"

#include <cmath>
#include <cstdint>

#include "base/error.hpp"

namespace diffuse {

void noise_level_validate(const NoiseLevel& level) {
  if (!std::isfinite(level.t)) fail("noise level t = ", level.t, " is invalid: must be finite");
  if (!(level.alpha_bar >= 0.0 && level.alpha_bar <= 1.0)) {
    fail("noise level alpha_bar = ", level.alpha_bar, " is invalid: must be in [0, 1]");
  }
}

void Denoiser::predict_at_level(Tensor2& out, const Tensor2& x_t, const NoiseLevel& level,
                                const Labels* labels, const Executor& executor) {
  noise_level_validate(level);
  if (std::floor(level.t) != level.t || std::fabs(level.t) > INT32_MAX) {
    fail("this denoiser takes integer steps only; t = ", level.t, " is not one");
  }
  predict_at(out, x_t, static_cast<int>(level.t), labels, executor);
}

void Denoiser::predict_with_variance(Tensor2&, Tensor2&, const Tensor2&, const Steps&,
                                     const Labels*, const Executor&) {
  fail("this model has no learned variance: its reverse variance is fixed (fixed_small or ",
       "fixed_large)");
}

}  // namespace diffuse
