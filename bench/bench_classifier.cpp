// Choosing the quality classifier's recipe (docs/datasets.md, "The quality classifier") on held-out
// parts of the TRAINING images, never on the test split: trains one configuration and prints its
// validation accuracy and training time (one thread).
// Usage: bench_classifier digits|fashion HIDDEN LAYERS relu|silu|gelu EPOCHS BATCH LR [FOLDS]
//   The training images are put in a fixed random order first (Rng(12345), Fisher-Yates), so that
//   validation images mix the digits' writers as the random test split does. FOLDS > 1: k-fold
//   cross-validation over them (digits: 5); FOLDS = 1: the last sixth is the validation set
//   (fashion: 10,000 images).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/rng.hpp"
#include "metrics/class_agreement.hpp"
#include "nn/classifier_recipe.hpp"
#include "nn/classifier_trainer.hpp"
#include "support/classifier_file.hpp"
#include "support/image_datasets.hpp"

using namespace diffuse;

namespace {

// The images of `set` at positions [begin, end) of `order` (inside = true), or all others.
ImageSet part(const ImageSet& set, const std::vector<std::size_t>& order, std::size_t begin,
              std::size_t end, bool inside) {
  std::vector<std::size_t> rows;
  for (std::size_t i = 0; i < order.size(); ++i) {
    if ((i >= begin && i < end) == inside) rows.push_back(order[i]);
  }
  return image_set_subset(set, rows);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 8) {
    std::fprintf(stderr,
                 "usage: bench_classifier digits|fashion HIDDEN LAYERS relu|silu|gelu EPOCHS BATCH "
                 "LR [FOLDS]\n");
    return 2;
  }
  const ImageDataset dataset = image_datasets.value(argv[1]);
  ClassifierRecipe r = classifier_recipe(dataset);
  r.model.hidden = std::strtoul(argv[2], nullptr, 10);
  r.model.layers = std::strtoul(argv[3], nullptr, 10);
  r.model.activation = classifier_activations.value(argv[4]);
  r.train.epochs = std::strtol(argv[5], nullptr, 10);
  r.train.batch = std::strtoul(argv[6], nullptr, 10);
  r.train.learning_rate = std::strtod(argv[7], nullptr);
  const std::size_t folds = argc > 8 ? std::strtoul(argv[8], nullptr, 10) : 1;
  const ImageSet train = cli::image_dataset_load(dataset).train;
  const std::size_t N = train.count;
  std::vector<std::size_t> order(N);
  for (std::size_t i = 0; i < N; ++i) order[i] = i;
  Rng rng(12345);
  for (std::size_t i = N - 1; i >= 1; --i) {
    std::swap(order[i], order[rng.below(static_cast<std::uint32_t>(i + 1))]);
  }
  std::size_t right = 0, total = 0;
  double seconds = 0;
  for (std::size_t f = 0; f < folds; ++f) {
    const std::size_t begin = folds == 1 ? N - N / 6 : N * f / folds;
    const std::size_t end = folds == 1 ? N : N * (f + 1) / folds;
    const ImageSet validation = part(train, order, begin, end, true);
    const auto start = std::chrono::steady_clock::now();
    ClassifierTrainer trainer(r.model, r.train, part(train, order, begin, end, false));
    while (!trainer.finished()) trainer.step(serial_executor());
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    Labels truth = Labels::from_shape({validation.count});
    std::copy(validation.labels.begin(), validation.labels.end(), truth.begin());
    const ClassAgreement a = class_agreement(
        truth, classifier_classify(trainer.classifier(), validation, serial_executor()),
        r.model.classes);
    right += a.total_agreed;
    total += a.total;
  }
  std::printf(
      "%s hidden %s x %s %s, %s epochs of %s, lr %s: validation accuracy %.4f (%zu/%zu), "
      "%.1f s training per fold\n",
      argv[1], argv[2], argv[3], argv[4], argv[5], argv[6], argv[7],
      static_cast<double>(right) / static_cast<double>(total), right, total,
      seconds / static_cast<double>(folds));
  return 0;
}
