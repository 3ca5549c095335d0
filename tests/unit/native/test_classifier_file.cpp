// Classifier files on disk: a round trip through a file, errors naming the flag and the path,
// the default paths. Then the classifiers scripts/build.sh trained into data/, if present: each is
// current (this build's classifier version and recipe), and scores on its held-out images exactly
// the accuracy it records.
#include <catch2/catch.hpp>

#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "base/error.hpp"
#include "base/rng.hpp"
#include "data/fashion_mnist.hpp"
#include "metrics/class_agreement.hpp"
#include "support/classifier_file.hpp"
#include "support/image_datasets.hpp"

using namespace diffuse;
using namespace diffuse::cli;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "diffuse-classifier-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

double measured_accuracy(const ClassifierCheckpoint& c, const ImageSet& test) {
  Classifier net = classifier_from_checkpoint(c);
  Labels truth = Labels::from_shape({test.count});
  std::copy(test.labels.begin(), test.labels.end(), truth.begin());
  return class_agreement(truth, classifier_classify(net, test, serial_executor()), c.model.classes)
      .overall();
}

// The data/ classifier of a set, checked against its held-out images, or a WARN saying why not.
void check_built_classifier(ImageDataset dataset, bool data_present) {
  const std::string name = image_datasets.name(dataset);
  const fs::path path =
      classifier_default_path((fs::path(DIFFUSE_SOURCE_DIR) / "data").string(), dataset);
  if (!data_present) {
    WARN("skipped: the " << name << " data set is not installed (run scripts/setup.sh)");
    return;
  }
  if (!fs::exists(path)) {
    WARN("skipped: " << path.string() << " is missing (scripts/build.sh trains it)");
    return;
  }
  const ClassifierCheckpoint c = classifier_load("--classifier", path.string());
  if (c.code_version != classifier_code_version) {
    WARN("skipped: " << path.string() << " was trained by classifier version " << c.code_version
                     << ", this build has " << classifier_code_version
                     << " (scripts/build.sh retrains it)");
    return;
  }
  CHECK(c.dataset == dataset);
  CHECK(c.model == classifier_recipe(dataset).model);
  const ImageSplit images = image_dataset_load(dataset);
  CHECK(c.test_images == images.test.count);
  CHECK(measured_accuracy(c, images.test) == c.test_accuracy);
}

}  // namespace

TEST_CASE("classifier files: a round trip, and errors naming the flag and the path") {
  TempDir dir;
  ClassifierConfig model;
  model.hidden = 8;
  Classifier net(model);
  Rng rng(1);
  net.init_params(rng);
  const std::string path = (dir.path / "c.safetensors").string();
  classifier_save(path, classifier_checkpoint_make(ImageDataset::digits, {}, net, 0.5, 10));
  const ClassifierCheckpoint back = classifier_load("--classifier", path);
  const bool same = back.params == net.params();
  CHECK(same);
  CHECK(back.test_accuracy == 0.5);
  CHECK_THROWS_WITH(classifier_load("--classifier", (dir.path / "none.safetensors").string()),
                    Catch::Contains("--classifier") && Catch::Contains("none.safetensors"));
  std::ofstream(dir.path / "junk.safetensors") << "not a safetensors file";
  CHECK_THROWS_WITH(classifier_load("--classifier", (dir.path / "junk.safetensors").string()),
                    Catch::StartsWith("--classifier: " + (dir.path / "junk.safetensors").string()));
}

TEST_CASE("classifier_default_path: <data>/<set>-classifier.safetensors") {
  CHECK(classifier_default_path("data", ImageDataset::digits) ==
        "data/digits-classifier.safetensors");
  CHECK(classifier_default_path("/x/data", ImageDataset::fashion) ==
        "/x/data/fashion-classifier.safetensors");
}

TEST_CASE("the built digits classifier scores the accuracy it records") {
  const fs::path data = fs::path(DIFFUSE_SOURCE_DIR) / "data";
  ::setenv(data_dir_env, data.string().c_str(), 1);
  check_built_classifier(ImageDataset::digits, fs::exists(data / digits_file_name));
}

TEST_CASE("the built Fashion-MNIST classifier scores the accuracy it records") {
  check_built_classifier(
      ImageDataset::fashion,
      fs::exists(fs::path(fashion_mnist_default_dir) / "t10k-images-idx3-ubyte.gz"));
}
