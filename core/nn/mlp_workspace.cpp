#include "nn/mlp_workspace.hpp"

#include "base/arena.hpp"

namespace diffuse {

void MlpWorkspace::prepare(const MlpConfig& c, std::size_t B, MlpWorkspaceKind kind) {
  if (prepared_ && B == batch_ && kind == kind_ && c == config_) return;
  const std::size_t E = c.time_embed, H = c.hidden, L = c.layers, D_in = mlp_input_width(c);
  const bool train = kind == MlpWorkspaceKind::train;
  const bool proj = c.time_projection;
  for (int pass = 0; pass < 2; ++pass) {
    ArenaCarver carve(pass == 0 ? nullptr : arena_.data());
    t_emb = carve.take(B * E);
    t_dact = proj ? carve.take(B * E) : nullptr;
    t_out = proj || c.classes > 0 ? carve.take(B * E) : nullptr;
    h0 = carve.take(B * D_in);
    layer.assign(L, MlpLayerBuffers{});
    float* shared_h[2] = {nullptr, nullptr};
    if (!train) {
      shared_h[0] = carve.take(B * H);
      shared_h[1] = carve.take(B * H);
    }
    MlpLayerBuffers shared_ln;
    if (!train && c.residual && L > 1) {
      shared_ln.ln_out = carve.take(B * H);
      shared_ln.ln_mean = carve.take(B);
      shared_ln.ln_rstd = carve.take(B);
    }
    for (std::size_t l = 0; l < L; ++l) {
      MlpLayerBuffers& buf = layer[l];
      const bool ln = c.residual && l > 0;
      if (train) {
        buf.dact = carve.take(B * H);
        buf.h = carve.take(B * H);
        buf.ln_out = ln ? carve.take(B * H) : nullptr;
        buf.ln_mean = ln ? carve.take(B) : nullptr;
        buf.ln_rstd = ln ? carve.take(B) : nullptr;
      } else {
        // Inference never reads an activation derivative: it shares the output buffer, and the
        // activation runs in place.
        buf = shared_ln;
        buf.h = shared_h[l % 2];
        buf.dact = buf.h;
      }
    }
    d_h[0] = train ? carve.take(B * H) : nullptr;
    d_h[1] = train ? carve.take(B * H) : nullptr;
    d_pre = train && c.residual ? carve.take(B * H) : nullptr;  // plain layers chain through d_h
    d_ln = train && c.residual && L > 1 ? carve.take(B * H) : nullptr;
    const bool input_grad = train && (proj || c.classes > 0);
    d_h0 = input_grad ? carve.take(B * D_in) : nullptr;
    d_t = input_grad ? carve.take(B * E) : nullptr;
    d_t_pre = train && proj ? carve.take(B * E) : nullptr;
    shared_pre0 = train ? nullptr : carve.take(H);
    // Never shrinks the capacity: a smaller batch reuses the arena without allocating.
    if (pass == 0) arena_.resize(carve.used());
  }
  batch_ = B;
  kind_ = kind;
  config_ = c;
  prepared_ = true;
}

}  // namespace diffuse
