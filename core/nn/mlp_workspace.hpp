#pragma once
// The MLP's activation buffers for one batch size B: one allocation (an arena) carved into
// named, 64-byte-aligned buffers. Training keeps every layer's activation derivative and output for
// backward; inference keeps two hidden buffers and alternates between them. Resizing to the same B
// is free, a smaller B reuses the arena, so a steady-state step allocates nothing.
//
// Peak sizes in floats (Dx = D or D * W, D_in = Dx + E, L = layers, R = L - 1 if residual else 0,
// each buffer rounded up to a multiple of 16):
//   training   B (D_in + E [+ 2E with the time projection]) + L B 2H + R B (H + 2)
//              + backward scratch B (2H [+ 2H residual] [+ D_in + E with a time projection or
//              classes] [+ E time projection])
//   inference  B (D_in + E [+ 2E]) + 2 B H [+ B (H + 2) residual] + H
// The reference model (D = 2, E = 32, H = 128, L = 3) at B = 256 trains in 256 (34 + 32 + 768 +
// 256) floats = 1.1 MB of activations, beside 5 x 37,762 floats (params, grads, Adam m and v,
// EMA) = 0.75 MB of parameter-sized buffers; sampling 10,000 points needs 10,000 (34 + 32 + 256)
// floats = 12.9 MB.
#include <cstddef>
#include <vector>

#include "base/aligned.hpp"
#include "nn/mlp_config.hpp"

namespace diffuse {

// Where hidden layer l (0-based) writes in forward. ln_* are used by residual layers l >= 1 only.
struct MlpLayerBuffers {
  float* dact = nullptr;     // (B, H) act'(Linear output), kept for backward (inference: == h)
  float* h = nullptr;        // (B, H) the layer's output h_{l+1}
  float* ln_out = nullptr;   // (B, H) LayerNorm(h_l)
  float* ln_mean = nullptr;  // (B,)
  float* ln_rstd = nullptr;  // (B,)
};

enum class MlpWorkspaceKind { train, infer };

class MlpWorkspace {
 public:
  MlpWorkspace() = default;
  // A copy starts empty (its pointers would point into the original's arena); moves keep buffers.
  MlpWorkspace(const MlpWorkspace&) {}
  MlpWorkspace& operator=(const MlpWorkspace&) {
    *this = MlpWorkspace();
    return *this;
  }
  MlpWorkspace(MlpWorkspace&&) = default;
  MlpWorkspace& operator=(MlpWorkspace&&) = default;

  // Sizes every buffer for batch B; a no-op when already sized for (config, B, kind).
  void prepare(const MlpConfig& config, std::size_t B, MlpWorkspaceKind kind);

  std::size_t batch() const { return batch_; }

  // ---- forward: the inputs of layer 0 ----
  float* t_emb = nullptr;  // (B, E) sinusoidal emb(t)
  float* t_dact = nullptr;  // (B, E) SiLU'(time_proj pre-activation) (time projection only)
  float* t_out = nullptr;   // (B, E) SiLU(time_proj pre-activation), plus the class embedding
                            // with classes (time projection or classes only)
  float* h0 = nullptr;     // (B, D_in) [x or emb(x), time features]
  // ---- forward: hidden layers ----
  std::vector<MlpLayerBuffers> layer;  // [layers]; inference alternates two h buffers
  // ---- backward scratch (training only) ----
  float* d_h[2] = {nullptr, nullptr};  // (B, H) dL/dh, alternating between layers
  float* d_pre = nullptr;              // (B, H) dL/dpre of the current layer (residual only)
  float* d_ln = nullptr;               // (B, H) dL/dLayerNorm(h) (residual only)
  float* d_h0 = nullptr;               // (B, D_in) dL/dh0 (time projection or classes only)
  float* d_t = nullptr;                // (B, E) dL/d(time features) (time projection or classes)
  float* d_t_pre = nullptr;            // (B, E) (time projection only)
  // ---- inference only ----
  float* shared_pre0 = nullptr;  // (H,) W0[:, Dx:] e(t) + b0, shared by every row in predict_at

 private:
  AlignedBuffer arena_;
  std::size_t batch_ = 0;
  MlpWorkspaceKind kind_ = MlpWorkspaceKind::train;
  MlpConfig config_;
  bool prepared_ = false;
};

}  // namespace diffuse
