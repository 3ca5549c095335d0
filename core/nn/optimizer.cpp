#include "nn/optimizer.hpp"

#include <cmath>
#include <utility>

#include "base/error.hpp"
#include "kernels/optimizer_kernels.hpp"

namespace diffuse {

void optimizer_config_validate(const OptimizerConfig& c) {
  if (!adam_beta_range.contains(c.beta1)) {
    fail("optimizer: beta1 = ", c.beta1, " must be in ", adam_beta_range.text());
  }
  if (!adam_beta_range.contains(c.beta2)) {
    fail("optimizer: beta2 = ", c.beta2, " must be in ", adam_beta_range.text());
  }
  if (!adam_eps_range.contains(c.eps) || !std::isfinite(c.eps)) {
    fail("optimizer: eps = ", c.eps, " must be ", adam_eps_range.text());
  }
  if (!weight_decay_range.contains(c.weight_decay)) {
    fail("optimizer: weight_decay = ", c.weight_decay, " must be finite and in ", weight_decay_range.text());
  }
  if (c.kind == OptimizerKind::adam && c.weight_decay != 0.0f) {
    fail("optimizer: weight_decay = ", c.weight_decay,
         " needs adamw (decoupled decay); adam allows only 0");
  }
}

Adam::Adam(const OptimizerConfig& config, std::size_t size) : config_(config) {
  optimizer_config_validate(config);
  state_.m.assign(size, 0.0f);
  state_.v.assign(size, 0.0f);
}

void Adam::set_state(AdamState state) {
  if (state.m.size() != size() || state.v.size() != size() || state.step < 0) {
    fail("optimizer: state has ", state.m.size(), " first and ", state.v.size(),
         " second moments at step ", state.step, ", the parameters need ", size(),
         " each and a step >= 0");
  }
  state_ = std::move(state);
}

void Adam::step(float* params, const float* grads, float lr) {
  const std::int64_t k = ++state_.step;
  // 1 - beta^k in double, rounded once: a function of k alone, hence identical after a resume.
  const double kd = static_cast<double>(k);
  kernels::AdamStep s;
  s.lr = lr;
  s.beta1 = config_.beta1;
  s.beta2 = config_.beta2;
  s.eps = config_.eps;
  s.weight_decay = config_.kind == OptimizerKind::adamw ? config_.weight_decay : 0.0f;
  s.bias_correction1 = static_cast<float>(1.0 - std::pow(static_cast<double>(config_.beta1), kd));
  s.bias_correction2 = static_cast<float>(1.0 - std::pow(static_cast<double>(config_.beta2), kd));
  kernels::adam_update(params, grads, state_.m.data(), state_.v.data(), size(), s);
}

double clip_grad_norm(float* grads, std::size_t n, double max_norm) {
  const double norm = std::sqrt(kernels::squared_norm(grads, n));
  if (max_norm > 0.0 && std::isfinite(max_norm) && std::isfinite(norm)) {
    // torch's clip_coef = max_norm / (total_norm + 1e-6), clamped at 1.
    const double factor = max_norm / (norm + 1e-6);
    if (factor < 1.0) kernels::scale_inplace(grads, n, static_cast<float>(factor));
  }
  return norm;
}

}  // namespace diffuse
