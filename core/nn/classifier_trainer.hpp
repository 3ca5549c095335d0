#pragma once
// Training the image classifier (nn/classifier.hpp) on a labelled image set, one minibatch per
// step (ARCHITECTURE lesson 11): gather the batch's images as the classifier's inputs; forward;
// softmax cross-entropy (nn/cross_entropy.hpp); backward; Adam (nn/optimizer.hpp) at a cosine
// learning rate with warmup (nn/lr_schedule.hpp). Nothing else: timing, printing and files live in
// the caller.
//
// Batches: epoch e visits every training image once, in the order of a Fisher-Yates permutation
// drawn from Rng(seed, classifier_stream(shuffle, e)) (for i = N - 1 down to 1, swap i with
// below(i + 1)); its steps take consecutive runs of `batch` images of that order, the last one
// shorter when batch does not divide N, so an epoch is ceil(N / batch) steps. The initial weights
// come from Rng(seed, classifier_stream(init, 0)). A run is therefore a pure function of (seed,
// configurations, data), and the same for every thread count (the kernels' results do not depend
// on it).
#include <cstddef>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <vector>

#include "base/executor.hpp"
#include "base/ranges.hpp"
#include "base/tensor.hpp"
#include "data/image_set.hpp"
#include "nn/classifier.hpp"
#include "nn/lr_schedule.hpp"
#include "nn/optimizer.hpp"

namespace diffuse {

struct ClassifierTrainConfig {
  std::uint64_t seed = 0;
  std::int64_t epochs = 10;
  std::size_t batch = 128;
  double learning_rate = 1e-3;    // Adam's base rate, cosine-decayed to 0 over the run
  std::int64_t warmup_steps = 0;  // linear warmup from 0 (at most the run's steps)

  bool operator==(const ClassifierTrainConfig& other) const;
  bool operator!=(const ClassifierTrainConfig& other) const { return !(*this == other); }
};

inline constexpr IntRange classifier_epochs_range{1, 10000, 10000};
inline constexpr IntRange classifier_batch_range{1, 65536, 65536};

// Throws diffuse::Error naming the field, its value and what is allowed.
void classifier_train_config_validate(const ClassifierTrainConfig& config);

// {"seed": "0", "epochs": 10, "batch": 128, "learning_rate": 0.001, "warmup_steps": 0}; the seed is
// a decimal string, since JSON numbers beyond 2^53 do not survive every reader. from_json
// requires every field and validates.
nlohmann::json classifier_train_config_to_json(const ClassifierTrainConfig& config);
ClassifierTrainConfig classifier_train_config_from_json(const nlohmann::json& json);

// Stream ids of the trainer's random draws: (purpose << 40) | index.
enum class ClassifierStream : std::uint64_t { init = 1, shuffle = 2 };
std::uint64_t classifier_stream(ClassifierStream purpose, std::int64_t index);

struct ClassifierStepResult {
  std::int64_t step = 0;  // updates done after this call
  double loss = 0;        // the batch's mean cross-entropy before the update
  float learning_rate = 0;
  bool finite = true;  // false: loss or gradient was NaN/Inf and nothing was updated
};

class ClassifierTrainer {
 public:
  // Validates both configurations and the images (classifier_check_images); draws the initial
  // weights.
  ClassifierTrainer(const ClassifierConfig& model, const ClassifierTrainConfig& train,
                    ImageSet images);

  ClassifierStepResult step(const Executor& executor);

  std::int64_t steps_per_epoch() const { return steps_per_epoch_; }  // ceil(N / batch)
  std::int64_t steps_total() const { return steps_per_epoch_ * train_.epochs; }
  std::int64_t steps_done() const { return step_; }
  bool finished() const { return step_ >= steps_total(); }

  const ClassifierTrainConfig& train_config() const { return train_; }
  // The image indices of the last step's batch, in order (B,), for tests; empty before a step.
  const std::vector<std::int32_t>& last_rows() const { return rows_; }
  Classifier& classifier() { return classifier_; }
  const Classifier& classifier() const { return classifier_; }

 private:
  // rows_ (B,): the images of update k.
  void draw_batch(std::int64_t k);

  ClassifierTrainConfig train_;
  ImageSet images_;
  Classifier classifier_;
  Adam adam_;
  LrSchedule schedule_;
  std::int64_t steps_per_epoch_ = 0;
  std::int64_t step_ = 0;
  // The current epoch's order of the images, and the batch buffers, reused every step.
  std::int64_t order_epoch_ = -1;
  std::vector<std::int32_t> order_;   // (N,)
  std::vector<std::int32_t> rows_;    // (B,) image indices
  std::vector<std::int32_t> labels_;  // (B,)
  Tensor2 x_, logits_, d_logits_;     // (B, D), (B, K), (B, K)
};

// The classifier's predicted class for every image of the set (classifier_check_images first). (N,)
Labels classifier_classify(Classifier& classifier, const ImageSet& set, const Executor& executor);
// Its penultimate activations for every image of the set. (N, H)
Tensor2 classifier_image_features(Classifier& classifier, const ImageSet& set,
                                  const Executor& executor);

}  // namespace diffuse
