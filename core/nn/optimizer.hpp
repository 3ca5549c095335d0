#pragma once
// Adam and AdamW over the flat parameter buffer (ARCHITECTURE lesson 3: one loop over the whole
// buffer, kernels::adam_update), and global gradient-norm clipping. The optimizer never sees the
// model: it takes float buffers of the parameter layout's total() length (alignment gaps included;
// their gradient is 0, so they stay 0).
//
// Update k (k = 1, 2, ...; Kingma & Ba 2015, Algorithm 1; Loshchilov & Hutter 2019 for AdamW):
//   m = b1 m + (1 - b1) g,  v = b2 v + (1 - b2) g^2
//   p -= lr_k (m / (1 - b1^k)) / (sqrt(v / (1 - b2^k)) + eps)  [ + lr_k wd p  for AdamW ]
// The state (k, m, v) is everything the update depends on besides p, g and lr_k, so restoring it
// from a checkpoint continues a run bit for bit.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/aligned.hpp"
#include "base/enum_names.hpp"
#include "base/ranges.hpp"

namespace diffuse {

enum class OptimizerKind { adam, adamw };

// Allowed values, also quoted in error messages (the CLI reads them).
inline const NumberRange adam_beta_range{0, 1, false, true};
inline const NumberRange adam_eps_range{0, unbounded, true, false};
inline const NumberRange weight_decay_range{0, 1e6};

// Names (base/enum_names.hpp).
inline const EnumNames<OptimizerKind> optimizer_kinds{
    "optimizer", {{OptimizerKind::adam, "adam"}, {OptimizerKind::adamw, "adamw"}}};

struct OptimizerConfig {
  OptimizerKind kind = OptimizerKind::adam;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-8f;
  float weight_decay = 0.0f;  // decoupled (AdamW only; Adam requires 0)
};

// Throws diffuse::Error naming the field, its value and what is allowed.
void optimizer_config_validate(const OptimizerConfig& config);

struct AdamState {
  std::int64_t step = 0;  // k: updates applied so far
  AlignedBuffer m;        // (P,) first moment, the parameters' flat layout
  AlignedBuffer v;        // (P,) second moment
};

class Adam {
 public:
  // Validates config; m and v start at zero, step at 0.
  Adam(const OptimizerConfig& config, std::size_t size);

  // One update of params (P,) with grads (P,) at learning rate lr: k = ++step.
  void step(float* params, const float* grads, float lr);

  const OptimizerConfig& config() const { return config_; }
  std::size_t size() const { return state_.m.size(); }
  // For checkpoints: read it, or write a saved one back (set_state checks the sizes).
  const AdamState& state() const { return state_; }
  void set_state(AdamState state);

 private:
  OptimizerConfig config_;
  AdamState state_;
};

// Global L2 gradient clipping as torch.nn.utils.clip_grad_norm_: with c = max_norm / (||grads|| +
// 1e-6), grads *= c if c < 1 (so the clipped norm is max_norm ||g|| / (||g|| + 1e-6), 1e-6 / ||g||
// relative below max_norm, and a norm within 1e-6 below max_norm is scaled too). max_norm <= 0 or
// infinite disables clipping. Returns the norm before clipping (squared_norm's accumulation); a
// non-finite norm leaves grads untouched, for the caller to report.
double clip_grad_norm(float* grads, std::size_t n, double max_norm);

}  // namespace diffuse
