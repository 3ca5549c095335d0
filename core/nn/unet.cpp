#include "nn/unet.hpp"

#include <algorithm>

#include "base/error.hpp"
#include "nn/activation.hpp"
#include "nn/concat.hpp"
#include "nn/conv2d.hpp"
#include "nn/embedding.hpp"
#include "nn/group_norm.hpp"
#include "nn/linear.hpp"
#include "nn/unet_workspace.hpp"
#include "nn/upsample.hpp"

namespace diffuse {
namespace {

// About this many floats of training activations per chunk (64 MB) at most, and at most 16 rows:
// the digits model takes 16 rows at a time, the Fashion-MNIST model 4 (nn/unet.hpp). The chunks
// are what threads share (diffusion/batch_gradient.hpp), so the default batch of 64 has four.
constexpr std::size_t chunk_floats = std::size_t{1} << 24;
constexpr std::size_t max_chunk_rows = 16;

std::size_t chunk_rows_for(const UNetConfig& c) {
  const std::size_t per_row = UNetWorkspace::floats(c, 1, true);
  std::size_t rows = 1;
  while (rows < max_chunk_rows && 2 * rows * per_row <= chunk_floats) rows *= 2;
  return rows;
}

}  // namespace

UNet::UNet(const UNetConfig& config)
    : Network({config.in_channels, config.sample_size, config.sample_size}, config.classes,
              unet_param_layout(config),
              unet_out_channels(config) * config.sample_size * config.sample_size),
      config_(config),
      train_(std::make_unique<UNetWorkspace>()),
      infer_(std::make_unique<UNetWorkspace>()) {
  unet_param_layout(config_, &offsets_);
  chunk_rows_ = chunk_rows_for(config_);
  // Which layer made each skip, in the order the forward pushes them (skip 0 is conv_in's).
  producers_.push_back({false, 0});
  for (std::size_t i = 0; i < config_.levels(); ++i) {
    for (std::size_t j = 0; j < config_.layers_per_block; ++j) {
      producers_.push_back({false, i * config_.layers_per_block + j});
    }
    if (i + 1 < config_.levels()) producers_.push_back({true, i});
  }
}

UNet::~UNet() = default;

std::unique_ptr<Network> UNet::clone() const {
  auto out = std::make_unique<UNet>(config_);
  std::copy(params().begin(), params().end(), out->params().begin());
  return out;
}

std::size_t UNet::train_floats_per_row() const { return UNetWorkspace::floats(config_, 1, true); }

ResnetParams UNet::resnet_params(const ResnetOffsets& o) const {
  const bool sc = o.in != o.out;
  return {param(o.norm1_weight), param(o.norm1_bias), param(o.conv1_weight), param(o.conv1_bias),
          param(o.temb_weight),  param(o.temb_bias),  param(o.norm2_weight), param(o.norm2_bias),
          param(o.conv2_weight), param(o.conv2_bias), sc ? param(o.shortcut_weight) : nullptr,
          sc ? param(o.shortcut_bias) : nullptr};
}

ResnetGrads UNet::resnet_grads(const ResnetOffsets& o) {
  const bool sc = o.in != o.out;
  return {grad(o.norm1_weight), grad(o.norm1_bias), grad(o.conv1_weight), grad(o.conv1_bias),
          grad(o.temb_weight),  grad(o.temb_bias),  grad(o.norm2_weight), grad(o.norm2_bias),
          grad(o.conv2_weight), grad(o.conv2_bias), sc ? grad(o.shortcut_weight) : nullptr,
          sc ? grad(o.shortcut_bias) : nullptr};
}

ResnetShape UNet::resnet_shape(const ResnetOffsets& o, std::size_t R) const {
  return {R, o.in, o.out, o.size, config_.norm_num_groups, config_.time_embed_dim(), unet_norm_eps};
}

const std::int32_t* UNet::labels_or_null(const Labels* labels, std::size_t first, std::size_t R,
                                         std::vector<std::int32_t>& scratch) const {
  if (config_.classes == 0) return nullptr;
  scratch.resize(R);
  for (std::size_t r = 0; r < R; ++r) {
    scratch[r] = labels != nullptr ? (*labels)(first + r) : static_cast<std::int32_t>(config_.classes);
  }
  return scratch.data();
}

// emb_act = SiLU(linear_2(SiLU(linear_1(time_proj(t)))) [+ class_embedding[label]]).
void UNet::time_forward(UNetWorkspace& ws, const double* t, const std::int32_t* labels,
                        std::size_t R, const Executor& executor) {
  const std::size_t C0 = config_.block_out_channels.front(), E = config_.time_embed_dim();
  const UNetOffsets& o = offsets_;
  timestep_embedding_diffusers(ws.t_sin, t, R, C0);
  linear_forward(ws.t_a, ws.t_dact, ws.t_sin, param(o.linear1_weight), param(o.linear1_bias), R,
                 C0, E, Activation::silu, executor);
  linear_forward(ws.emb, nullptr, ws.t_a, param(o.linear2_weight), param(o.linear2_bias), R, E, E,
                 Activation::identity, executor);
  if (labels != nullptr) embedding_add_forward(ws.emb, param(o.class_embedding), labels, R, E);
  activation_layer_forward(ws.emb_act, ws.emb_dact, ws.emb, R * E, Activation::silu);
}

void UNet::forward_rows(float* out, UNetWorkspace& ws, const float* x, const double* t,
                        const std::int32_t* labels, std::size_t R, const Executor& executor) {
  const UNetConfig& c = config_;
  const UNetOffsets& o = offsets_;
  const std::size_t n = c.levels(), L = c.layers_per_block, C0 = c.block_out_channels.front();
  const std::size_t S = c.sample_size, G = c.norm_num_groups, Cin = c.in_channels;
  time_forward(ws, t, labels, R, executor);
  conv2d_forward(ws.h0, x, param(o.conv_in_weight), param(o.conv_in_bias),
                 conv2d_3x3(R, Cin, C0, S, S), ws.scratch, executor);
  // Each down layer writes the next skip (ws.skips, in push order); the up blocks pop them.
  const float* h = ws.h0;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < L; ++j) {
      const std::size_t k = i * L + j;
      resnet_forward(ws.down_y[k], ws.down_cache[k], h, ws.emb_act, resnet_params(o.down[k]),
                     resnet_shape(o.down[k], R), ws.scratch, executor);
      h = ws.down_y[k];
    }
    if (i + 1 < n) {
      const std::size_t Ci = c.block_out_channels[i], side = S >> i;
      conv2d_forward(ws.down_conv[i], h, param(o.down_conv_weight[i]), param(o.down_conv_bias[i]),
                     conv2d_3x3_stride2(R, Ci, Ci, side, side), ws.scratch, executor);
      h = ws.down_conv[i];
    }
  }
  std::size_t unpopped = ws.skips.size();
  resnet_forward(ws.mid_y[0], ws.mid_cache[0], h, ws.emb_act, resnet_params(o.mid[0]),
                 resnet_shape(o.mid[0], R), ws.scratch, executor);
  h = ws.mid_y[0];
  if (c.add_attention) {
    const AttentionOffsets& a = o.attention;
    const std::size_t top = c.block_out_channels.back(), side = S >> (n - 1);
    const AttentionParams params{param(a.norm_weight), param(a.norm_bias), param(a.q_weight),
                                 param(a.q_bias),      param(a.k_weight),  param(a.k_bias),
                                 param(a.v_weight),    param(a.v_bias),    param(a.out_weight),
                                 param(a.out_bias)};
    attention_forward(ws.attention_y, ws.attention, h, params,
                      {R, top, side * side, G, unet_norm_eps, 1.0f}, ws.scratch, executor);
    h = ws.attention_y;
  }
  resnet_forward(ws.mid_y[1], ws.mid_cache[1], h, ws.emb_act, resnet_params(o.mid[1]),
                 resnet_shape(o.mid[1], R), ws.scratch, executor);
  h = ws.mid_y[1];
  for (std::size_t u = 0; u < n; ++u) {
    for (std::size_t j = 0; j <= L; ++j) {
      const std::size_t k = u * (L + 1) + j;
      const ResnetOffsets& r = o.up[k];
      const float* skip = ws.skips[--unpopped];
      const std::size_t running = j > 0 ? r.out : c.block_out_channels[u == 0 ? n - 1 : n - u];
      concat_channels_forward(ws.up_cat[k], h, skip, R, running, r.in - running, r.size * r.size);
      resnet_forward(ws.up_y[k], ws.up_cache[k], ws.up_cat[k], ws.emb_act, resnet_params(r),
                     resnet_shape(r, R), ws.scratch, executor);
      h = ws.up_y[k];
    }
    if (u + 1 < n) {
      const std::size_t level = n - 1 - u, Cu = c.block_out_channels[level], side = S >> level;
      upsample_nearest2x_forward(ws.up_near[u], h, R, Cu, side, side);
      conv2d_forward(ws.up_conv[u], ws.up_near[u], param(o.up_conv_weight[u]), param(o.up_conv_bias[u]),
                     conv2d_3x3(R, Cu, Cu, 2 * side, 2 * side), ws.scratch, executor);
      h = ws.up_conv[u];
    }
  }
  group_norm_silu_forward(ws.out_a, ws.out_dact, ws.out_mean, ws.out_rstd, h,
                          param(o.norm_out_weight), param(o.norm_out_bias),
                          {R, C0, G, S * S, unet_norm_eps}, executor);
  conv2d_forward(out, ws.out_a, param(o.conv_out_weight), param(o.conv_out_bias),
                 conv2d_3x3(R, C0, unet_out_channels(c), S, S), ws.scratch, executor);
}

void UNet::forward_train_times(Tensor2& out, const Tensor2& x, const double* t,
                               const Labels* labels, const Executor& executor) {
  const std::size_t R = check_batch("U-Net", x, x.shape(0), labels);
  train_->prepare(config_, std::max<std::size_t>(R, 1), true);
  const std::int32_t* rows = labels_or_null(labels, 0, R, train_labels_);
  // conv_in's weight gradient reads the input again: keep it (it may also be out itself).
  std::copy(x.begin(), x.end(), train_->input);
  out.resize({R, output_size()});
  forward_rows(out.data(), *train_, train_->input, t, rows, R, executor);
  cached_rows_ = R;
  has_cache_ = true;
}

void UNet::forward(Tensor2& out, const Tensor2& x, const Steps& t, const Labels* labels,
                   const Executor& executor) {
  check_batch("U-Net", x, t.size(), labels);
  forward_times(out, x, times_of(t, times_), labels, executor);
}

void UNet::forward_at(Tensor2& out, const Tensor2& x, double t, const Labels* labels,
                      const Executor& executor) {
  check_batch("U-Net", x, x.shape(0), labels);
  times_.assign(x.shape(0), t);
  forward_times(out, x, times_.data(), labels, executor);
}

void UNet::forward_times(Tensor2& out, const Tensor2& x, const double* t, const Labels* labels,
                         const Executor& executor) {
  const std::size_t B = x.shape(0), D = sample_size(), O = output_size();
  const Tensor2* input = &x;
  Tensor2 copy;
  if (&out == &x) {
    copy = x;
    input = &copy;
  }
  out.resize({B, O});
  for (std::size_t first = 0; first < B; first += chunk_rows_) {
    const std::size_t R = std::min(chunk_rows_, B - first);
    infer_->prepare(config_, chunk_rows_, false);
    const std::int32_t* rows = labels_or_null(labels, first, R, infer_labels_);
    forward_rows(out.data() + first * O, *infer_, input->data() + first * D, t + first, rows, R,
                 executor);
  }
}

// The time embedding's backward from d_emb_act (R, E): SiLU, the class embedding, linear_2, SiLU
// (chained into linear_2's input gradient), linear_1.
void UNet::time_backward(UNetWorkspace& ws, std::size_t R, const Executor& executor) {
  const std::size_t C0 = config_.block_out_channels.front(), E = config_.time_embed_dim();
  const UNetOffsets& o = offsets_;
  float* d_emb = ws.d_emb_act;  // in place: dL/demb = dL/dSiLU(emb) * SiLU'(emb)
  activation_layer_backward(d_emb, ws.d_emb_act, ws.emb_dact, R * E);
  if (config_.classes > 0) embedding_add_backward(grad(o.class_embedding), d_emb, train_labels_.data(), R, E);
  linear_backward(ws.d_t_a, grad(o.linear2_weight), grad(o.linear2_bias), nullptr, nullptr, d_emb,
                  ws.t_a, param(o.linear2_weight), R, E, E, Activation::identity, executor,
                  BelowLayer{Activation::silu, ws.t_dact});
  linear_backward(nullptr, grad(o.linear1_weight), grad(o.linear1_bias), nullptr, nullptr, ws.d_t_a,
                  ws.t_sin, param(o.linear1_weight), R, C0, E, Activation::identity, executor);
}

void UNet::backward(const Tensor2& d_out, const Executor& executor) {
  if (!has_cache_) fail("U-Net: backward called before forward_train");
  const std::size_t R = cached_rows_, O = output_size();
  if (d_out.shape(0) != R || d_out.shape(1) != O) {
    fail("U-Net: d_out is (", d_out.shape(0), ", ", d_out.shape(1),
         "), the last forward_train output was (", R, ", ", O, ")");
  }
  const UNetConfig& c = config_;
  const UNetOffsets& o = offsets_;
  UNetWorkspace& ws = *train_;
  const std::size_t n = c.levels(), L = c.layers_per_block, C0 = c.block_out_channels.front();
  const std::size_t S = c.sample_size, G = c.norm_num_groups, Cin = c.in_channels;
  const std::size_t E = c.time_embed_dim();
  std::fill(ws.d_emb_act, ws.d_emb_act + R * E, 0.0f);
  // The tensors of the forward, to find inputs again: the skips (in push order).
  const std::vector<const float*>& skips = ws.skips;
  int cur = 0;  // ws.d_h[cur] holds dL/d(the current tensor)
  const auto other = [&] { return ws.d_h[1 - cur]; };
  // out = conv_out(SiLU(conv_norm_out(h))), h the last up tensor.
  const float* h_last = ws.up_y.back();
  conv2d_backward(other(), grad(o.conv_out_weight), grad(o.conv_out_bias), d_out.data(), ws.out_a,
                  param(o.conv_out_weight), conv2d_3x3(R, C0, unet_out_channels(c), S, S),
                  ws.scratch, executor);
  cur = 1 - cur;
  group_norm_silu_backward(ws.d_h[cur], grad(o.norm_out_weight), grad(o.norm_out_bias), ws.out_dact,
                           ws.out_mean, ws.out_rstd, ws.d_h[cur], h_last, param(o.norm_out_weight),
                           {R, C0, G, S * S, unet_norm_eps}, executor);
  // The up path, in reverse: each concatenation hands its skip its gradient (the first to arrive:
  // the down path adds its own later).
  for (std::size_t u = n; u-- > 0;) {
    if (u + 1 < n) {
      const std::size_t level = n - 1 - u, Cu = c.block_out_channels[level], side = S >> level;
      conv2d_backward(other(), grad(o.up_conv_weight[u]), grad(o.up_conv_bias[u]), ws.d_h[cur],
                      ws.up_near[u], param(o.up_conv_weight[u]), conv2d_3x3(R, Cu, Cu, 2 * side, 2 * side),
                      ws.scratch, executor);
      upsample_nearest2x_backward(ws.d_h[cur], other(), R, Cu, side, side);
    }
    for (std::size_t j = L + 1; j-- > 0;) {
      const std::size_t k = u * (L + 1) + j;
      const ResnetOffsets& r = o.up[k];
      resnet_backward(ws.d_cat, ws.d_emb_act, resnet_grads(r), ws.up_cache[k], ws.d_h[cur], ws.up_cat[k],
                      ws.emb_act, resnet_params(r), resnet_shape(r, R), ws.scratch, executor);
      const std::size_t running = j > 0 ? r.out : c.block_out_channels[u == 0 ? n - 1 : n - u];
      const std::size_t skip = skips.size() - 1 - k;  // up resnet k took the k-th pop
      concat_channels_backward(other(), ws.d_skip[skip], ws.d_cat, R, running, r.in - running,
                               r.size * r.size);
      cur = 1 - cur;
    }
  }
  // The middle block, in reverse.
  const float* mid_in1 = c.add_attention ? ws.attention_y : ws.mid_y[0];
  resnet_backward(other(), ws.d_emb_act, resnet_grads(o.mid[1]), ws.mid_cache[1], ws.d_h[cur], mid_in1,
                  ws.emb_act, resnet_params(o.mid[1]), resnet_shape(o.mid[1], R), ws.scratch, executor);
  cur = 1 - cur;
  if (c.add_attention) {
    const AttentionOffsets& a = o.attention;
    const std::size_t top = c.block_out_channels.back(), side = S >> (n - 1);
    const AttentionParams params{param(a.norm_weight), param(a.norm_bias), param(a.q_weight),
                                 param(a.q_bias),      param(a.k_weight),  param(a.k_bias),
                                 param(a.v_weight),    param(a.v_bias),    param(a.out_weight),
                                 param(a.out_bias)};
    const AttentionGrads grads{grad(a.norm_weight), grad(a.norm_bias), grad(a.q_weight),
                               grad(a.q_bias),      grad(a.k_weight),  grad(a.k_bias),
                               grad(a.v_weight),    grad(a.v_bias),    grad(a.out_weight),
                               grad(a.out_bias)};
    attention_backward(other(), grads, ws.attention, ws.d_h[cur], ws.mid_y[0], params,
                       {R, top, side * side, G, unet_norm_eps, 1.0f}, ws.scratch, executor);
    cur = 1 - cur;
  }
  resnet_backward(other(), ws.d_emb_act, resnet_grads(o.mid[0]), ws.mid_cache[0], ws.d_h[cur],
                  skips.back(), ws.emb_act, resnet_params(o.mid[0]), resnet_shape(o.mid[0], R),
                  ws.scratch, executor);
  cur = 1 - cur;
  // The down path, in reverse: skip k's whole gradient is the next layer's (in d_h[cur]) plus its
  // up block's (d_skip[k]); the layer that made it from skip k - 1 passes it on.
  const std::vector<UNetSkip>& skip_shapes = ws.skip_shapes;
  for (std::size_t k = skips.size(); k-- > 0;) {
    const UNetSkip& shape = skip_shapes[k];
    float* d = ws.d_h[cur];
    const float* from_up = ws.d_skip[k];
    for (std::size_t i = 0; i < R * shape.channels * shape.size * shape.size; ++i) d[i] += from_up[i];
    if (k == 0) break;
    const UNetProducer& made_by = producers_[k];
    if (made_by.downsampler) {
      const std::size_t i = made_by.index, Ci = c.block_out_channels[i], side = S >> i;
      conv2d_backward(other(), grad(o.down_conv_weight[i]), grad(o.down_conv_bias[i]), d, skips[k - 1],
                      param(o.down_conv_weight[i]), conv2d_3x3_stride2(R, Ci, Ci, side, side),
                      ws.scratch, executor);
    } else {
      const ResnetOffsets& r = o.down[made_by.index];
      resnet_backward(other(), ws.d_emb_act, resnet_grads(r), ws.down_cache[made_by.index], d,
                      skips[k - 1], ws.emb_act, resnet_params(r), resnet_shape(r, R), ws.scratch,
                      executor);
    }
    cur = 1 - cur;
  }
  // conv_in: its input is data.
  conv2d_backward(nullptr, grad(o.conv_in_weight), grad(o.conv_in_bias), ws.d_h[cur], ws.input,
                  param(o.conv_in_weight), conv2d_3x3(R, Cin, C0, S, S), ws.scratch, executor);
  time_backward(ws, R, executor);
}

}  // namespace diffuse
