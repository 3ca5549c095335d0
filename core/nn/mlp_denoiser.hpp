#pragma once
// The MLP denoiser of docs/reference-workload.md ("Model"): eps_theta(x_t, t) (or x0, v) as
//   h_0 = [x_t or emb(25 x_t), e(t)],  e(t) = emb(t) or SiLU(time_proj(emb(t)))
//   h_1 = act(layers.0(h_0)),  h_{l+1} = act(layers.l(h_l)) or h_l + act(layers.l(norms.l(h_l)))
//   out = output(h_L)
// It owns one flat parameter buffer with PyTorch's names and shapes (so a torch.nn.Module with
// time_proj, layers = ModuleList, norms = ModuleList (an Identity at 0), output loads a checkpoint
// directly) and a gradient buffer of the same layout (ARCHITECTURE lesson 3).
//
// Training: zero_grad(); forward_train(out, x_t, t); the caller computes dL/dout; backward(d_out)
// accumulates dL/dtheta into grads() in the exact reverse order of forward (lesson 2).
// Sampling: predict / predict_at (diffusion/denoiser.hpp) on their own buffers, so they never
// disturb a forward_train cache. Buffer sizes: nn/mlp_workspace.hpp.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/aligned.hpp"
#include "base/params.hpp"
#include "base/rng.hpp"
#include "diffusion/denoiser.hpp"
#include "nn/embedding.hpp"
#include "nn/mlp_config.hpp"
#include "nn/mlp_workspace.hpp"

namespace diffuse {

// Offsets (in floats) of every parameter in the flat buffer.
struct MlpOffsets {
  std::size_t time_proj_weight = 0, time_proj_bias = 0;  // (E, E), (E,) with the projection
  std::vector<std::size_t> layer_weight, layer_bias;     // [layers]: (H, D_in) or (H, H), (H,)
  std::vector<std::size_t> norm_weight, norm_bias;       // [layers], entry 0 unused: (H,), (H,)
  std::size_t output_weight = 0, output_bias = 0;        // (D, H), (D,)
};

// The spec's names and shapes in buffer order: time_proj.*, layers.{l}.*, norms.{l}.*, output.*.
ParamLayout mlp_param_layout(const MlpConfig& config, MlpOffsets* offsets = nullptr);

class MlpDenoiser final : public Denoiser {
 public:
  // Validates config (diffuse::Error). Parameters start at zero: call init_params or load them.
  explicit MlpDenoiser(const MlpConfig& config);

  const MlpConfig& config() const { return config_; }
  const ParamLayout& layout() const { return layout_; }
  AlignedBuffer& params() { return params_; }  // (P,), P = layout().total()
  const AlignedBuffer& params() const { return params_; }
  AlignedBuffer& grads() { return grads_; }  // (P,) dL/dparams, same layout
  const AlignedBuffer& grads() const { return grads_; }

  // PyTorch's defaults: every Linear's weight and bias ~ U(-1/sqrt(in), 1/sqrt(in)), drawn slice
  // by slice in layout order with rng.fill_uniform; LayerNorm weight 1, bias 0.
  void init_params(Rng& rng);

  // out (B, D) for x_t (B, D), t (B,); keeps what backward needs. In every forward (here, predict,
  // predict_at) out may be the same tensor as x_t: the input is consumed before out is written.
  void forward_train(Tensor2& out, const Tensor2& x_t, const Steps& t, const Executor& executor);
  // grads += dL/dparams for d_out (B, D) = dL/dout of the last forward_train (same B).
  void backward(const Tensor2& d_out, const Executor& executor);
  void zero_grad();

  std::size_t data_dim() const override { return config_.data_dim; }
  Prediction prediction() const override { return config_.prediction; }
  // out (B, D) for x_t (B, D) at steps t (B,).
  void predict(Tensor2& out, const Tensor2& x_t, const Steps& t, const Executor& executor) override;
  // The same with every row at step t: the time features' share of the first layer,
  // W0[:, Dx:] e(t) + b0, is one (H,) vector computed once, leaving a K = Dx GEMM for the rows.
  void predict_at(Tensor2& out, const Tensor2& x_t, int t, const Executor& executor) override;

  // Bytes held by the activation buffers (training and inference) at their current batch sizes.
  std::size_t workspace_bytes() const { return train_.bytes() + infer_.bytes(); }

 private:
  std::size_t check_inputs(const Tensor2& x_t, std::size_t steps) const;
  void input_forward(MlpWorkspace& ws, const float* x, const std::int32_t* t, std::size_t B,
                     const Executor& executor);
  void time_features(MlpWorkspace& ws, const std::int32_t* t, std::size_t B,
                     const Executor& executor);
  void hidden_forward(float* out, MlpWorkspace& ws, std::size_t B, const Executor& executor) const;
  void full_forward(Tensor2& out, MlpWorkspace& ws, MlpWorkspaceKind kind, const Tensor2& x_t,
                    const Steps& t, const Executor& executor);
  void time_projection_backward(MlpWorkspace& ws, const float* d_pre0, std::size_t B,
                                const Executor& executor);
  const float* p(std::size_t offset) const { return params_.data() + offset; }
  float* g(std::size_t offset) { return grads_.data() + offset; }

  MlpConfig config_;
  ParamLayout layout_;
  MlpOffsets offsets_;
  AlignedBuffer params_;  // (P,)
  AlignedBuffer grads_;   // (P,)
  MlpWorkspace train_;    // forward_train's cache and backward's scratch
  MlpWorkspace infer_;    // predict and predict_at
  TimeEmbeddingCache time_embedding_;  // emb(t) rows, computed once per step index
  std::vector<float> w0_x_;            // predict_at: W0[:, :Dx] contiguous (H, Dx)
  std::size_t cached_batch_ = 0;
  bool has_cache_ = false;
};

}  // namespace diffuse
