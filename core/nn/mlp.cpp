#include "nn/mlp.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "base/error.hpp"
#include "nn/linear.hpp"
#include "nn/residual_block.hpp"

namespace diffuse {

ParamLayout mlp_param_layout(const MlpConfig& c, MlpOffsets* offsets) {
  mlp_config_validate(c);
  const std::size_t O = mlp_out_dim(c), E = c.time_embed, H = c.hidden, L = c.layers;
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
  o.output_weight = layout.add("output.weight", {O, H});
  o.output_bias = layout.add("output.bias", {O});
  if (c.classes > 0) o.class_embedding = layout.add("class_embedding.weight", {c.classes + 1, E});
  if (offsets != nullptr) *offsets = std::move(o);
  return layout;
}

Mlp::Mlp(const MlpConfig& config)
    : Network({config.data_dim}, config.classes, mlp_param_layout(config), mlp_out_dim(config)),
      config_(config),
      time_embedding_(config.time_embed) {
  mlp_param_layout(config_, &offsets_);
}

std::unique_ptr<Network> Mlp::clone() const {
  auto out = std::make_unique<Mlp>(config_);
  std::copy(params().begin(), params().end(), out->params().begin());
  return out;
}

void Mlp::init_params(Rng& rng) {
  const std::size_t E = config_.time_embed, H = config_.hidden;
  const MlpOffsets& o = offsets_;
  float* base = params().data();
  std::fill(params().begin(), params().end(), 0.0f);
  // Draws in layout order: time_proj, layers.0 .., output, class_embedding (LayerNorm draws
  // nothing).
  if (config_.time_projection) {
    linear_init(base + o.time_proj_weight, base + o.time_proj_bias, E, E, rng);
  }
  for (std::size_t l = 0; l < config_.layers; ++l) {
    const std::size_t in = l == 0 ? mlp_input_width(config_) : H;
    linear_init(base + o.layer_weight[l], base + o.layer_bias[l], H, in, rng);
  }
  if (config_.residual) {
    for (std::size_t l = 1; l < config_.layers; ++l) {
      std::fill(base + o.norm_weight[l], base + o.norm_weight[l] + H, 1.0f);  // bias stays 0
    }
  }
  linear_init(base + o.output_weight, base + o.output_bias, mlp_out_dim(config_), H, rng);
  if (config_.classes > 0) rng.fill_normal(base + o.class_embedding, (config_.classes + 1) * E);
}

const std::int32_t* Mlp::labels_or_null(const Labels* labels, std::size_t B,
                                        std::vector<std::int32_t>& scratch) const {
  if (config_.classes == 0) return nullptr;
  scratch.resize(B);
  if (labels != nullptr) {
    std::copy(labels->begin(), labels->end(), scratch.begin());
  } else {
    std::fill(scratch.begin(), scratch.end(), static_cast<std::int32_t>(config_.classes));
  }
  return scratch.data();
}

// ws.t_emb, then ws.t_dact and ws.t_out with the projection: the time features of B rows.
void Mlp::time_features(MlpWorkspace& ws, const double* t, std::size_t B,
                        const Executor& executor) {
  const std::size_t E = config_.time_embed;
  time_embedding_.embed(ws.t_emb, t, B);
  if (config_.time_projection) {
    linear_forward(ws.t_out, ws.t_dact, ws.t_emb, param(offsets_.time_proj_weight),
                   param(offsets_.time_proj_bias), B, E, E, Activation::silu, executor);
  }
}

// ws.h0 (B, D_in) = [x (B, D) or its embedding, e (B, E)], e = time features (+ class embedding).
void Mlp::input_forward(MlpWorkspace& ws, const float* x, const double* t,
                        const std::int32_t* labels, std::size_t B, const Executor& executor) {
  const std::size_t D = config_.data_dim, E = config_.time_embed;
  const std::size_t Dx = mlp_x_width(config_), D_in = mlp_input_width(config_);
  time_features(ws, t, B, executor);
  float* e = config_.time_projection ? ws.t_out : ws.t_emb;  // (B, E)
  if (labels != nullptr) {
    // e = time features + class embedding, in t_out: backward reads t_emb and t_dact, never
    // t_out, so with the projection the sum can overwrite it.
    if (!config_.time_projection) {
      std::copy(ws.t_emb, ws.t_emb + B * E, ws.t_out);
      e = ws.t_out;
    }
    embedding_add_forward(e, param(offsets_.class_embedding), labels, B, E);
  }
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

// Layers 1..L-1 and the output layer, from ws.layer[0].h (B, H) to out (B, O).
void Mlp::hidden_forward(float* out, MlpWorkspace& ws, std::size_t B,
                         const Executor& executor) const {
  const std::size_t O = output_size(), H = config_.hidden, L = config_.layers;
  const Activation act = config_.activation;
  for (std::size_t l = 1; l < L; ++l) {
    const MlpLayerBuffers& buf = ws.layer[l];
    const float* h_in = ws.layer[l - 1].h;  // (B, H)
    if (config_.residual) {
      const ResidualCache cache{buf.ln_out, buf.ln_mean, buf.ln_rstd, buf.dact};
      const ResidualParams params{param(offsets_.norm_weight[l]), param(offsets_.norm_bias[l]),
                                  param(offsets_.layer_weight[l]), param(offsets_.layer_bias[l])};
      residual_block_forward(buf.h, cache, h_in, params, B, H, act, executor);
    } else {
      linear_forward(buf.h, buf.dact, h_in, param(offsets_.layer_weight[l]),
                     param(offsets_.layer_bias[l]), B, H, H, act, executor);
    }
  }
  linear_forward(out, nullptr, ws.layer[L - 1].h, param(offsets_.output_weight),
                 param(offsets_.output_bias), B, H, O, Activation::identity, executor);
}

// The whole network for B rows with per-row steps t, in workspace ws (train keeps the caches).
void Mlp::full_forward(Tensor2& out, MlpWorkspace& ws, MlpWorkspaceKind kind, const Tensor2& x,
                       const double* t, const std::int32_t* labels, const Executor& executor) {
  const std::size_t B = x.shape(0);
  ws.prepare(config_, B, kind);
  input_forward(ws, x.data(), t, labels, B, executor);
  linear_forward(ws.layer[0].h, ws.layer[0].dact, ws.h0, param(offsets_.layer_weight[0]),
                 param(offsets_.layer_bias[0]), B, mlp_input_width(config_), config_.hidden,
                 config_.activation, executor);
  out.resize({B, output_size()});
  hidden_forward(out.data(), ws, B, executor);
}

void Mlp::forward_train_times(Tensor2& out, const Tensor2& x, const double* t, const Labels* labels,
                              const Executor& executor) {
  const std::size_t B = check_batch("MLP", x, x.shape(0), labels);
  const std::int32_t* rows = labels_or_null(labels, B, train_labels_);
  full_forward(out, train_, MlpWorkspaceKind::train, x, t, rows, executor);
  cached_batch_ = B;
  has_cache_ = true;
}

void Mlp::backward(const Tensor2& d_out, const Executor& executor) {
  if (!has_cache_) fail("MLP: backward called before forward_train");
  const std::size_t B = cached_batch_, O = output_size(), H = config_.hidden;
  const std::size_t L = config_.layers;
  if (d_out.shape(0) != B || d_out.shape(1) != O) {
    fail("MLP: d_out is (", d_out.shape(0), ", ", d_out.shape(1),
         "), the last forward_train output was (", B, ", ", O, ")");
  }
  const Activation act = config_.activation;
  MlpWorkspace& ws = train_;
  // Plain layers are chained (kernels::BelowLayer): each input-gradient product multiplies by the
  // layer below's act'(pre) in its epilogue, so d_h holds dL/dpre of the layer below and that
  // layer's backward only sums its bias gradient. Residual layers add dy to dh after the product,
  // so they take dL/dh and multiply themselves.
  const bool chained = !config_.residual;
  const auto below = [&](std::size_t l) {
    return chained ? BelowLayer{act, ws.layer[l].dact} : BelowLayer{};
  };
  // output: dh_L = d_out W_out
  int cur = 0;
  linear_backward(ws.d_h[cur], grad(offsets_.output_weight), grad(offsets_.output_bias), nullptr,
                  nullptr, d_out.data(), ws.layer[L - 1].h, param(offsets_.output_weight), B, H, O,
                  Activation::identity, executor, below(L - 1));
  for (std::size_t l = L - 1; l >= 1; --l) {
    const MlpLayerBuffers& buf = ws.layer[l];
    const float* h_in = ws.layer[l - 1].h;  // (B, H)
    float* dh_in = ws.d_h[1 - cur];         // (B, H)
    if (config_.residual) {
      const ResidualCache cache{buf.ln_out, buf.ln_mean, buf.ln_rstd, buf.dact};
      const ResidualParams params{param(offsets_.norm_weight[l]), param(offsets_.norm_bias[l]),
                                  param(offsets_.layer_weight[l]), param(offsets_.layer_bias[l])};
      const ResidualGrads grads{grad(offsets_.norm_weight[l]), grad(offsets_.norm_bias[l]),
                                grad(offsets_.layer_weight[l]), grad(offsets_.layer_bias[l])};
      residual_block_backward(dh_in, grads, ws.d_pre, ws.d_ln, cache, ws.d_h[cur], h_in, params, B,
                              H, act, executor);
    } else {
      // ws.d_h[cur] is this layer's dL/dpre already
      linear_backward(dh_in, grad(offsets_.layer_weight[l]), grad(offsets_.layer_bias[l]),
                      ws.d_h[cur], nullptr, ws.d_h[cur], h_in, param(offsets_.layer_weight[l]), B,
                      H, H, Activation::identity, executor, below(l - 1));
    }
    cur = 1 - cur;
  }
  // layers.0: its input is data, so only the parameter gradients, and dL/dh0 when the time
  // features have parameters below them (the projection, the class embedding).
  float* d_pre0 = chained ? ws.d_h[cur] : ws.d_pre;
  linear_backward(ws.d_h0, grad(offsets_.layer_weight[0]), grad(offsets_.layer_bias[0]), d_pre0,
                  chained ? nullptr : ws.layer[0].dact, ws.d_h[cur], ws.h0,
                  param(offsets_.layer_weight[0]), B, mlp_input_width(config_), H,
                  chained ? Activation::identity : act, executor);
  if (ws.d_h0 != nullptr) time_features_backward(ws, B, executor);
}

// From dL/dh0 (B, D_in): the time features' columns dL/de (B, E), into the class embedding
// (e = time features + class_embedding[label]) and through SiLU(time_proj(emb(t))).
void Mlp::time_features_backward(MlpWorkspace& ws, std::size_t B, const Executor& executor) {
  const std::size_t E = config_.time_embed;
  const std::size_t Dx = mlp_x_width(config_), D_in = mlp_input_width(config_);
  for (std::size_t b = 0; b < B; ++b) {
    std::copy(ws.d_h0 + b * D_in + Dx, ws.d_h0 + (b + 1) * D_in, ws.d_t + b * E);
  }
  if (config_.classes > 0) {
    embedding_add_backward(grad(offsets_.class_embedding), ws.d_t, train_labels_.data(), B, E);
  }
  if (config_.time_projection) {
    linear_backward(nullptr, grad(offsets_.time_proj_weight), grad(offsets_.time_proj_bias),
                    ws.d_t_pre, ws.t_dact, ws.d_t, ws.t_emb, param(offsets_.time_proj_weight), B,
                    E, E, Activation::silu, executor);
  }
}

void Mlp::forward(Tensor2& out, const Tensor2& x, const Steps& t, const Labels* labels,
                  const Executor& executor) {
  const std::size_t B = check_batch("MLP", x, t.size(), labels);
  const std::int32_t* rows = labels_or_null(labels, B, infer_labels_);
  full_forward(out, infer_, MlpWorkspaceKind::infer, x, times_of(t, times_), rows, executor);
}

void Mlp::forward_at(Tensor2& out, const Tensor2& x, double t, const Labels* labels,
                     const Executor& executor) {
  if (config_.classes > 0) {
    const std::size_t B = check_batch("MLP", x, x.shape(0), labels);
    times_.assign(B, t);
    const std::int32_t* rows = labels_or_null(labels, B, infer_labels_);
    full_forward(out, infer_, MlpWorkspaceKind::infer, x, times_.data(), rows, executor);
    return;
  }
  const std::size_t B = check_batch("MLP", x, x.shape(0), labels);
  const std::size_t D = config_.data_dim, E = config_.time_embed, H = config_.hidden;
  const std::size_t Dx = mlp_x_width(config_), D_in = mlp_input_width(config_);
  const float* w0 = param(offsets_.layer_weight[0]);  // (H, D_in)
  infer_.prepare(config_, std::max<std::size_t>(B, 1), MlpWorkspaceKind::infer);
  MlpWorkspace& ws = infer_;
  // shared_pre0 (1, H) = e(t) (1, E) W0[:, Dx:]^T + b0: the time features' share, once.
  time_features(ws, &t, 1, executor);
  const float* e = config_.time_projection ? ws.t_out : ws.t_emb;
  linear_forward_columns(ws.shared_pre0, e, w0 + Dx, D_in, param(offsets_.layer_bias[0]), 1, E, H,
                         executor);
  // pre0 (B, H) = x part (B, Dx) W0[:, :Dx]^T + shared_pre0
  const float* x_part = x.data();
  if (config_.x_embed != 0) {
    x_embedding_forward(ws.h0, x.data(), B, D, config_.x_embed);  // (B, Dx), contiguous here
    x_part = ws.h0;
  }
  // with shared_pre0 as the bias and the activation in the GEMM's epilogue. The layer takes a
  // contiguous (H, Dx) weight: W0[:, :Dx] is copied out (H Dx floats, nothing next to a step).
  w0_x_.resize(H * Dx);
  for (std::size_t h = 0; h < H; ++h) std::copy(w0 + h * D_in, w0 + h * D_in + Dx, &w0_x_[h * Dx]);
  const MlpLayerBuffers& first = ws.layer[0];
  linear_forward(first.h, nullptr, x_part, w0_x_.data(), ws.shared_pre0, B, Dx, H,
                 config_.activation, executor);
  out.resize({B, output_size()});
  hidden_forward(out.data(), ws, B, executor);
}

}  // namespace diffuse
