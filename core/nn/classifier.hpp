#pragma once
// An MLP image classifier, the judge of generated images (docs/datasets.md, "The quality
// classifier"): an image's D = C H W pixels, normalized to [-1, 1] exactly as the diffusion models
// see them (data/normalization.hpp: x_norm = 2 x / (L - 1) - 1), through hidden layers to K logits:
//   h_0 = x                                              (B, D)
//   h_l = act(layers.{l-1}(h_{l-1})),  l = 1..layers     (B, H)
//   logits = output(h_layers)                            (B, K)
// features(x) = h_layers, the penultimate activations: the space in which the Fréchet distance
// compares samples with data (metrics/frechet.hpp). Every piece is nn/linear.hpp's layer.
//
// Parameters, their gradients and Adam's moments share one flat layout with PyTorch's names and
// shapes (base/params.hpp): layers.{l}.weight (H, D or H), layers.{l}.bias (H,), output.weight
// (K, H), output.bias (K,), so a torch.nn.Module with `layers = ModuleList(Linear, ...)` and
// `output = Linear` loads a classifier checkpoint directly. Training: zero_grad(); forward_train
// keeps what backward needs; the caller forms dL/dlogits (nn/cross_entropy.hpp); backward
// accumulates dL/dparams into grads() in reverse layer order (ARCHITECTURE lesson 2). Inference
// (forward, features) has buffers of its own, so it never disturbs a training cache.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "base/aligned.hpp"
#include "base/executor.hpp"
#include "base/params.hpp"
#include "base/rng.hpp"
#include "base/tensor.hpp"
#include "data/image_set.hpp"
#include "nn/classifier_config.hpp"

namespace diffuse {

// Offsets (in floats) of every parameter in the flat buffer.
struct ClassifierOffsets {
  std::vector<std::size_t> layer_weight, layer_bias;  // [layers]: (H, D) or (H, H), (H,)
  std::size_t output_weight = 0, output_bias = 0;     // (K, H), (K,)
};

// The names and shapes in buffer order: layers.{l}.weight, layers.{l}.bias, ..., output.*.
// Validates the config.
ParamLayout classifier_param_layout(const ClassifierConfig& config,
                                    ClassifierOffsets* offsets = nullptr);

class Classifier {
 public:
  // Validates config (diffuse::Error). Parameters start at zero: call init_params or load them.
  explicit Classifier(const ClassifierConfig& config);

  const ClassifierConfig& config() const { return config_; }
  std::size_t input_size() const { return D_; }  // D
  const ParamLayout& layout() const { return layout_; }
  AlignedBuffer& params() { return params_; }  // (P,), P = layout().total()
  const AlignedBuffer& params() const { return params_; }
  AlignedBuffer& grads() { return grads_; }  // (P,) dL/dparams, same layout
  const AlignedBuffer& grads() const { return grads_; }

  // PyTorch's default initialization of every Linear (nn/linear.hpp, linear_init), drawn from rng
  // in layout order.
  void init_params(Rng& rng);
  void zero_grad();

  // logits (B, K) for inputs x (B, D) (B >= 1); keeps what backward needs.
  void forward_train(Tensor2& logits, const Tensor2& x, const Executor& executor);
  // grads += dL/dparams for d_logits (B, K) = dL/dlogits of the last forward_train (same B).
  void backward(const Tensor2& d_logits, const Executor& executor);

  // Inference, keeping nothing: logits (B, K), or the penultimate activations (B, H), for x (B, D)
  // (B >= 0). Rows go through the network in chunks of infer_chunk_rows, so memory stays bounded
  // for any B; a row's result depends on the chunk size (a constant) but never on the thread count.
  void forward(Tensor2& logits, const Tensor2& x, const Executor& executor);
  void features(Tensor2& features, const Tensor2& x, const Executor& executor);

  static constexpr std::size_t infer_chunk_rows = 512;

 private:
  std::size_t check_inputs(const char* who, const Tensor2& x) const;
  // The hidden layers and (if logits is set) the output for B <= infer_chunk_rows rows; returns
  // h_layers (B, H), which lives in the inference buffers.
  const float* infer_chunk(float* logits, const float* x, std::size_t B, const Executor& executor);
  float* train_h(std::size_t l) { return train_h_.data() + l * train_rows_ * config_.hidden; }
  float* train_dact(std::size_t l) { return train_dact_.data() + l * train_rows_ * config_.hidden; }

  ClassifierConfig config_;
  std::size_t D_ = 0;
  ClassifierOffsets offsets_;
  ParamLayout layout_;
  AlignedBuffer params_;  // (P,)
  AlignedBuffer grads_;   // (P,)
  // forward_train's cache and backward's scratch, for train_rows_ rows
  std::size_t train_rows_ = 0;
  AlignedBuffer train_x_;     // (B, D) the input h_0
  AlignedBuffer train_h_;     // (layers, B, H) h_1 .. h_layers
  AlignedBuffer train_dact_;  // (layers, B, H) act'(pre) of each hidden layer
  AlignedBuffer train_dh_;    // (2, B, H) dL/dpre, alternating between layers
  bool has_cache_ = false;
  // forward and features: two (infer_chunk_rows, H) buffers, alternating between layers
  AlignedBuffer infer_h_;
};

// Throws Error, naming `what` ("digits test"), unless the set is valid and its images are the
// classifier's: C H W = D, the same number of levels, and labels of the same number of classes.
void classifier_check_images(const ClassifierConfig& config, const ImageSet& set,
                             std::string_view what);

// The classifier's inputs (N, D) for every image of the set: each pixel p as the float32 value
// that normalization_apply(normalization_levels(L), p) gives (data/normalization.hpp), the
// diffusion models' view of it. Checks the set as classifier_check_images.
Tensor2 classifier_inputs(const ClassifierConfig& config, const ImageSet& set);
// The same for B images given by index, rows[b] < N (a training batch, unchecked), into out (B, D).
void classifier_inputs_rows(Tensor2& out, const ClassifierConfig& config, const ImageSet& set,
                            const std::int32_t* rows, std::size_t B);

// The predicted class of each row of logits (B, K): the index of its largest value (the lowest
// such index on a tie; NaN never wins). (B,)
Labels classifier_predictions(const Tensor2& logits);

}  // namespace diffuse
