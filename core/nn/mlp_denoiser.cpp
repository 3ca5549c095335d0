#include "nn/mlp_denoiser.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "base/error.hpp"
#include "kernels/gemm.hpp"
#include "kernels/linear.hpp"
#include "nn/blocks.hpp"
#include "nn/embedding.hpp"
#include "nn/linear.hpp"

namespace diffuse {

using kernels::Activation;
using kernels::Transpose;

ParamLayout mlp_param_layout(const MlpConfig& c, MlpOffsets* offsets) {
  mlp_config_validate(c);
  const std::size_t D = c.data_dim, E = c.time_embed, H = c.hidden, L = c.layers;
  ParamLayout layout;
  MlpOffsets o;
  if (c.time_projection) {
    o.time_proj_weight = layout.add("time_proj.weight", {E, E});
    o.time_proj_bias = layout.add("time_proj.bias", {E});
  }
  o.layer_weight.resize(L);
  o.layer_bias.resize(L);
  for (std::size_t l = 0; l < L; ++l) {
    const std::string name = "layers." + std::to_string(l);
    o.layer_weight[l] = layout.add(name + ".weight", {H, l == 0 ? mlp_input_width(c) : H});
    o.layer_bias[l] = layout.add(name + ".bias", {H});
  }
  o.norm_weight.assign(L, 0);
  o.norm_bias.assign(L, 0);
  if (c.residual) {
    for (std::size_t l = 1; l < L; ++l) {
      const std::string name = "norms." + std::to_string(l);
      o.norm_weight[l] = layout.add(name + ".weight", {H});
      o.norm_bias[l] = layout.add(name + ".bias", {H});
    }
  }
  o.output_weight = layout.add("output.weight", {D, H});
  o.output_bias = layout.add("output.bias", {D});
  if (offsets != nullptr) *offsets = std::move(o);
  return layout;
}

MlpDenoiser::MlpDenoiser(const MlpConfig& config)
    : config_(config), time_embedding_(config.time_embed) {
  layout_ = mlp_param_layout(config_, &offsets_);  // validates
  params_ = params_allocate(layout_);
  grads_ = params_allocate(layout_);
}

namespace {

// torch.nn.Linear's reset_parameters: weight (out, in) and bias (out,) ~ U(-1/sqrt(in), 1/sqrt(in))
// (kaiming_uniform with a = sqrt(5) gives the same bound for the weight).
void init_linear(float* weight, float* bias, std::size_t out, std::size_t in, Rng& rng) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(in));
  for (float* v : {weight, bias}) {
    const std::size_t n = v == weight ? out * in : out;
    rng.fill_uniform(v, n);  // [0, 1)
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<float>((2.0 * v[i] - 1.0) * bound);
  }
}

}  // namespace

void MlpDenoiser::init_params(Rng& rng) {
  const std::size_t D = config_.data_dim, E = config_.time_embed, H = config_.hidden;
  const MlpOffsets& o = offsets_;
  float* base = params_.data();
  std::fill(params_.begin(), params_.end(), 0.0f);
  // Draws in layout order: time_proj, layers.0 .., output (LayerNorm draws nothing).
  if (config_.time_projection) {
    init_linear(base + o.time_proj_weight, base + o.time_proj_bias, E, E, rng);
  }
  for (std::size_t l = 0; l < config_.layers; ++l) {
    const std::size_t in = l == 0 ? mlp_input_width(config_) : H;
    init_linear(base + o.layer_weight[l], base + o.layer_bias[l], H, in, rng);
  }
  if (config_.residual) {
    for (std::size_t l = 1; l < config_.layers; ++l) {
      std::fill(base + o.norm_weight[l], base + o.norm_weight[l] + H, 1.0f);  // bias stays 0
    }
  }
  init_linear(base + o.output_weight, base + o.output_bias, D, H, rng);
}

void MlpDenoiser::zero_grad() {
  std::fill(grads_.begin(), grads_.end(), 0.0f);
}

std::size_t MlpDenoiser::check_inputs(const Tensor2& x_t, std::size_t steps) const {
  if (x_t.shape(1) != config_.data_dim) {
    fail("MLP denoiser: x_t has ", x_t.shape(1), " columns, the model's data_dim is ",
         config_.data_dim);
  }
  if (steps != x_t.shape(0)) {
    fail("MLP denoiser: ", x_t.shape(0), " rows of x_t but ", steps, " timesteps");
  }
  return x_t.shape(0);
}

// ws.t_emb, then ws.t_dact and ws.t_out with the projection: e(t) for B rows.
void MlpDenoiser::time_features(MlpWorkspace& ws, const std::int32_t* t, std::size_t B,
                                const Executor& executor) {
  const std::size_t E = config_.time_embed;
  time_embedding_.embed(ws.t_emb, t, B);
  if (config_.time_projection) {
    dense_block_forward(ws.t_out, ws.t_dact, ws.t_emb, p(offsets_.time_proj_weight),
                        p(offsets_.time_proj_bias), B, E, E, Activation::silu, executor);
  }
}

// ws.h0 (B, D_in) = [x (B, D) or its embedding, e(t) (B, E)].
void MlpDenoiser::input_forward(MlpWorkspace& ws, const float* x, const std::int32_t* t,
                                std::size_t B, const Executor& executor) {
  const std::size_t D = config_.data_dim, E = config_.time_embed;
  const std::size_t Dx = mlp_x_width(config_), D_in = mlp_input_width(config_);
  time_features(ws, t, B, executor);
  const float* e = config_.time_projection ? ws.t_out : ws.t_emb;  // (B, E)
  for (std::size_t b = 0; b < B; ++b) {
    float* row = ws.h0 + b * D_in;
    if (config_.x_embed == 0) {
      std::copy(x + b * D, x + (b + 1) * D, row);
    } else {
      x_embedding_forward(row, x + b * D, 1, D, config_.x_embed);
    }
    std::copy(e + b * E, e + (b + 1) * E, row + Dx);
  }
}

// Layers 1..L-1 and the output layer, from ws.layer[0].h (B, H) to out (B, D).
void MlpDenoiser::hidden_forward(float* out, MlpWorkspace& ws, std::size_t B,
                                 const Executor& executor) const {
  const std::size_t D = config_.data_dim, H = config_.hidden, L = config_.layers;
  const Activation act = config_.activation;
  for (std::size_t l = 1; l < L; ++l) {
    const MlpLayerBuffers& buf = ws.layer[l];
    const float* h_in = ws.layer[l - 1].h;  // (B, H)
    if (config_.residual) {
      const ResidualCache cache{buf.ln_out, buf.ln_mean, buf.ln_rstd, buf.dact};
      const ResidualParams params{p(offsets_.norm_weight[l]), p(offsets_.norm_bias[l]),
                                  p(offsets_.layer_weight[l]), p(offsets_.layer_bias[l])};
      residual_block_forward(buf.h, cache, h_in, params, B, H, act, executor);
    } else {
      dense_block_forward(buf.h, buf.dact, h_in, p(offsets_.layer_weight[l]),
                          p(offsets_.layer_bias[l]), B, H, H, act, executor);
    }
  }
  linear_forward(out, ws.layer[L - 1].h, p(offsets_.output_weight), p(offsets_.output_bias), B, H,
                 D, executor);
}

// The whole network for B rows with per-row steps t, in workspace ws (train keeps the caches).
void MlpDenoiser::full_forward(Tensor2& out, MlpWorkspace& ws, MlpWorkspaceKind kind,
                               const Tensor2& x_t, const Steps& t, const Executor& executor) {
  const std::size_t B = x_t.shape(0);
  ws.prepare(config_, B, kind);
  input_forward(ws, x_t.data(), t.data(), B, executor);
  dense_block_forward(ws.layer[0].h, ws.layer[0].dact, ws.h0, p(offsets_.layer_weight[0]),
                      p(offsets_.layer_bias[0]), B, mlp_input_width(config_), config_.hidden,
                      config_.activation, executor);
  out.resize({B, config_.data_dim});
  hidden_forward(out.data(), ws, B, executor);
}

void MlpDenoiser::forward_train(Tensor2& out, const Tensor2& x_t, const Steps& t,
                                const Executor& executor) {
  const std::size_t B = check_inputs(x_t, t.size());
  full_forward(out, train_, MlpWorkspaceKind::train, x_t, t, executor);
  cached_batch_ = B;
  has_cache_ = true;
}

void MlpDenoiser::backward(const Tensor2& d_out, const Executor& executor) {
  if (!has_cache_) fail("MLP denoiser: backward called before forward_train");
  const std::size_t B = cached_batch_, D = config_.data_dim, H = config_.hidden;
  const std::size_t L = config_.layers;
  if (d_out.shape(0) != B || d_out.shape(1) != D) {
    fail("MLP denoiser: d_out is (", d_out.shape(0), ", ", d_out.shape(1),
         "), the last forward_train output was (", B, ", ", D, ")");
  }
  const Activation act = config_.activation;
  MlpWorkspace& ws = train_;
  // Plain layers are chained (kernels::BelowLayer): each input-gradient product multiplies by the
  // layer below's act'(pre) in its epilogue, so d_h holds dL/dpre of the layer below and that
  // layer's backward only sums its bias gradient. Residual layers add dy to dh after the product,
  // so they take dL/dh and multiply themselves.
  const bool chained = !config_.residual;
  const auto below = [&](std::size_t l) {
    return chained ? kernels::BelowLayer{act, ws.layer[l].dact} : kernels::BelowLayer{};
  };
  // output: dh_L = d_out W_out
  int cur = 0;
  linear_backward(ws.d_h[cur], g(offsets_.output_weight), g(offsets_.output_bias), d_out.data(),
                  ws.layer[L - 1].h, p(offsets_.output_weight), B, H, D, executor, below(L - 1));
  for (std::size_t l = L - 1; l >= 1; --l) {
    const MlpLayerBuffers& buf = ws.layer[l];
    const float* h_in = ws.layer[l - 1].h;  // (B, H)
    float* dh_in = ws.d_h[1 - cur];         // (B, H)
    if (config_.residual) {
      const ResidualCache cache{buf.ln_out, buf.ln_mean, buf.ln_rstd, buf.dact};
      const ResidualParams params{p(offsets_.norm_weight[l]), p(offsets_.norm_bias[l]),
                                  p(offsets_.layer_weight[l]), p(offsets_.layer_bias[l])};
      const ResidualGrads grads{g(offsets_.norm_weight[l]), g(offsets_.norm_bias[l]),
                                g(offsets_.layer_weight[l]), g(offsets_.layer_bias[l])};
      residual_block_backward(dh_in, grads, ws.d_pre, ws.d_ln, cache, ws.d_h[cur], h_in, params, B,
                              H, act, executor);
    } else {
      // ws.d_h[cur] is this layer's dL/dpre already
      dense_block_backward(dh_in, g(offsets_.layer_weight[l]), g(offsets_.layer_bias[l]), ws.d_h[cur],
                           nullptr, ws.d_h[cur], h_in, p(offsets_.layer_weight[l]), B, H, H,
                           Activation::identity, executor, below(l - 1));
    }
    cur = 1 - cur;
  }
  // layers.0: its input is data, so only the parameter gradients (and d_pre for time_proj).
  float* d_pre0 = chained ? ws.d_h[cur] : ws.d_pre;
  dense_block_backward(nullptr, g(offsets_.layer_weight[0]), g(offsets_.layer_bias[0]), d_pre0,
                       chained ? nullptr : ws.layer[0].dact, ws.d_h[cur], ws.h0,
                       p(offsets_.layer_weight[0]), B, mlp_input_width(config_), H,
                       chained ? Activation::identity : act, executor);
  if (config_.time_projection) time_projection_backward(ws, d_pre0, B, executor);
}

// time_proj: dL/de (B, E) = d_pre0 (B, H) W0[:, Dx:] (H, E), then through SiLU(Linear(emb)).
// d_pre0 (B, H) is layers.0's dL/dpre.
void MlpDenoiser::time_projection_backward(MlpWorkspace& ws, const float* d_pre0, std::size_t B,
                                           const Executor& executor) {
  const std::size_t E = config_.time_embed, H = config_.hidden;
  const std::size_t Dx = mlp_x_width(config_), D_in = mlp_input_width(config_);
  kernels::gemm(Transpose::no, Transpose::no, B, E, H, 1.0f, d_pre0, H,
                p(offsets_.layer_weight[0]) + Dx, D_in, 0.0f, ws.d_t, E, executor);
  dense_block_backward(nullptr, g(offsets_.time_proj_weight), g(offsets_.time_proj_bias),
                       ws.d_t_pre, ws.t_dact, ws.d_t, ws.t_emb, p(offsets_.time_proj_weight), B, E,
                       E, Activation::silu, executor);
}

void MlpDenoiser::predict(Tensor2& out, const Tensor2& x_t, const Steps& t,
                          const Executor& executor) {
  check_inputs(x_t, t.size());
  full_forward(out, infer_, MlpWorkspaceKind::infer, x_t, t, executor);
}

void MlpDenoiser::predict_at(Tensor2& out, const Tensor2& x_t, int t, const Executor& executor) {
  const std::size_t B = check_inputs(x_t, x_t.shape(0));
  const std::size_t D = config_.data_dim, E = config_.time_embed, H = config_.hidden;
  const std::size_t Dx = mlp_x_width(config_), D_in = mlp_input_width(config_);
  const float* w0 = p(offsets_.layer_weight[0]);  // (H, D_in)
  infer_.prepare(config_, std::max<std::size_t>(B, 1), MlpWorkspaceKind::infer);
  MlpWorkspace& ws = infer_;
  // shared_pre0 (1, H) = e(t) (1, E) W0[:, Dx:]^T + b0: the time features' share, once.
  const std::int32_t step = t;
  time_features(ws, &step, 1, executor);
  const float* e = config_.time_projection ? ws.t_out : ws.t_emb;
  kernels::gemm(Transpose::no, Transpose::yes, 1, H, E, 1.0f, e, E, w0 + Dx, D_in, 0.0f,
                ws.shared_pre0, H, executor);
  kernels::add_bias_rows(ws.shared_pre0, p(offsets_.layer_bias[0]), 1, H);
  // pre0 (B, H) = x part (B, Dx) W0[:, :Dx]^T + shared_pre0
  const float* x_part = x_t.data();
  if (config_.x_embed != 0) {
    x_embedding_forward(ws.h0, x_t.data(), B, D, config_.x_embed);  // (B, Dx), contiguous here
    x_part = ws.h0;
  }
  // with shared_pre0 as the bias and the activation in the GEMM's epilogue. The fused kernel takes
  // a contiguous (H, Dx) weight: W0[:, :Dx] is copied out (H Dx floats, nothing next to a step).
  w0_x_.resize(H * Dx);
  for (std::size_t h = 0; h < H; ++h) std::copy(w0 + h * D_in, w0 + h * D_in + Dx, &w0_x_[h * Dx]);
  const MlpLayerBuffers& first = ws.layer[0];
  kernels::linear_forward(config_.activation, first.h, nullptr, x_part, w0_x_.data(),
                          ws.shared_pre0, B, Dx, H, executor);
  out.resize({B, D});
  hidden_forward(out.data(), ws, B, executor);
}

}  // namespace diffuse
