// Checkpoints: exact round trips (conditional models and labels included), resuming through a
// file, exports, format version 1 read as the same model, and a clear Error for every kind of
// corrupt, truncated or foreign file (never a crash).
// Reading is checkpoint_read.cpp; writing checkpoint.cpp.
#include <catch2/catch.hpp>

#include "support/allocation_counter.hpp"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/error.hpp"
#include "base/rng.hpp"
#include "data/image_set.hpp"
#include "data/toy2d.hpp"
#include "io/checkpoint.hpp"
#include "io/safetensors.hpp"

using namespace diffuse;
using Catch::Matchers::Contains;

namespace {

std::unique_ptr<Trainer> small_trainer(std::int64_t steps = 40, std::size_t classes = 0,
                                       bool importance = false) {
  ScheduleConfig schedule;
  schedule.timesteps = importance ? 8 : 50;  // 8 steps: the importance warm-up ends early
  MlpConfig model;
  model.hidden = 16;
  model.layers = 2;
  model.time_embed = 8;
  model.classes = classes;
  TrainConfig train;
  train.steps = steps;
  train.batch = 32;
  train.warmup_steps = 5;
  train.seed = 11;
  DiffusionConfig diffusion;
  diffusion.prediction = Prediction::v;
  if (importance) {  // a learned variance with importance-sampled t
    diffusion.learned_variance = true;
    model.out_dim = 2 * model.data_dim;
    train.t_sampling = TimestepSampling::importance;
    train.vlb_weight = 0.01;
  }
  Rng rng(3, toy2d_rng_stream);
  Labels labels;
  const Tensor2 points = toy2d_sample("moons", 200, rng, classes ? &labels : nullptr);
  TrainingData data = classes ? training_data_from_points(points, labels, classes, "moons")
                              : training_data_from_points(points, "moons");
  return std::make_unique<Trainer>(schedule, diffusion, model, train, std::move(data));
}

std::string to_bytes(const Checkpoint& c) {
  std::ostringstream out;
  checkpoint_write(out, c);
  return out.str();
}

Checkpoint from_bytes(const std::string& bytes) {
  return checkpoint_read(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), "test.safetensors");
}

// Rewrites a checkpoint file with edits to its tensors and metadata.
std::string rewrite(const std::string& bytes, const std::function<void(Safetensors&)>& edit) {
  Safetensors file = safetensors_read(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  edit(file);
  std::vector<SafetensorsTensorView> views;
  for (const auto& t : file.tensors) views.push_back({t.name, t.shape, t.values.data()});
  std::ostringstream out;
  safetensors_write(out, views, file.metadata);
  return out.str();
}

// A tiny U-Net run on a reloadable image set (as the CLI loads digits): 12 random 4x4 images
// of 3 levels in 2 classes.
ImageSet tiny_images(std::uint8_t bump = 0) {
  ImageSet set;
  set.count = 12;
  set.height = set.width = 4;
  set.levels = 3;
  set.classes = 2;
  set.class_names = {"dark", "light"};
  Rng rng(9, 1);
  for (std::size_t i = 0; i < set.count * 16; ++i) set.pixels.push_back(static_cast<std::uint8_t>(rng.below(3)));
  for (std::size_t n = 0; n < set.count; ++n) set.labels.push_back(static_cast<std::int32_t>(n % 2));
  set.pixels[5] = static_cast<std::uint8_t>((set.pixels[5] + bump) % 3);
  return set;
}

std::unique_ptr<Trainer> image_trainer(const ImageSet& images) {
  ScheduleConfig schedule;
  schedule.timesteps = 20;
  UNetConfig model;
  model.sample_size = 4;
  model.block_out_channels = {4, 8};
  model.layers_per_block = 1;
  model.norm_num_groups = 2;
  model.classes = 2;
  TrainConfig train;
  train.steps = 6;
  train.batch = 4;
  train.warmup_steps = 1;
  train.seed = 5;
  TrainingData data = training_data_from_images(images, "tiny");
  data.reloadable = true;
  return std::make_unique<Trainer>(schedule, DiffusionConfig{}, model, train, std::move(data));
}

}  // namespace

TEST_CASE("a checkpoint round-trips every field exactly") {
  auto trainer = small_trainer();
  for (int i = 0; i < 10; ++i) trainer->step(serial_executor());
  const Checkpoint saved = checkpoint_from_trainer(*trainer);
  const Checkpoint back = from_bytes(to_bytes(saved));
  CHECK(back.model == saved.model);
  CHECK(back.schedule.timesteps == 50);
  CHECK(back.train.seed == 11);
  CHECK(back.step == 10);
  CHECK(back.data.source == "moons");
  CHECK(back.data.normalization.mean == saved.data.normalization.mean);
  CHECK(back.data.normalization.stddev == saved.data.normalization.stddev);
  const bool same_ema = back.ema_params == saved.ema_params;
  const bool same_raw = back.training->params == saved.training->params;
  const bool same_m = back.training->adam.m == saved.training->adam.m;
  const bool same_v = back.training->adam.v == saved.training->adam.v;
  const bool same_data = back.train_samples == saved.train_samples;
  CHECK(same_ema);
  CHECK(same_raw);
  CHECK(same_m);
  CHECK(same_v);
  CHECK(same_data);
  CHECK(back.training->adam.step == 10);
  CHECK(back.training->ema.updates == 10);
  CHECK(back.diffusion == saved.diffusion);
  CHECK(back.diffusion.prediction == Prediction::v);
  CHECK(back.data.shape == std::vector<std::size_t>{2});
  CHECK(back.format_version == 2);
}

TEST_CASE("a conditional model's checkpoint keeps its classes and its training labels") {
  auto trainer = small_trainer(40, 2);
  for (int i = 0; i < 5; ++i) trainer->step(serial_executor());
  const std::string bytes = to_bytes(checkpoint_from_trainer(*trainer));
  const Checkpoint back = from_bytes(bytes);
  CHECK(model_classes(back.model) == 2);
  CHECK(back.data.classes == 2);
  const bool same_labels = back.train_labels == trainer->data().labels;
  CHECK(same_labels);
  const nlohmann::json config = nlohmann::json::parse(
      safetensors_read(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size())
          .metadata.at("config"));
  CHECK(config.at("model").at("kind") == "mlp");
  CHECK(config.at("model").at("classes") == 2);
  CHECK(config.at("diffusion").at("prediction") == "v");
  // Resuming continues exactly, labels and all.
  auto straight = small_trainer(40, 2);
  while (!straight->finished()) straight->step(serial_executor());
  auto resumed = checkpoint_resume(back);
  while (!resumed->finished()) resumed->step(serial_executor());
  const bool same_params = resumed->network().params() == straight->network().params();
  CHECK(same_params);
  // A label outside the classes is refused.
  CHECK_THROWS_WITH(from_bytes(rewrite(bytes, [](Safetensors& f) {
                      for (auto& t : f.tensors) {
                        if (t.name == "training.labels") t.values[3] = 2.0f;
                      }
                    })),
                    Contains("training.labels' holds 2 at index 3"));
  CHECK_THROWS_WITH(from_bytes(rewrite(bytes, [](Safetensors& f) {
                      for (auto& t : f.tensors) {
                        if (t.name == "training.labels") t.values[0] = 0.5f;
                      }
                    })),
                    Contains("whole numbers"));
}

TEST_CASE("a reloadable image set is not stored but fingerprinted, and resuming checks it") {
  auto trainer = image_trainer(tiny_images());
  for (int i = 0; i < 3; ++i) trainer->step(serial_executor());
  const std::string bytes = to_bytes(checkpoint_from_trainer(*trainer));
  const Safetensors file = safetensors_read(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  CHECK(file.find("training.data") == nullptr);
  CHECK(file.find("training.labels") == nullptr);
  const Checkpoint back = from_bytes(bytes);
  CHECK_FALSE(back.data.stored);
  CHECK(back.data.class_names == std::vector<std::string>{"dark", "light"});
  CHECK(back.data.shape == SampleShape{1, 4, 4});
  CHECK(back.data.fingerprint == training_data_fingerprint(trainer->data()));
  CHECK(back.data.fingerprint != 0);
  // Without the data it cannot resume, and says what to do.
  CHECK_THROWS_WITH(checkpoint_resume(back), Contains("load the data set"));
  // With the same data it continues exactly where an uninterrupted run goes.
  auto straight = image_trainer(tiny_images());
  while (!straight->finished()) straight->step(serial_executor());
  auto resumed = checkpoint_resume(back, training_data_from_images(tiny_images(), "tiny"));
  while (!resumed->finished()) resumed->step(serial_executor());
  const bool same_params = resumed->network().params() == straight->network().params();
  CHECK(same_params);
  // One changed pixel is noticed.
  CHECK_THROWS_WITH(checkpoint_resume(back, training_data_from_images(tiny_images(1), "tiny")),
                    Contains("is not the one this run trained on"));
  // A stored set's tensors in a file that says it does not store them are unexpected.
  CHECK_THROWS_WITH(from_bytes(rewrite(bytes, [](Safetensors& f) {
                      const std::vector<float> values(12 * 16, 0.0f);
                      f.tensors.push_back({"training.data", {12, 16}, "F32", values});
                    })),
                    Contains("unexpected tensor 'training.data'"));
}

TEST_CASE("a format version 1 checkpoint (diffuse 0.1.0) loads as the same model") {
  // tests/fixtures/v0.1.0 was written by diffuse 0.1.0 (make_fixtures.sh): its numbers are
  // checked bit for bit by tests/cli/test_version1_checkpoints.py; here, the configuration.
  const std::string dir = std::string(DIFFUSE_SOURCE_DIR) + "/tests/fixtures/v0.1.0/";
  std::ifstream in(dir + "mlp_v_export.safetensors", std::ios::binary);
  REQUIRE(in);
  const Checkpoint c = checkpoint_read(in, "mlp_v_export.safetensors");
  CHECK(c.format_version == 1);
  CHECK(c.written_by == "0.1.0");
  CHECK(model_kind(c.model) == "mlp");
  CHECK(c.diffusion.prediction == Prediction::v);
  const MlpConfig& m = std::get<MlpConfig>(c.model);
  CHECK(m.hidden == 16);
  CHECK(m.layers == 3);
  CHECK(m.residual);
  CHECK(m.time_projection);
  CHECK(m.x_embed == 8);
  CHECK(m.classes == 0);
  CHECK(m.activation == kernels::Activation::gelu);
  CHECK(c.data.shape == std::vector<std::size_t>{2});
  CHECK(c.train.label_dropout == TrainConfig{}.label_dropout);
  CHECK_FALSE(c.training.has_value());
  // Written again, it is a version-2 file of the same model.
  const Checkpoint again = from_bytes(to_bytes(c));
  CHECK(again.model == c.model);
  CHECK(again.diffusion == c.diffusion);
  const bool same_ema = again.ema_params == c.ema_params;
  CHECK(same_ema);
}

TEST_CASE("resuming from a checkpoint file ends exactly where an uninterrupted run does") {
  auto straight = small_trainer();
  while (!straight->finished()) straight->step(serial_executor());

  auto first = small_trainer();
  for (int i = 0; i < 17; ++i) first->step(serial_executor());
  const Checkpoint loaded = from_bytes(to_bytes(checkpoint_from_trainer(*first)));
  auto resumed = checkpoint_resume(loaded);
  while (!resumed->finished()) resumed->step(serial_executor());

  const bool same_params = resumed->network().params() == straight->network().params();
  const bool same_ema = resumed->ema_weights() == straight->ema_weights();
  CHECK(same_params);
  CHECK(same_ema);
}

TEST_CASE("a learned variance with importance-sampled t resumes exactly: the history is saved") {
  auto straight = small_trainer(40, 0, true);
  while (!straight->finished()) straight->step(serial_executor());
  REQUIRE(straight->t_sampler().warmed_up());

  auto first = small_trainer(40, 0, true);
  for (int i = 0; i < 17; ++i) first->step(serial_executor());
  REQUIRE(first->t_sampler().warmed_up());  // 8 steps x 10 values in 17 batches of 32
  const Checkpoint loaded = from_bytes(to_bytes(checkpoint_from_trainer(*first)));
  CHECK(loaded.diffusion.learned_variance);
  CHECK(std::get<MlpConfig>(loaded.model).out_dim == 4);
  CHECK(loaded.train.t_sampling == TimestepSampling::importance);
  auto resumed = checkpoint_resume(loaded);
  while (!resumed->finished()) resumed->step(serial_executor());
  const bool same_params = resumed->network().params() == straight->network().params();
  CHECK(same_params);
  // The importance weights were in use: not all 1.
  bool weighted = false;
  for (double w : straight->last_row_weights()) weighted = weighted || w != 1.0;
  CHECK(weighted);
  // Without its history, such a checkpoint is refused.
  const std::string bytes = to_bytes(checkpoint_from_trainer(*first));
  const std::string stripped = rewrite(bytes, [](Safetensors& f) {
    f.tensors.erase(std::remove_if(f.tensors.begin(), f.tensors.end(),
                                   [](const auto& t) { return t.name == "training.t_history"; }),
                    f.tensors.end());
  });
  CHECK_THROWS_WITH(from_bytes(stripped), Contains("training.t_history"));
}

TEST_CASE("tensor names and shapes are PyTorch's") {
  auto trainer = small_trainer();
  const std::string bytes = to_bytes(checkpoint_from_trainer(*trainer));
  const Safetensors file = safetensors_read(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  REQUIRE(file.find("layers.0.weight") != nullptr);
  CHECK(file.find("layers.0.weight")->shape == std::vector<std::size_t>{16, 2 + 8});  // [out, in]
  CHECK(file.find("layers.1.bias")->shape == std::vector<std::size_t>{16});
  CHECK(file.find("output.weight")->shape == std::vector<std::size_t>{2, 16});
  CHECK(file.find("training.data")->shape == std::vector<std::size_t>{200, 2});
}

TEST_CASE("an export samples but cannot resume") {
  auto trainer = small_trainer();
  trainer->step(serial_executor());
  const Checkpoint exported = from_bytes(to_bytes(checkpoint_export(checkpoint_from_trainer(*trainer))));
  CHECK_FALSE(exported.training.has_value());
  CHECK_THROWS_WITH(checkpoint_resume(exported), Contains("no training state"));
  auto model = checkpoint_denoiser(exported);
  const bool same = model->network().params() == trainer->ema_weights();
  CHECK(same);
}

// Regression (tests/cli/test_checkpoint_mutation.py, seed 14, MLP mutant 23): a run of bytes
// inside training.adam_v made one second moment negative; resuming took sqrt of it, every weight
// went NaN, and the "last good state" written on divergence was a file diffuse could not read.
TEST_CASE("checkpoint reader refuses a negative Adam second moment") {
  auto trainer = small_trainer();
  trainer->step(serial_executor());
  const std::string good = to_bytes(checkpoint_from_trainer(*trainer));
  const std::string bad = rewrite(good, [](Safetensors& f) {
    for (auto& t : f.tensors) {
      if (t.name == "training.adam_v.layers.0.weight") t.values[5] = -0.5f;
    }
  });
  CHECK_THROWS_WITH(from_bytes(bad), Contains("training.adam_v.layers.0.weight") && Contains("(-0.5)") &&
                                         Contains("index 5") && Contains("negative"));
  CHECK_NOTHROW(from_bytes(good));
}

TEST_CASE("each kind of bad checkpoint gives a clear error") {
  auto trainer = small_trainer();
  const std::string good = to_bytes(checkpoint_from_trainer(*trainer));

  SECTION("truncated at every length") {
    for (std::size_t n = 0; n < good.size(); n += (n < 200 ? 1 : 97)) {
      CHECK_THROWS_AS(from_bytes(good.substr(0, n)), Error);
    }
  }
  SECTION("another program's safetensors file") {
    const std::string foreign = rewrite(good, [](Safetensors& f) { f.metadata.clear(); });
    CHECK_THROWS_WITH(from_bytes(foreign), Contains("not a diffuse checkpoint"));
  }
  SECTION("a newer format version") {
    const std::string newer = rewrite(good, [](Safetensors& f) { f.metadata["format_version"] = "3"; });
    CHECK_THROWS_WITH(from_bytes(newer), Contains("format version '3'") && Contains("1 and 2"));
  }
  SECTION("an unknown model kind, or a version-2 model without one") {
    CHECK_THROWS_WITH(from_bytes(rewrite(good, [](Safetensors& f) {
                        auto j = nlohmann::json::parse(f.metadata["config"]);
                        j["model"]["kind"] = "transformer";
                        f.metadata["config"] = j.dump();
                      })),
                      Contains("kind 'transformer'") && Contains("mlp"));
    CHECK_THROWS_WITH(from_bytes(rewrite(good, [](Safetensors& f) {
                        auto j = nlohmann::json::parse(f.metadata["config"]);
                        j["model"].erase("kind");
                        f.metadata["config"] = j.dump();
                      })),
                      Contains("missing field 'kind'"));
  }
  SECTION("config that is not JSON, or misses a field, or has a bad value") {
    CHECK_THROWS_WITH(from_bytes(rewrite(good, [](Safetensors& f) { f.metadata["config"] = "{nope"; })),
                      Contains("not valid JSON"));
    CHECK_THROWS_WITH(from_bytes(rewrite(good, [](Safetensors& f) {
                        auto j = nlohmann::json::parse(f.metadata["config"]);
                        j["model"].erase("hidden");
                        f.metadata["config"] = j.dump();
                      })),
                      Contains("hidden"));
    CHECK_THROWS_WITH(from_bytes(rewrite(good, [](Safetensors& f) {
                        auto j = nlohmann::json::parse(f.metadata["config"]);
                        j["schedule"]["timesteps"] = 1;
                        f.metadata["config"] = j.dump();
                      })),
                      Contains("timesteps = 1"));
  }
  SECTION("a missing, misshapen, non-finite or unexpected tensor") {
    CHECK_THROWS_WITH(from_bytes(rewrite(good, [](Safetensors& f) {
                        f.tensors.erase(f.tensors.begin());
                      })),
                      Contains("is missing"));
    CHECK_THROWS_WITH(from_bytes(rewrite(good, [](Safetensors& f) {
                        for (auto& t : f.tensors) {
                          if (t.name == "output.bias") t.shape = {1, 2};
                        }
                      })),
                      Contains("output.bias' has shape [1, 2]"));
    CHECK_THROWS_WITH(from_bytes(rewrite(good, [](Safetensors& f) {
                        for (auto& t : f.tensors) {
                          if (t.name == "layers.1.weight") t.values[5] = std::numeric_limits<float>::quiet_NaN();
                        }
                      })),
                      Contains("non-finite"));
    CHECK_THROWS_WITH(from_bytes(rewrite(good, [](Safetensors& f) {
                        f.tensors.push_back({"extra.weight", {1}, "F32", {1.0f}});
                      })),
                      Contains("unexpected tensor 'extra.weight'"));
  }
}

TEST_CASE("a configuration is checked against the file before anything is sized by it") {
  auto trainer = small_trainer();
  const std::string good = to_bytes(checkpoint_from_trainer(*trainer));
  SECTION("a huge claimed model is refused by its tensors, without allocating it") {
    // 64 layers of 16,384 (both within the MLP's limits): 17e9 parameters, 68 GB. Anything sized
    // by the claim would ask for at least one layer's weight, 16384^2 floats = 1 GiB.
    const std::string bomb = rewrite(good, [](Safetensors& f) {
      auto j = nlohmann::json::parse(f.metadata["config"]);
      j["model"]["hidden"] = 16384;
      j["model"]["layers"] = 64;
      f.metadata["config"] = j.dump();
    });
    largest_allocation = 0;
    CHECK_THROWS_WITH(from_bytes(bomb), Contains("has shape") && Contains("but the model needs"));
    CHECK(largest_allocation.load() < std::size_t{64} << 20);
  }
  SECTION("timesteps that a 32-bit read would wrap to a valid value") {
    CHECK_THROWS_WITH(from_bytes(rewrite(good, [](Safetensors& f) {
                        auto j = nlohmann::json::parse(f.metadata["config"]);
                        j["schedule"]["timesteps"] = 4294968296ULL;  // 2^32 + 1000
                        f.metadata["config"] = j.dump();
                      })),
                      Contains("timesteps = 4294968296"));
  }
  SECTION("a training set with a NaN") {
    CHECK_THROWS_WITH(from_bytes(rewrite(good, [](Safetensors& f) {
                        for (auto& t : f.tensors) {
                          if (t.name == "training.data") t.values[7] = std::numeric_limits<float>::quiet_NaN();
                        }
                      })),
                      Contains("'training.data' holds a non-finite value") && Contains("row 3, column 1"));
  }
}

TEST_CASE("checkpoint reader refuses a config integer that is a fraction, negative or past its type "
          "(fuzz crash: data shape 1.9e63 converted to size_t)") {
  // tests/fuzz/fuzz_checkpoint_config found the first: nlohmann's get<size_t> of 1.9e63 is
  // undefined behaviour. The others were read silently as another number.
  auto trainer = small_trainer();
  const std::string good = to_bytes(checkpoint_from_trainer(*trainer));
  const auto with = [&](const char* section, const char* field, const nlohmann::json& value) {
    return from_bytes(rewrite(good, [&](Safetensors& f) {
      auto j = nlohmann::json::parse(f.metadata["config"]);
      (section ? j[section][field] : j[field]) = value;
      f.metadata["config"] = j.dump();
    }));
  };
  CHECK_THROWS_WITH(with("data", "shape", {1.888e63, 8, 8}),
                    Contains("test.safetensors: config field 'shape[0]' = 1.888e+63 is invalid") &&
                        Contains("must be an integer in [0, 18446744073709551615]"));
  CHECK_THROWS_WITH(with("data", "train_size", -1), Contains("config field 'train_size' = -1 is invalid"));
  CHECK_THROWS_WITH(with("data", "classes", 2.5), Contains("config field 'classes' = 2.5 is invalid"));
  CHECK_THROWS_WITH(with(nullptr, "step", 1e30), Contains("config field 'step' = 1e+30 is invalid"));
  CHECK_THROWS_WITH(with(nullptr, "adam_step", 18446744073709551615ULL),
                    Contains("config field 'adam_step' = 18446744073709551615 is invalid") &&
                        Contains("[-9223372036854775808, 9223372036854775807]"));
  CHECK_THROWS_WITH(with(nullptr, "step", "5"), Contains("config field 'step' has the wrong type"));
  CHECK_NOTHROW(with(nullptr, "step", 40));
}

TEST_CASE("randomly mutated checkpoints load or throw Error, never crash") {
  auto trainer = small_trainer();
  const std::string good = to_bytes(checkpoint_export(checkpoint_from_trainer(*trainer)));
  Rng rng(99);
  int rejected = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    std::string bad = good;
    const int edits = 1 + static_cast<int>(rng.below(4));
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = rng.below(static_cast<std::uint32_t>(bad.size()));
      // Bias the edits towards the header, where structure lives.
      const std::size_t pos = rng.below(2) ? at : at % std::min<std::size_t>(bad.size(), 600);
      bad[pos] = static_cast<char>(rng.below(256));
    }
    try {
      from_bytes(bad);
    } catch (const Error&) {
      ++rejected;
    }
  }
  CHECK(rejected > 0);
}
