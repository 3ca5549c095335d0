#include "nn/classifier_trainer.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <numeric>
#include <string>
#include <utility>

#include "base/error.hpp"
#include "base/json_fields.hpp"
#include "base/rng.hpp"
#include "nn/cross_entropy.hpp"

namespace diffuse {

bool ClassifierTrainConfig::operator==(const ClassifierTrainConfig& o) const {
  return seed == o.seed && epochs == o.epochs && batch == o.batch &&
         learning_rate == o.learning_rate && warmup_steps == o.warmup_steps;
}

void classifier_train_config_validate(const ClassifierTrainConfig& c) {
  if (!classifier_epochs_range.contains(c.epochs)) {
    fail("classifier training: epochs = ", c.epochs, " is out of range: allowed is ",
         classifier_epochs_range.min, "..", classifier_epochs_range.max);
  }
  if (!classifier_batch_range.contains(static_cast<std::int64_t>(c.batch))) {
    fail("classifier training: batch = ", c.batch, " is out of range: allowed is ",
         classifier_batch_range.min, "..", classifier_batch_range.max);
  }
  if (!(c.learning_rate > 0.0 && std::isfinite(c.learning_rate))) {
    fail("classifier training: learning_rate = ", c.learning_rate, " must be finite and > 0");
  }
  if (c.warmup_steps < 0) {
    fail("classifier training: warmup_steps = ", c.warmup_steps, " must be >= 0");
  }
}

nlohmann::json classifier_train_config_to_json(const ClassifierTrainConfig& c) {
  return nlohmann::json{{"seed", std::to_string(c.seed)},
                        {"epochs", c.epochs},
                        {"batch", c.batch},
                        {"learning_rate", c.learning_rate},
                        {"warmup_steps", c.warmup_steps}};
}

ClassifierTrainConfig classifier_train_config_from_json(const nlohmann::json& json) {
  const JsonFields f(json, "classifier training",
                     {"seed", "epochs", "batch", "learning_rate", "warmup_steps"});
  ClassifierTrainConfig c;
  const std::string seed = f.text("seed", "a decimal integer 0..2^64-1");
  std::size_t used = 0;
  try {
    if (seed.empty() || seed[0] < '0' || seed[0] > '9') throw std::invalid_argument(seed);
    c.seed = std::stoull(seed, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != seed.size()) {
    fail("classifier training: seed ", quote_text(seed), " is not a decimal integer 0..2^64-1");
  }
  c.epochs = static_cast<std::int64_t>(f.size("epochs"));
  c.batch = f.size("batch");
  c.learning_rate = f.number("learning_rate");
  c.warmup_steps = static_cast<std::int64_t>(f.size("warmup_steps"));
  classifier_train_config_validate(c);
  return c;
}

std::uint64_t classifier_stream(ClassifierStream purpose, std::int64_t index) {
  return (static_cast<std::uint64_t>(purpose) << 40) | static_cast<std::uint64_t>(index);
}

namespace {

Classifier initialized_classifier(const ClassifierConfig& model, const ClassifierTrainConfig& train,
                                  const ImageSet& images) {
  classifier_train_config_validate(train);
  classifier_check_images(model, images, "classifier training images");
  Classifier out(model);
  Rng rng(train.seed, classifier_stream(ClassifierStream::init, 0));
  out.init_params(rng);
  return out;
}

}  // namespace

ClassifierTrainer::ClassifierTrainer(const ClassifierConfig& model,
                                     const ClassifierTrainConfig& train, ImageSet images)
    : train_(train),
      images_(std::move(images)),
      classifier_(initialized_classifier(model, train, images_)),
      adam_(OptimizerConfig{}, classifier_.layout().total()) {
  const auto N = static_cast<std::int64_t>(images_.count);
  const auto B = static_cast<std::int64_t>(train_.batch);
  steps_per_epoch_ = (N + B - 1) / B;
  schedule_.kind = LrScheduleKind::cosine;
  schedule_.base_lr = train_.learning_rate;
  schedule_.total_steps = steps_total();
  schedule_.warmup_steps = train_.warmup_steps;
  lr_schedule_validate(schedule_);
}

void ClassifierTrainer::draw_batch(std::int64_t k) {
  const std::size_t N = images_.count;
  const std::int64_t epoch = k / steps_per_epoch_;
  if (epoch != order_epoch_) {
    order_.resize(N);
    std::iota(order_.begin(), order_.end(), 0);
    Rng rng(train_.seed, classifier_stream(ClassifierStream::shuffle, epoch));
    for (std::size_t i = N - 1; i >= 1; --i) {
      std::swap(order_[i], order_[rng.below(static_cast<std::uint32_t>(i + 1))]);
    }
    order_epoch_ = epoch;
  }
  const std::size_t first = static_cast<std::size_t>(k % steps_per_epoch_) * train_.batch;
  const std::size_t B = std::min(train_.batch, N - first);
  rows_.assign(order_.begin() + static_cast<std::ptrdiff_t>(first),
               order_.begin() + static_cast<std::ptrdiff_t>(first + B));
}

ClassifierStepResult ClassifierTrainer::step(const Executor& executor) {
  ClassifierStepResult result;
  const std::int64_t k = step_;
  result.learning_rate = lr_schedule_at(schedule_, k);
  // The batch: B images of this epoch's order, as the classifier's inputs, and their labels.
  draw_batch(k);
  const std::size_t B = rows_.size();
  classifier_inputs_rows(x_, classifier_.config(), images_, rows_.data(), B);
  labels_.resize(B);
  for (std::size_t b = 0; b < B; ++b)
    labels_[b] = images_.labels[static_cast<std::size_t>(rows_[b])];
  // Forward, loss, backward, Adam.
  classifier_.zero_grad();
  classifier_.forward_train(logits_, x_, executor);
  d_logits_.resize(logits_.shape());
  result.loss = cross_entropy_forward_backward(d_logits_.data(), logits_.data(), labels_.data(), B,
                                               classifier_.config().classes);
  classifier_.backward(d_logits_, executor);
  const double grad_norm =
      clip_grad_norm(classifier_.grads().data(), classifier_.grads().size(), 0.0);
  result.finite = std::isfinite(result.loss) && std::isfinite(grad_norm);
  if (!result.finite) {
    result.step = step_;
    return result;
  }
  adam_.step(classifier_.params().data(), classifier_.grads().data(), result.learning_rate);
  result.step = ++step_;
  return result;
}

namespace {

// Runs `use(first, x)` on the inputs x (rows, D) of consecutive chunks of the set's images, each
// of Classifier::infer_chunk_rows rows (the last one shorter), so that memory stays bounded.
template <typename Use>
void for_input_chunks(const Classifier& classifier, const ImageSet& set, Use&& use) {
  classifier_check_images(classifier.config(), set, "classifier images");
  const std::size_t chunk = Classifier::infer_chunk_rows;
  std::vector<std::int32_t> rows(chunk);
  Tensor2 x;
  for (std::size_t first = 0; first < set.count; first += chunk) {
    const std::size_t n = std::min(chunk, set.count - first);
    for (std::size_t i = 0; i < n; ++i) rows[i] = static_cast<std::int32_t>(first + i);
    classifier_inputs_rows(x, classifier.config(), set, rows.data(), n);
    use(first, x);
  }
}

}  // namespace

Labels classifier_classify(Classifier& classifier, const ImageSet& set, const Executor& executor) {
  Labels out = Labels::from_shape({set.count});
  Tensor2 logits;
  for_input_chunks(classifier, set, [&](std::size_t first, const Tensor2& x) {
    classifier.forward(logits, x, executor);
    const Labels predicted = classifier_predictions(logits);
    std::copy(predicted.begin(), predicted.end(), out.begin() + static_cast<std::ptrdiff_t>(first));
  });
  return out;
}

Tensor2 classifier_image_features(Classifier& classifier, const ImageSet& set,
                                  const Executor& executor) {
  Tensor2 out = Tensor2::from_shape({set.count, classifier.config().hidden});
  Tensor2 features;
  for_input_chunks(classifier, set, [&](std::size_t first, const Tensor2& x) {
    classifier.features(features, x, executor);
    std::copy(features.begin(), features.end(),
              out.begin() + static_cast<std::ptrdiff_t>(first * classifier.config().hidden));
  });
  return out;
}

}  // namespace diffuse
