#pragma once
// The MLP of docs/reference-workload.md ("Model"), a Network (nn/network.hpp) on points x (B, D):
//   e = emb(t) or SiLU(time_proj(emb(t)))          the time features (E,)
//   e = e + class_embedding[label]                 with classes (diffusers adds the class
//                                                  embedding to the time embedding alike)
//   h_0 = [x or emb(25 x), e]
//   h_1 = act(layers.0(h_0)),  h_{l+1} = act(layers.l(h_l)) or h_l + act(layers.l(norms.l(h_l)))
//   out = output(h_L)
// Parameters have PyTorch's names and shapes (so a torch.nn.Module with time_proj, layers =
// ModuleList, norms = ModuleList (an Identity at 0), output and class_embedding loads a
// checkpoint directly). Every piece is an nn/ layer. Buffer sizes: nn/mlp_workspace.hpp.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "nn/embedding.hpp"
#include "nn/mlp_config.hpp"
#include "nn/mlp_workspace.hpp"
#include "nn/network.hpp"

namespace diffuse {

// Offsets (in floats) of every parameter in the flat buffer.
struct MlpOffsets {
  std::size_t time_proj_weight = 0, time_proj_bias = 0;  // (E, E), (E,) with the projection
  std::vector<std::size_t> layer_weight, layer_bias;     // [layers]: (H, D_in) or (H, H), (H,)
  std::vector<std::size_t> norm_weight, norm_bias;       // [layers], entry 0 unused: (H,), (H,)
  std::size_t output_weight = 0, output_bias = 0;        // (D, H), (D,)
  std::size_t class_embedding = 0;                       // (K + 1, E) with classes
};

// The names and shapes in buffer order: time_proj.*, layers.{l}.*, norms.{l}.*, output.*,
// class_embedding.weight.
ParamLayout mlp_param_layout(const MlpConfig& config, MlpOffsets* offsets = nullptr);

class Mlp final : public Network {
 public:
  // Validates config (diffuse::Error). Parameters start at zero: call init_params or load them.
  explicit Mlp(const MlpConfig& config);

  const MlpConfig& config() const { return config_; }

  // PyTorch's defaults: every Linear's weight and bias ~ U(-1/sqrt(in), 1/sqrt(in)), drawn slice
  // by slice in layout order with rng.fill_uniform; LayerNorm weight 1, bias 0; the class
  // embedding ~ N(0, 1) (torch.nn.Embedding), drawn last.
  void init_params(Rng& rng) override;

  void forward_train_times(Tensor2& out, const Tensor2& x, const double* t, const Labels* labels,
                           const Executor& executor) override;
  void backward(const Tensor2& d_out, const Executor& executor) override;
  // 128 rows up to a batch of 512, so that a batch of 256 has two chunks to share between two
  // threads (diffusion/batch_gradient.hpp); 256 rows for larger batches, which have chunks to
  // spare: on one thread the reference model's batch of 4096 trains about 12% faster in 16
  // chunks of 256 than in 32 of 128 (9.9 against 11.1 ms a step: fewer, longer weight-gradient
  // products and half the gradient buffers to add), docs/threads.md.
  std::size_t train_chunk_rows(std::size_t batch) const override {
    return batch > 512 ? 256 : 128;
  }
  // 512 rows: inference keeps no caches, so a chunk four times longer still fits in L2 (four
  // (512, 128) activations, 1 MB), with fewer per-chunk overheads (the time features).
  std::size_t infer_chunk_rows() const override { return 512; }

  void forward(Tensor2& out, const Tensor2& x, const Steps& t, const Labels* labels,
               const Executor& executor) override;
  // Unconditional: the time features' share of the first layer, W0[:, Dx:] e(t) + b0, is one
  // (H,) vector computed once, leaving a K = Dx GEMM for the rows. Conditional networks add a
  // per-row class embedding to e, so they run the whole network with every row at t.
  void forward_at(Tensor2& out, const Tensor2& x, double t, const Labels* labels,
                  const Executor& executor) override;

  std::unique_ptr<Network> clone() const override;

 private:
  void time_features(MlpWorkspace& ws, const double* t, std::size_t B, const Executor& executor);
  void input_forward(MlpWorkspace& ws, const float* x, const double* t,
                     const std::int32_t* labels, std::size_t B, const Executor& executor);
  void hidden_forward(float* out, MlpWorkspace& ws, std::size_t B, const Executor& executor) const;
  // t (B,): each row's step.
  void full_forward(Tensor2& out, MlpWorkspace& ws, MlpWorkspaceKind kind, const Tensor2& x,
                    const double* t, const std::int32_t* labels, const Executor& executor);
  void time_features_backward(MlpWorkspace& ws, std::size_t B, const Executor& executor);
  // The labels to embed: the given ones, or the null class K for every row (into scratch).
  const std::int32_t* labels_or_null(const Labels* labels, std::size_t B,
                                     std::vector<std::int32_t>& scratch) const;

  MlpConfig config_;
  MlpOffsets offsets_;
  MlpWorkspace train_;    // forward_train's cache and backward's scratch
  MlpWorkspace infer_;    // forward and forward_at
  TimeEmbeddingCache time_embedding_;  // emb(t) rows, computed once per step index
  std::vector<float> w0_x_;            // forward_at: W0[:, :Dx] contiguous (H, Dx)
  std::vector<std::int32_t> train_labels_, infer_labels_;  // (B,) the labels embedded
  std::vector<double> times_;                              // (B,) the steps embedded
  std::size_t cached_batch_ = 0;
  bool has_cache_ = false;
};

}  // namespace diffuse
