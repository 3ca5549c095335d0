// Training the classifier: a small synthetic problem learned to 100%; the batch order (every
// image once per epoch, in the documented Fisher-Yates order); determinism (the same seed gives
// the same weights bit for bit, for any executor) and a different seed different ones; the
// configuration's checks and JSON; a non-finite step changes nothing; classifying and featurizing
// whole sets in chunks.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <numeric>
#include <vector>

#include "base/error.hpp"
#include "base/rng.hpp"
#include "nn/classifier_trainer.hpp"
#include "support/reverse_executor.hpp"

using namespace diffuse;
using namespace diffuse::test;

namespace {

// n images of 4 x 4 pixels with 16 levels in 3 classes: class k is a bright bar (rows for k = 0,
// columns for 1, the diagonal for 2) at a random position on a noisy dark background. Separable,
// but not by a single pixel.
ImageSet bars(std::size_t n, std::uint64_t seed) {
  ImageSet set;
  set.count = n;
  set.height = set.width = 4;
  set.levels = 16;
  set.classes = 3;
  set.pixels.resize(n * 16);
  set.labels.resize(n);
  Rng rng(seed);
  for (std::size_t i = 0; i < n; ++i) {
    const auto k = static_cast<std::int32_t>(i % 3);
    const std::uint32_t where = rng.below(4);
    set.labels[i] = k;
    for (std::uint32_t r = 0; r < 4; ++r) {
      for (std::uint32_t c = 0; c < 4; ++c) {
        const bool on = k == 0 ? r == where : k == 1 ? c == where : (r + where) % 4 == c;
        set.pixels[i * 16 + r * 4 + c] =
            static_cast<std::uint8_t>(on ? 11 + rng.below(5) : rng.below(5));
      }
    }
  }
  return set;
}

ClassifierConfig bars_config() {
  ClassifierConfig c;
  c.shape = {1, 4, 4};
  c.levels = 16;
  c.classes = 3;
  c.hidden = 32;
  c.layers = 2;
  return c;
}

ClassifierTrainConfig bars_training(std::uint64_t seed = 3) {
  ClassifierTrainConfig t;
  t.seed = seed;
  t.epochs = 30;
  t.batch = 16;
  t.learning_rate = 3e-3;
  t.warmup_steps = 5;
  return t;
}

double accuracy(Classifier& net, const ImageSet& set) {
  const Labels p = classifier_classify(net, set, serial_executor());
  std::size_t right = 0;
  for (std::size_t i = 0; i < set.count; ++i) right += p(i) == set.labels[i];
  return static_cast<double>(right) / static_cast<double>(set.count);
}

std::vector<float> weights(const ClassifierTrainer& t) {
  return std::vector<float>(t.classifier().params().begin(), t.classifier().params().end());
}

}  // namespace

TEST_CASE("ClassifierTrainer learns a small synthetic problem to 100%") {
  const ImageSet train = bars(150, 1), test = bars(90, 2);
  ClassifierTrainer trainer(bars_config(), bars_training(), train);
  REQUIRE(trainer.steps_per_epoch() == 10);  // ceil(150 / 16)
  REQUIRE(trainer.steps_total() == 300);
  double first_loss = 0, last_loss = 0;
  while (!trainer.finished()) {
    const ClassifierStepResult r = trainer.step(serial_executor());
    REQUIRE(r.finite);
    if (r.step == 1) first_loss = r.loss;
    last_loss = r.loss;
  }
  CHECK(first_loss > 0.9);  // about log 3 = 1.10 at the start
  CHECK(last_loss < 0.05);
  CHECK(accuracy(trainer.classifier(), train) == 1.0);
  CHECK(accuracy(trainer.classifier(), test) == 1.0);
}

TEST_CASE("ClassifierTrainer visits every image once per epoch in the documented order") {
  const ImageSet train = bars(37, 4);
  ClassifierTrainConfig t = bars_training(9);
  t.batch = 8;  // ceil(37 / 8) = 5 steps, the last of 5 images
  ClassifierTrainer trainer(bars_config(), t, train);
  for (std::int64_t epoch = 0; epoch < 2; ++epoch) {
    // The order by hand: Fisher-Yates from Rng(seed, stream (2 << 40) | epoch).
    std::vector<std::int32_t> order(37);
    std::iota(order.begin(), order.end(), 0);
    Rng rng(9, (std::uint64_t{2} << 40) | static_cast<std::uint64_t>(epoch));
    for (std::size_t i = 36; i >= 1; --i)
      std::swap(order[i], order[rng.below(static_cast<std::uint32_t>(i + 1))]);
    std::vector<std::int32_t> seen;
    for (int s = 0; s < 5; ++s) {
      trainer.step(serial_executor());
      const std::vector<std::int32_t>& rows = trainer.last_rows();
      CHECK(rows.size() == (s < 4 ? 8u : 5u));
      seen.insert(seen.end(), rows.begin(), rows.end());
    }
    CHECK(seen == order);
  }
}

TEST_CASE("ClassifierTrainer: the same seed gives the same weights bit for bit, on any executor") {
  const ImageSet train = bars(60, 5);
  ClassifierTrainConfig t = bars_training(11);
  t.epochs = 3;
  ClassifierTrainer a(bars_config(), t, train), b(bars_config(), t, train),
      c(bars_config(), t, train);
  const ReverseExecutor reverse;
  while (!a.finished()) {
    a.step(serial_executor());
    b.step(serial_executor());
    c.step(reverse);
  }
  CHECK(weights(a) == weights(b));
  CHECK(weights(a) == weights(c));
  t.seed = 12;
  ClassifierTrainer d(bars_config(), t, train);
  while (!d.finished()) d.step(serial_executor());
  CHECK(weights(a) != weights(d));
}

TEST_CASE("ClassifierTrainer: a non-finite step updates nothing") {
  const ImageSet train = bars(20, 6);
  ClassifierTrainer trainer(bars_config(), bars_training(), train);
  trainer.classifier().params()[0] = std::numeric_limits<float>::infinity();
  const std::vector<float> before = weights(trainer);
  const ClassifierStepResult r = trainer.step(serial_executor());
  CHECK_FALSE(r.finite);
  CHECK(r.step == 0);
  CHECK(trainer.steps_done() == 0);
  CHECK(weights(trainer) == before);
}

TEST_CASE("ClassifierTrainer checks its configuration and images") {
  const ImageSet train = bars(20, 7);
  ClassifierTrainConfig t = bars_training();
  t.epochs = 0;
  CHECK_THROWS_WITH(ClassifierTrainer(bars_config(), t, train),
                    "classifier training: epochs = 0 is out of range: allowed is 1..10000");
  t = bars_training();
  t.batch = 0;
  CHECK_THROWS_WITH(ClassifierTrainer(bars_config(), t, train),
                    "classifier training: batch = 0 is out of range: allowed is 1..65536");
  t = bars_training();
  t.learning_rate = std::nan("");
  CHECK_THROWS_WITH(ClassifierTrainer(bars_config(), t, train),
                    Catch::Contains("learning_rate = nan must be finite and > 0"));
  t = bars_training();
  t.warmup_steps = 100000;  // more than the run's steps
  CHECK_THROWS_WITH(ClassifierTrainer(bars_config(), t, train), Catch::Contains("warmup steps"));
  ClassifierConfig wrong = bars_config();
  wrong.levels = 17;
  CHECK_THROWS_WITH(ClassifierTrainer(wrong, bars_training(), train),
                    Catch::Contains("pixels of 16 levels, but the classifier takes 17"));
}

TEST_CASE("classifier_train_config JSON: round trip, the seed as text, strict reading") {
  ClassifierTrainConfig t = bars_training();
  t.seed = 18446744073709551615ull;
  const nlohmann::json j = classifier_train_config_to_json(t);
  CHECK(j.at("seed") == "18446744073709551615");
  CHECK(classifier_train_config_from_json(j) == t);
  nlohmann::json bad = j;
  bad["seed"] = "12x";
  CHECK_THROWS_WITH(classifier_train_config_from_json(bad),
                    Catch::Contains("seed '12x' is not a decimal integer"));
  bad = j;
  bad["seed"] = "18446744073709551616";
  CHECK_THROWS_AS(classifier_train_config_from_json(bad), Error);
  bad = j;
  bad.erase("batch");
  CHECK_THROWS_WITH(classifier_train_config_from_json(bad),
                    Catch::Contains("missing field 'batch'"));
  bad = j;
  bad["momentum"] = 0.9;
  CHECK_THROWS_WITH(classifier_train_config_from_json(bad),
                    Catch::Contains("unknown field 'momentum'"));
  bad = j;
  bad["epochs"] = 0;
  CHECK_THROWS_WITH(classifier_train_config_from_json(bad), Catch::Contains("epochs = 0"));
}

TEST_CASE("classifier_classify and classifier_image_features: whole sets in chunks") {
  // 1,200 images span three inference chunks; the results must be forward and features of all
  // the inputs at once.
  const ImageSet set = bars(1200, 8);
  ClassifierTrainer trainer(bars_config(), bars_training(), set);
  trainer.step(serial_executor());
  Classifier& net = trainer.classifier();
  const Tensor2 x = classifier_inputs(net.config(), set);
  Tensor2 logits, features;
  net.forward(logits, x, serial_executor());
  net.features(features, x, serial_executor());
  const Labels predicted = classifier_classify(net, set, serial_executor());
  const Labels expected = classifier_predictions(logits);
  CHECK(std::equal(predicted.begin(), predicted.end(), expected.begin(), expected.end()));
  const Tensor2 f = classifier_image_features(net, set, serial_executor());
  CHECK(std::equal(f.begin(), f.end(), features.begin(), features.end()));
}
