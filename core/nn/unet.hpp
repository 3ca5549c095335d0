#pragma once
// The tiny-image U-Net, diffusers' UNet2DModel (unets/unet_2d.py) restricted to the family of
// docs/diffusers-unet.md, as a Network (nn/network.hpp) on images x (B, C, H, W):
//   e    = linear_2(SiLU(linear_1(time_proj(t)))) [+ class_embedding(label)]       (B, 4 C_0)
//   h    = conv_in(x); skips = [h]
//   down level i: L resnets (each output a skip), then (but the last level) a stride-2 conv
//   mid:  resnet, [single-head attention], resnet
//   up level u (channels reversed): L + 1 resnets on cat(h, skips.pop()), then (but the last)
//         nearest x2 + 3x3 conv
//   out  = conv_out(SiLU(conv_norm_out(h)))
// Every resnet takes SiLU(e) (nn/resnet_block.hpp). Parameters carry diffusers' state_dict names,
// shapes and order, so the weights are UNet2DModel's (python/diffuse_torch/unet2d.py checks the
// arithmetic to 1e-4).
//
// Rows are independent, so the network runs a batch in chunks of chunk_rows() (a constant of the
// configuration: about 2^24 floats of activations) both in training (diffusion/batch_gradient
// hands it chunks) and in inference (forward splits the batch itself): memory stays bounded and a
// chunk's activations stay close to the caches.
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "nn/attention.hpp"
#include "nn/conv2d.hpp"
#include "nn/network.hpp"
#include "nn/resnet_block.hpp"
#include "nn/unet_config.hpp"

namespace diffuse {

// Offsets (in floats) of one resnet's parameters.
struct ResnetOffsets {
  std::size_t norm1_weight = 0, norm1_bias = 0, conv1_weight = 0, conv1_bias = 0;
  std::size_t temb_weight = 0, temb_bias = 0, norm2_weight = 0, norm2_bias = 0;
  std::size_t conv2_weight = 0, conv2_bias = 0, shortcut_weight = 0, shortcut_bias = 0;
  std::size_t in = 0, out = 0, size = 0;  // channels in, out; the side of its images
};

struct AttentionOffsets {
  std::size_t norm_weight = 0, norm_bias = 0, q_weight = 0, q_bias = 0, k_weight = 0, k_bias = 0;
  std::size_t v_weight = 0, v_bias = 0, out_weight = 0, out_bias = 0;
};

struct UNetOffsets {
  std::size_t conv_in_weight = 0, conv_in_bias = 0;
  std::size_t linear1_weight = 0, linear1_bias = 0, linear2_weight = 0, linear2_bias = 0;
  std::size_t class_embedding = 0;
  std::vector<ResnetOffsets> down;    // level i, resnet j at [i L + j]
  std::vector<std::size_t> down_conv_weight, down_conv_bias;  // [i], levels 0..n-2
  std::vector<ResnetOffsets> up;      // up level u, resnet j at [u (L + 1) + j]
  std::vector<std::size_t> up_conv_weight, up_conv_bias;      // [u], 0..n-2
  ResnetOffsets mid[2];
  AttentionOffsets attention;
  std::size_t norm_out_weight = 0, norm_out_bias = 0, conv_out_weight = 0, conv_out_bias = 0;
};

// diffusers' state_dict names, shapes and order for this configuration.
ParamLayout unet_param_layout(const UNetConfig& config, UNetOffsets* offsets = nullptr);

// One convolution of the network at batch B: its module's name in diffusers' state_dict
// ("down_blocks.0.resnets.0.conv1"), its shape, and whether its backward computes dx (all but
// conv_in's, whose input is data). For benchmarks: the flops of a training step are counted from
// these shapes (bench/, diffuse bench --dataset).
struct UNetConv {
  std::string name;
  Conv2dShape shape;
  bool needs_dx = true;
};

// Every convolution of one forward pass, in layout order (each weight of the layout once).
std::vector<UNetConv> unet_convs(const UNetConfig& config, std::size_t batch);

// Flops of one product of the sums in kernels/conv2d.hpp: 2 B Cout Cin k^2 Ho Wo. A training
// step runs one product forward and two backward (dx and dW; conv_in: dW only).
double conv2d_product_flops(const Conv2dShape& shape);
double unet_train_conv_flops(const UNetConfig& config, std::size_t batch);

class UNetWorkspace;

// The layer that made a skip: a down resnet (its index i L + j) or a downsampler (its level i).
struct UNetProducer {
  bool downsampler = false;
  std::size_t index = 0;
};

class UNet final : public Network {
 public:
  // Validates config (diffuse::Error). Parameters start at zero: call init_params or load them.
  explicit UNet(const UNetConfig& config);
  ~UNet() override;

  const UNetConfig& config() const { return config_; }

  // PyTorch's defaults, as UNet2DModel is built (no re-initialization): every Conv2d's and
  // Linear's weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), GroupNorm weight 1 and bias 0,
  // the class embedding ~ N(0, 1); drawn slice by slice in layout order.
  void init_params(Rng& rng) override;

  void forward_train_times(Tensor2& out, const Tensor2& x, const double* t, const Labels* labels,
                           const Executor& executor) override;
  void backward(const Tensor2& d_out, const Executor& executor) override;
  std::size_t train_chunk_rows(std::size_t) const override { return chunk_rows_; }

  void forward(Tensor2& out, const Tensor2& x, const Steps& t, const Labels* labels,
               const Executor& executor) override;
  // Every row at step t, which may be fractional (embedded as the float32 diffusers passes).
  void forward_at(Tensor2& out, const Tensor2& x, double t, const Labels* labels,
                  const Executor& executor) override;

  std::unique_ptr<Network> clone() const override;

  // Floats of activations one row keeps in training (the workspace's size per row).
  std::size_t train_floats_per_row() const;

 private:
  // The whole network on rows [first, first + R) of x into out, in workspace ws.
  void forward_rows(float* out, UNetWorkspace& ws, const float* x, const double* t,
                    const std::int32_t* labels, std::size_t R, const Executor& executor);
  // forward for rows x (B, D) at steps t (B,), in chunks of chunk_rows_.
  void forward_times(Tensor2& out, const Tensor2& x, const double* t, const Labels* labels,
                     const Executor& executor);
  void time_forward(UNetWorkspace& ws, const double* t, const std::int32_t* labels,
                    std::size_t R, const Executor& executor);
  void time_backward(UNetWorkspace& ws, std::size_t R, const Executor& executor);
  ResnetParams resnet_params(const ResnetOffsets& o) const;
  ResnetGrads resnet_grads(const ResnetOffsets& o);
  ResnetShape resnet_shape(const ResnetOffsets& o, std::size_t R) const;
  const std::int32_t* labels_or_null(const Labels* labels, std::size_t first, std::size_t R,
                                     std::vector<std::int32_t>& scratch) const;

  UNetConfig config_;
  UNetOffsets offsets_;
  std::size_t chunk_rows_ = 1;
  std::vector<UNetProducer> producers_;  // [k] for skip k
  std::unique_ptr<UNetWorkspace> train_, infer_;
  std::vector<double> times_;  // (B,) the steps embedded
  std::vector<std::int32_t> train_labels_, infer_labels_;
  std::size_t cached_rows_ = 0;
  bool has_cache_ = false;
};

}  // namespace diffuse
