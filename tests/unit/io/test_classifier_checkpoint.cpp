// Classifier checkpoints: an exact round trip of weights and metadata; the file read by an
// independent look at its safetensors header (names, shapes, metadata fields); and a clear Error
// for every kind of corrupt, foreign or inconsistent file (never a crash).
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/error.hpp"
#include "base/rng.hpp"
#include "base/version.hpp"
#include "io/classifier_checkpoint.hpp"
#include "io/safetensors.hpp"

using namespace diffuse;
using Catch::Matchers::Contains;

namespace {

ClassifierCheckpoint sample_checkpoint() {
  ClassifierConfig model;
  model.hidden = 12;
  model.layers = 2;
  model.activation = kernels::Activation::silu;
  Classifier net(model);
  Rng rng(5);
  net.init_params(rng);
  ClassifierTrainConfig train;
  train.seed = 18446744073709551615ull;
  train.epochs = 7;
  train.batch = 32;
  train.learning_rate = 0.003;
  train.warmup_steps = 4;
  return classifier_checkpoint_make(ImageDataset::digits, train, net, 286.0 / 297.0, 297);
}

std::string to_bytes(const ClassifierCheckpoint& c) {
  std::ostringstream out;
  classifier_checkpoint_write(out, c);
  return out.str();
}

ClassifierCheckpoint from_bytes(const std::string& bytes) {
  return classifier_checkpoint_read(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                    bytes.size(), "c.safetensors");
}

Safetensors parse(const std::string& bytes) {
  return safetensors_read(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}

// The file with its tensors and metadata edited.
std::string rewrite(const std::string& bytes, const std::function<void(Safetensors&)>& edit) {
  Safetensors file = parse(bytes);
  edit(file);
  std::vector<SafetensorsTensorView> views;
  for (const auto& t : file.tensors) views.push_back({t.name, t.shape, t.values.data()});
  std::ostringstream out;
  safetensors_write(out, views, file.metadata);
  return out.str();
}

std::string with_metadata(const std::string& bytes, const std::string& key, const char* value) {
  return rewrite(bytes, [&](Safetensors& f) {
    if (value == nullptr) {
      f.metadata.erase(key);
    } else {
      f.metadata[key] = value;
    }
  });
}

}  // namespace

TEST_CASE("a classifier checkpoint round-trips weights and metadata exactly") {
  const ClassifierCheckpoint saved = sample_checkpoint();
  const std::string bytes = to_bytes(saved);
  const ClassifierCheckpoint back = from_bytes(bytes);
  CHECK(back.dataset == ImageDataset::digits);
  CHECK(back.model == saved.model);
  CHECK(back.train == saved.train);
  CHECK(back.test_accuracy == saved.test_accuracy);  // shortest round-trip decimal, exact
  CHECK(back.test_images == 297);
  CHECK(back.code_version == classifier_code_version);
  CHECK(back.written_by == version_string);
  const bool same_params = back.params == saved.params;
  CHECK(same_params);
  const Classifier net = classifier_from_checkpoint(back);
  const bool same_net = net.params() == saved.params;
  CHECK(same_net);
  CHECK(to_bytes(back) == bytes);
}

TEST_CASE("a classifier checkpoint file: PyTorch names and the documented metadata") {
  const Safetensors file = parse(to_bytes(sample_checkpoint()));
  std::vector<std::string> names;
  for (const auto& t : file.tensors) names.push_back(t.name + " " + std::to_string(t.shape[0]));
  CHECK(names == std::vector<std::string>{"layers.0.weight 12", "layers.0.bias 12",
                                          "layers.1.weight 12", "layers.1.bias 12",
                                          "output.weight 10", "output.bias 10"});
  const auto& m = file.metadata;
  CHECK(m.at("format") == "diffuse-classifier");
  CHECK(m.at("format_version") == "1");
  CHECK(m.at("classifier_version") == classifier_code_version);
  CHECK(m.at("dataset") == "digits");
  CHECK(m.at("levels") == "17");
  CHECK(m.at("seed") == "18446744073709551615");
  CHECK(std::stod(m.at("test_accuracy")) == 286.0 / 297.0);
  CHECK(m.at("test_images") == "297");
  CHECK(nlohmann::json::parse(m.at("architecture")).at("activation") == "silu");
  CHECK(nlohmann::json::parse(m.at("training")).at("epochs") == 7);
  CHECK(m.at("diffuse_version") == version_string);
}

TEST_CASE("reading a classifier checkpoint names the first problem") {
  const std::string good = to_bytes(sample_checkpoint());
  CHECK_THROWS_WITH(from_bytes(with_metadata(good, "format", "diffuse-checkpoint")),
                    Contains("not a diffuse classifier") && Contains("'diffuse-checkpoint'"));
  CHECK_THROWS_WITH(from_bytes(with_metadata(good, "format", nullptr)),
                    Contains("not a diffuse classifier"));
  CHECK_THROWS_WITH(from_bytes(with_metadata(good, "format_version", "2")),
                    "c.safetensors: classifier format version '2' is not supported: this build "
                    "reads version 1");
  for (const char* key : {"classifier_version", "dataset", "levels", "seed", "test_accuracy",
                          "test_images", "architecture", "training"}) {
    INFO(key);
    CHECK_THROWS_WITH(from_bytes(with_metadata(good, key, nullptr)),
                      "c.safetensors: metadata '" + std::string(key) + "' is missing");
  }
  CHECK_THROWS_WITH(from_bytes(with_metadata(good, "dataset", "mnist")),
                    "c.safetensors: unknown image data set 'mnist': allowed are digits, fashion");
  CHECK_THROWS_WITH(from_bytes(with_metadata(good, "levels", "16")),
                    "c.safetensors: metadata 'levels' = 16 but the architecture has 17");
  CHECK_THROWS_WITH(from_bytes(with_metadata(good, "levels", "x17")),
                    Contains("metadata 'levels' = 'x17' is not an integer"));
  CHECK_THROWS_WITH(
      from_bytes(with_metadata(good, "seed", "3")),
      Contains("metadata 'seed' = 3 but the training record has 18446744073709551615"));
  CHECK_THROWS_WITH(from_bytes(with_metadata(good, "seed", "18446744073709551616")),
                    Contains("is not an integer"));
  CHECK_THROWS_WITH(from_bytes(with_metadata(good, "test_accuracy", "1.5")),
                    Contains("'test_accuracy' = 1.5 is not a number in [0, 1]"));
  CHECK_THROWS_WITH(from_bytes(with_metadata(good, "test_accuracy", "high")),
                    Contains("'test_accuracy' is not valid JSON"));
  CHECK_THROWS_WITH(from_bytes(with_metadata(good, "test_images", "0")),
                    Contains("'test_images' = 0"));
  CHECK_THROWS_WITH(from_bytes(with_metadata(good, "architecture", "{\"kind\": \"mlp\"}")),
                    Contains("c.safetensors: classifier config: missing field"));
  CHECK_THROWS_WITH(from_bytes(with_metadata(good, "training", "[]")),
                    Contains("c.safetensors: classifier training: expected a JSON object"));
  CHECK_THROWS_WITH(from_bytes(with_metadata(good, "classifier_version", "")),
                    Contains("'classifier_version' is empty"));
}

TEST_CASE("reading a classifier checkpoint checks every tensor") {
  const std::string good = to_bytes(sample_checkpoint());
  CHECK_THROWS_WITH(from_bytes(rewrite(good, [](Safetensors& f) { f.tensors.pop_back(); })),
                    "c.safetensors: tensor 'output.bias' is missing for this model configuration");
  CHECK_THROWS_WITH(from_bytes(rewrite(good,
                                       [](Safetensors& f) {
                                         f.tensors[0].shape = {6, 128};
                                       })),
                    "c.safetensors: tensor 'layers.0.weight' has shape [6, 128] but the model "
                    "needs [12, 64]");
  CHECK_THROWS_WITH(
      from_bytes(rewrite(good, [](Safetensors& f) { f.tensors[1].values[3] = std::nanf(""); })),
      Contains("tensor 'layers.0.bias' holds a non-finite value (nan) at index 3"));
  CHECK_THROWS_WITH(from_bytes(rewrite(good,
                                       [](Safetensors& f) {
                                         f.tensors.push_back({"extra", {1}, "F32", {1.0f}});
                                       })),
                    "c.safetensors: unexpected tensor 'extra' for this classifier architecture");
}

TEST_CASE("reading a truncated or foreign classifier file fails cleanly") {
  const std::string good = to_bytes(sample_checkpoint());
  for (std::size_t size : {std::size_t{0}, std::size_t{7}, std::size_t{100}, good.size() - 1}) {
    INFO("first " << size << " bytes");
    CHECK_THROWS_AS(from_bytes(good.substr(0, size)), Error);
  }
  std::istringstream in(good);
  CHECK(classifier_checkpoint_read(in, "stream").test_images == 297);
}
