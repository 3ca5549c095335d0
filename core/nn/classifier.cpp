#include "nn/classifier.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "base/error.hpp"
#include "data/normalization.hpp"
#include "nn/linear.hpp"

namespace diffuse {

ParamLayout classifier_param_layout(const ClassifierConfig& c, ClassifierOffsets* offsets) {
  classifier_config_validate(c);
  const std::size_t D = classifier_input_size(c), H = c.hidden, K = c.classes;
  ParamLayout layout;
  ClassifierOffsets o;
  for (std::size_t l = 0; l < c.layers; ++l) {
    const std::string name = "layers." + std::to_string(l);
    o.layer_weight.push_back(layout.add(name + ".weight", {H, l == 0 ? D : H}));
    o.layer_bias.push_back(layout.add(name + ".bias", {H}));
  }
  o.output_weight = layout.add("output.weight", {K, H});
  o.output_bias = layout.add("output.bias", {K});
  if (offsets != nullptr) *offsets = std::move(o);
  return layout;
}

Classifier::Classifier(const ClassifierConfig& config)
    : config_(config),
      D_(classifier_input_size(config)),
      layout_(classifier_param_layout(config, &offsets_)),
      params_(params_allocate(layout_)),
      grads_(params_allocate(layout_)) {}

void Classifier::init_params(Rng& rng) {
  std::fill(params_.begin(), params_.end(), 0.0f);
  const std::size_t H = config_.hidden;
  for (std::size_t l = 0; l < config_.layers; ++l) {
    linear_init(params_.data() + offsets_.layer_weight[l], params_.data() + offsets_.layer_bias[l],
                H, l == 0 ? D_ : H, rng);
  }
  linear_init(params_.data() + offsets_.output_weight, params_.data() + offsets_.output_bias,
              config_.classes, H, rng);
}

void Classifier::zero_grad() {
  std::fill(grads_.begin(), grads_.end(), 0.0f);
}

std::size_t Classifier::check_inputs(const char* who, const Tensor2& x) const {
  if (x.shape(1) != D_) {
    fail("classifier ", who, ": x has ", x.shape(1), " values per image, the classifier takes ",
         D_);
  }
  return x.shape(0);
}

void Classifier::forward_train(Tensor2& logits, const Tensor2& x, const Executor& executor) {
  const std::size_t B = check_inputs("forward_train", x);
  if (B == 0) fail("classifier forward_train: the batch is empty");
  const std::size_t H = config_.hidden, L = config_.layers, K = config_.classes;
  if (B != train_rows_) {  // resize() keeps the capacity: a smaller batch allocates nothing
    train_rows_ = B;
    train_x_.resize(B * D_);
    train_h_.resize(L * B * H);
    train_dact_.resize(L * B * H);
    train_dh_.resize(2 * B * H);
  }
  std::copy(x.begin(), x.end(), train_x_.begin());
  const float* h_in = train_x_.data();
  for (std::size_t l = 0; l < L; ++l) {
    linear_forward(train_h(l), train_dact(l), h_in, params_.data() + offsets_.layer_weight[l],
                   params_.data() + offsets_.layer_bias[l], B, l == 0 ? D_ : H, H,
                   config_.activation, executor);
    h_in = train_h(l);
  }
  logits.resize({B, K});
  linear_forward(logits.data(), nullptr, h_in, params_.data() + offsets_.output_weight,
                 params_.data() + offsets_.output_bias, B, H, K, kernels::Activation::identity,
                 executor);
  has_cache_ = true;
}

void Classifier::backward(const Tensor2& d_logits, const Executor& executor) {
  if (!has_cache_) fail("classifier: backward called before forward_train");
  const std::size_t B = train_rows_, H = config_.hidden, L = config_.layers, K = config_.classes;
  if (d_logits.shape(0) != B || d_logits.shape(1) != K) {
    fail("classifier: d_logits is (", d_logits.shape(0), ", ", d_logits.shape(1),
         "), the last forward_train's logits were (", B, ", ", K, ")");
  }
  const kernels::Activation act = config_.activation;
  float* d_pre[2] = {train_dh_.data(), train_dh_.data() + B * H};
  int cur = 0;
  // Chained layers (kernels::BelowLayer): each input-gradient product multiplies by the layer
  // below's act'(pre) in its epilogue, so d_pre[cur] holds dL/dpre of the layer below and that
  // layer's backward only sums its bias gradient (as the MLP denoiser's plain layers do).
  // output: dL/dpre of layers.{L-1} = (d_logits W_out) * act'(pre_{L-1})
  linear_backward(d_pre[cur], grads_.data() + offsets_.output_weight,
                  grads_.data() + offsets_.output_bias, nullptr, nullptr, d_logits.data(),
                  train_h(L - 1), params_.data() + offsets_.output_weight, B, H, K,
                  kernels::Activation::identity, executor, BelowLayer{act, train_dact(L - 1)});
  for (std::size_t l = L - 1; l >= 1; --l) {
    linear_backward(d_pre[1 - cur], grads_.data() + offsets_.layer_weight[l],
                    grads_.data() + offsets_.layer_bias[l], d_pre[cur], nullptr, d_pre[cur],
                    train_h(l - 1), params_.data() + offsets_.layer_weight[l], B, H, H,
                    kernels::Activation::identity, executor, BelowLayer{act, train_dact(l - 1)});
    cur = 1 - cur;
  }
  // layers.0: its input is data, so only the parameter gradients.
  linear_backward(nullptr, grads_.data() + offsets_.layer_weight[0],
                  grads_.data() + offsets_.layer_bias[0], d_pre[cur], nullptr, d_pre[cur],
                  train_x_.data(), params_.data() + offsets_.layer_weight[0], B, D_, H,
                  kernels::Activation::identity, executor);
}

const float* Classifier::infer_chunk(float* logits, const float* x, std::size_t B,
                                     const Executor& executor) {
  const std::size_t H = config_.hidden, L = config_.layers;
  infer_h_.resize(2 * infer_chunk_rows * H);
  float* h[2] = {infer_h_.data(), infer_h_.data() + infer_chunk_rows * H};
  const float* h_in = x;
  for (std::size_t l = 0; l < L; ++l) {
    linear_forward(h[l % 2], nullptr, h_in, params_.data() + offsets_.layer_weight[l],
                   params_.data() + offsets_.layer_bias[l], B, l == 0 ? D_ : H, H,
                   config_.activation, executor);
    h_in = h[l % 2];
  }
  if (logits != nullptr) {
    linear_forward(logits, nullptr, h_in, params_.data() + offsets_.output_weight,
                   params_.data() + offsets_.output_bias, B, H, config_.classes,
                   kernels::Activation::identity, executor);
  }
  return h_in;
}

void Classifier::forward(Tensor2& logits, const Tensor2& x, const Executor& executor) {
  const std::size_t B = check_inputs("forward", x), K = config_.classes;
  logits.resize({B, K});
  for (std::size_t first = 0; first < B; first += infer_chunk_rows) {
    const std::size_t rows = std::min(infer_chunk_rows, B - first);
    infer_chunk(logits.data() + first * K, x.data() + first * D_, rows, executor);
  }
}

void Classifier::features(Tensor2& features, const Tensor2& x, const Executor& executor) {
  const std::size_t B = check_inputs("features", x), H = config_.hidden;
  features.resize({B, H});
  for (std::size_t first = 0; first < B; first += infer_chunk_rows) {
    const std::size_t rows = std::min(infer_chunk_rows, B - first);
    const float* h = infer_chunk(nullptr, x.data() + first * D_, rows, executor);
    std::copy(h, h + rows * H, features.data() + first * H);
  }
}

void classifier_check_images(const ClassifierConfig& c, const ImageSet& set,
                             std::string_view what) {
  image_set_validate(set, what);
  const std::size_t D = classifier_input_size(c);
  if (set.image_size() != D) {
    fail(what, ": images of ", set.channels, " x ", set.height, " x ", set.width, " = ",
         set.image_size(), " pixels, but the classifier takes ", D);
  }
  if (set.levels != c.levels) {
    fail(what, ": pixels of ", set.levels, " levels, but the classifier takes ", c.levels);
  }
  if (set.classes != c.classes) {
    fail(what, ": labels of ", set.classes, " classes, but the classifier has ", c.classes);
  }
}

namespace {

// The normalized value of every level 0..L-1, as normalization_apply computes it.
std::vector<float> level_values(int levels) {
  Tensor2 raw = Tensor2::from_shape({1, static_cast<std::size_t>(levels)});
  for (int p = 0; p < levels; ++p) raw(0, static_cast<std::size_t>(p)) = static_cast<float>(p);
  const Tensor2 values = normalization_apply(normalization_levels(levels), raw);
  return std::vector<float>(values.begin(), values.end());
}

}  // namespace

void classifier_inputs_rows(Tensor2& out, const ClassifierConfig& c, const ImageSet& set,
                            const std::int32_t* rows, std::size_t B) {
  const std::vector<float> value = level_values(c.levels);
  const std::size_t D = set.image_size();
  out.resize({B, D});
  for (std::size_t b = 0; b < B; ++b) {
    const std::uint8_t* pixels = set.pixels.data() + static_cast<std::size_t>(rows[b]) * D;
    float* row = out.data() + b * D;
    for (std::size_t d = 0; d < D; ++d) row[d] = value[pixels[d]];
  }
}

Tensor2 classifier_inputs(const ClassifierConfig& c, const ImageSet& set) {
  classifier_check_images(c, set, "classifier inputs");
  std::vector<std::int32_t> rows(set.count);
  for (std::size_t n = 0; n < set.count; ++n) rows[n] = static_cast<std::int32_t>(n);
  Tensor2 out;
  classifier_inputs_rows(out, c, set, rows.data(), set.count);
  return out;
}

Labels classifier_predictions(const Tensor2& logits) {
  const std::size_t B = logits.shape(0), K = logits.shape(1);
  Labels out = Labels::from_shape({B});
  for (std::size_t b = 0; b < B; ++b) {
    const float* z = logits.data() + b * K;
    std::size_t best = 0;
    for (std::size_t k = 1; k < K; ++k) {
      if (z[k] > z[best] || (std::isnan(z[best]) && !std::isnan(z[k]))) best = k;
    }
    out(b) = static_cast<std::int32_t>(best);
  }
  return out;
}

}  // namespace diffuse
