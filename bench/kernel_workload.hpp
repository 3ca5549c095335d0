#pragma once
// The reference workload (docs/reference-workload.md) as the kernels see it, shared by the native
// benchmark (bench_kernels.cpp) and the WebAssembly one (web/bindings/bench_bindings.cpp), so both
// time exactly the same calls:
//   * every GEMM of one training step of the MLP 34 -> 128 -> 128 -> 128 -> 2 and of one sampling
//     step, with how often each occurs per step;
//   * MlpKernels: one training step (forward, loss gradient, backward, clip, Adam, EMA) or one
//     sampling forward made of the fused kernels only, a ceiling for the real trainer in core/nn.
#include <cmath>
#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include "base/aligned.hpp"
#include "base/executor.hpp"
#include "base/rng.hpp"
#include "kernels/gemm.hpp"
#include "kernels/linear.hpp"
#include "kernels/optimizer_kernels.hpp"

namespace diffuse::bench {

struct GemmShape {
  std::string group;  // "train B=256", "train B=4096", "sample M=10000"
  std::string name;   // "fwd  X W^T  (B,128,34)", ...
  kernels::Transpose ta, tb;
  std::size_t M, N, K;
  float beta;
  int count;  // occurrences per step
};

// W is [out, in]: forward X W^T (NT), dX = dY W (NN), dW += dY^T X (TN, beta = 1).
inline std::vector<GemmShape> reference_gemm_shapes() {
  using kernels::Transpose;
  const Transpose n = Transpose::no, y = Transpose::yes;
  std::vector<GemmShape> shapes;
  for (const std::size_t b : {std::size_t{256}, std::size_t{4096}}) {
    const std::string group = "train B=" + std::to_string(b);
    shapes.push_back({group, "fwd  X W^T  (B,128,34)", n, y, b, 128, 34, 0.0f, 1});
    shapes.push_back({group, "fwd  X W^T  (B,128,128)", n, y, b, 128, 128, 0.0f, 2});
    shapes.push_back({group, "fwd  X W^T  (B,2,128)", n, y, b, 2, 128, 0.0f, 1});
    shapes.push_back({group, "bwd  dY W   (B,128,2)", n, n, b, 128, 2, 0.0f, 1});
    shapes.push_back({group, "bwd  dY W   (B,128,128)", n, n, b, 128, 128, 0.0f, 2});
    shapes.push_back({group, "bwd  dY^T X (128,34,B)", y, n, 128, 34, b, 1.0f, 1});
    shapes.push_back({group, "bwd  dY^T X (128,128,B)", y, n, 128, 128, b, 1.0f, 2});
    shapes.push_back({group, "bwd  dY^T X (2,128,B)", y, n, 2, 128, b, 1.0f, 1});
  }
  const std::string sample = "sample M=10000";
  shapes.push_back({sample, "fwd  X W^T  (M,128,34)", n, y, 10000, 128, 34, 0.0f, 1});
  shapes.push_back({sample, "fwd  X W^T  (M,128,128)", n, y, 10000, 128, 128, 0.0f, 2});
  shapes.push_back({sample, "fwd  X W^T  (M,2,128)", n, y, 10000, 2, 128, 0.0f, 1});
  return shapes;
}

// The reference MLP on the kernels alone: parameters, gradients and Adam moments in flat buffers,
// activations cached for backward. Numbers are random; only the work matters.
class MlpKernels {
 public:
  static constexpr std::size_t D = 2, E = 32, H = 128, layers = 4;

  explicit MlpKernels(std::size_t batch) : B_(batch) {
    const std::size_t in[layers] = {D + E, H, H, H}, out[layers] = {H, H, H, D};
    std::size_t offset = 0;
    for (std::size_t l = 0; l < layers; ++l) {
      in_[l] = in[l];
      out_[l] = out[l];
      w_off_[l] = offset;
      offset += round16(out[l] * in[l]);
      b_off_[l] = offset;
      offset += round16(out[l]);
      act_[l].assign(B_ * in[l], 0.0f);  // act_[l]: the input of layer l
      dact_[l].assign(B_ * out[l], 0.0f);
      grad_act_[l].assign(B_ * in[l], 0.0f);
    }
    total_ = offset;
    params_.assign(total_, 0.0f);
    grads_.assign(total_, 0.0f);
    m_.assign(total_, 0.0f);
    v_.assign(total_, 0.0f);
    ema_.assign(total_, 0.0f);
    Rng rng(7);
    rng.fill_normal(params_.data(), total_);
    for (float& p : params_) p *= 0.1f;
    rng.fill_normal(act_[0].data(), act_[0].size());
    output_.assign(B_ * D, 0.0f);
    target_.assign(B_ * D, 0.0f);
    rng.fill_normal(target_.data(), target_.size());
    grad_out_.assign(B_ * D, 0.0f);
  }

  // One sampling forward (no caches kept): the denoiser's share of a DDPM step.
  void sample_forward(const Executor& executor) {
    for (std::size_t l = 0; l < layers; ++l) {
      float* y = l + 1 < layers ? act_[l + 1].data() : output_.data();
      kernels::linear_forward(activation(l), y, act_[l].data(), w(l), b(l), B_, in_[l], out_[l], executor);
    }
  }

  // One training step as the trainer runs it (nn/mlp_denoiser.cpp): forward keeping act'(pre),
  // MSE gradient, backward in reverse with the plain layers chained (each input-gradient product
  // forms the layer below's dL/dpre in its epilogue), clip to norm 1, Adam, EMA.
  void train_step(const Executor& executor) {
    for (std::size_t l = 0; l < layers; ++l) {
      float* y = l + 1 < layers ? act_[l + 1].data() : output_.data();
      kernels::linear_forward_keep_derivative(activation(l), y, dact_[l].data(), act_[l].data(), w(l), b(l), B_,
                                              in_[l], out_[l], executor);
    }
    const float scale = 2.0f / static_cast<float>(B_ * D);
    for (std::size_t i = 0; i < B_ * D; ++i) grad_out_[i] = scale * (output_[i] - target_[i]);
    std::memset(grads_.data(), 0, total_ * sizeof(float));
    for (std::size_t l = layers; l-- > 0;) {
      float* dx = l > 0 ? grad_act_[l].data() : nullptr;
      float* gw = grads_.data() + w_off_[l];
      float* gb = grads_.data() + b_off_[l];
      const kernels::BelowLayer below =
          l > 0 ? kernels::BelowLayer{activation(l - 1), dact_[l - 1].data()} : kernels::BelowLayer{};
      if (l + 1 == layers) {  // the output layer: dpre = dy * act'(pre), in dact's storage
        kernels::linear_backward_from_derivative(activation(l), dx, gw, gb, dact_[l].data(), grad_out_.data(),
                                                 dact_[l].data(), act_[l].data(), w(l), B_, in_[l], out_[l],
                                                 executor, below);
      } else {  // grad_act_[l + 1] is this layer's dL/dpre already
        float* dpre = grad_act_[l + 1].data();
        kernels::linear_backward_from_derivative(kernels::Activation::identity, dx, gw, gb, dpre, dpre, nullptr,
                                                 act_[l].data(), w(l), B_, in_[l], out_[l], executor, below);
      }
    }
    const double norm = std::sqrt(kernels::squared_norm(grads_.data(), total_));
    if (norm > 1.0) kernels::scale_inplace(grads_.data(), total_, static_cast<float>(1.0 / norm));
    ++step_;
    const kernels::AdamStep s{1e-3f, 0.9f, 0.999f, 1e-8f, 0.0f, 1.0f - std::pow(0.9f, static_cast<float>(step_)),
                              1.0f - std::pow(0.999f, static_cast<float>(step_))};
    kernels::adam_update(params_.data(), grads_.data(), m_.data(), v_.data(), total_, s);
    kernels::ema_update(ema_.data(), params_.data(), total_, 0.999f);
  }

  // FLOPs of the products in one training step / one sampling forward.
  double train_flops() const { return 3.0 * forward_flops() - 2.0 * B_ * in_[0] * out_[0]; }
  double forward_flops() const {
    double f = 0;
    for (std::size_t l = 0; l < layers; ++l) f += 2.0 * B_ * in_[l] * out_[l];
    return f;
  }

 private:
  static std::size_t round16(std::size_t n) { return (n + 15) / 16 * 16; }
  static kernels::Activation activation(std::size_t l) {
    return l + 1 < layers ? kernels::Activation::silu : kernels::Activation::identity;
  }
  const float* w(std::size_t l) const { return params_.data() + w_off_[l]; }
  const float* b(std::size_t l) const { return params_.data() + b_off_[l]; }

  std::size_t B_, total_ = 0, step_ = 0;
  std::size_t in_[layers], out_[layers], w_off_[layers], b_off_[layers];
  AlignedBuffer params_, grads_, m_, v_, ema_;
  AlignedBuffer act_[layers], dact_[layers], grad_act_[layers];
  AlignedBuffer output_, target_, grad_out_;
};

}  // namespace diffuse::bench
