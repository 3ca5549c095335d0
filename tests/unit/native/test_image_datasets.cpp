// Loading the image data sets from files: the default data folder, every "missing" message, errors
// naming the file, and synthetic files made here. Then, if the real files are on this machine
// (scripts/setup.sh puts them there; CI runs it first), their counts, labels and pixels against
// values computed independently (Python's gzip module and plain counting), and the digits split.
#include <catch2/catch.hpp>

#include <stdlib.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "data/digits.hpp"
#include "data/fashion_mnist.hpp"
#include "data/idx.hpp"
#include "support/gzip_compress.hpp"
#include "support/image_datasets.hpp"

using namespace diffuse;
using namespace diffuse::cli;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "diffuse-images-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
  void write(const fs::path& relative, const std::string& bytes) const {
    fs::create_directories((path / relative).parent_path());
    std::ofstream(path / relative, std::ios::binary) << bytes;
  }
};

// Sets an environment variable for one scope, restoring it after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old, had_ = true;
    if (value != nullptr) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (had_) {
      ::setenv(name_, old_.c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

// n rows of the digits CSV: row i has pixels (i + k) % 17 and label i % 10.
std::string digits_csv(std::size_t n) {
  std::string text;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t k = 0; k < 64; ++k) text += std::to_string((i + k) % 17) + ",";
    text += std::to_string(i % 10) + "\n";
  }
  return text;
}

void put_u32(std::string& bytes, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) bytes += static_cast<char>((value >> shift) & 0xff);
}

std::string idx_images(std::uint32_t n) {
  std::string bytes;
  put_u32(bytes, idx_images_magic);
  for (const std::uint32_t size : {n, 28u, 28u}) put_u32(bytes, size);
  return bytes + std::string(std::size_t{n} * 784, '\x80');
}

std::string idx_labels(std::uint32_t n) {
  std::string bytes;
  put_u32(bytes, idx_labels_magic);
  put_u32(bytes, n);
  for (std::uint32_t i = 0; i < n; ++i) bytes += static_cast<char>(i % 10);
  return bytes;
}

// The four Fashion-MNIST files with n_train and n_test images.
void write_fashion(const TempDir& dir, std::uint32_t n_train, std::uint32_t n_test) {
  dir.write("train-images-idx3-ubyte.gz", gzip_compress(idx_images(n_train)));
  dir.write("train-labels-idx1-ubyte.gz", gzip_compress(idx_labels(n_train)));
  dir.write("t10k-images-idx3-ubyte.gz", gzip_compress(idx_images(n_test)));
  dir.write("t10k-labels-idx1-ubyte.gz", gzip_compress(idx_labels(n_test)));
}

std::string error_of_digits(const std::string& dir) {
  try {
    load_digits(dir);
  } catch (const Error& e) {
    return e.what();
  }
  FAIL("loaded without error");
  return "";
}

std::string error_of_fashion(const std::string& dir) {
  try {
    load_fashion(dir);
  } catch (const Error& e) {
    return e.what();
  }
  FAIL("loaded without error");
  return "";
}

void check_contains(const std::string& message, std::initializer_list<std::string> parts) {
  INFO(message);
  for (const std::string& part : parts) CHECK(message.find(part) != std::string::npos);
}

std::vector<std::size_t> pixel_histogram(const ImageSet& set) {
  std::vector<std::size_t> counts(256, 0);
  for (const std::uint8_t v : set.pixels) ++counts[v];
  return counts;
}

std::uint64_t pixel_sum(const ImageSet& set) {
  return std::accumulate(set.pixels.begin(), set.pixels.end(), std::uint64_t{0});
}

}  // namespace

TEST_CASE("data_dir_resolve: the environment first, then the repository around the executable") {
  TempDir dir;
  dir.write("repo/scripts/setup.sh", "#!/bin/sh\n");
  const fs::path executable = dir.path / "repo" / "build" / "bin" / "diffuse";
  CHECK(data_dir_resolve("/somewhere/data", executable) == "/somewhere/data");
  CHECK(data_dir_resolve(nullptr, executable) == (dir.path / "repo" / "data").string());
  CHECK(data_dir_resolve("", executable) == (dir.path / "repo" / "data").string());
  CHECK(data_dir_resolve(nullptr, dir.path / "elsewhere" / "diffuse").empty());
  CHECK(data_dir_resolve(nullptr, "/usr/bin/diffuse").empty());
  CHECK(data_dir_resolve(nullptr, "").empty());
}

TEST_CASE("data_dir_default: $DIFFUSE_DATA_DIR, else this build's repository's data/") {
  {
    ScopedEnv env(data_dir_env, "/tmp/elsewhere");
    CHECK(data_dir_default() == "/tmp/elsewhere");
  }
  ScopedEnv env(data_dir_env, nullptr);
  CHECK(fs::path(data_dir_default()) == fs::path(DIFFUSE_SOURCE_DIR) / "data");
}

TEST_CASE("load_digits reads digits.csv.gz from the folder and wants sklearn's 1,797 images") {
  TempDir dir;
  dir.write("digits.csv.gz", gzip_compress(digits_csv(1797)));
  const ImageSet set = load_digits(dir.path.string());
  CHECK(set.count == 1797);
  CHECK(set.labels[1796] == 6);
  CHECK(set.pixels[1796 * 64 + 63] == (1796 + 63) % 17);
  const std::string path = (dir.path / "digits.csv.gz").string();
  dir.write("digits.csv.gz", gzip_compress(digits_csv(1796)));
  check_contains(error_of_digits(dir.path.string()),
                 {"digits: " + path + " has 1796 images, expected sklearn's 1797",
                  "run scripts/setup.sh again"});
}

TEST_CASE("load_digits says what is missing and how to get it") {
  TempDir dir;
  const std::string path = (dir.path / "digits.csv.gz").string();
  check_contains(error_of_digits(dir.path.string()),
                 {"digits: " + path + " is missing: run scripts/setup.sh", "python3-sklearn",
                  "DIFFUSE_DATA_DIR"});
  check_contains(error_of_digits((dir.path / "no-such-folder").string()), {"is missing"});
}

TEST_CASE("load_digits names the file when it is not gzip, corrupt or not the digits CSV") {
  TempDir dir;
  const std::string path = (dir.path / "digits.csv.gz").string();
  dir.write("digits.csv.gz", digits_csv(3));
  check_contains(error_of_digits(dir.path.string()), {path + ": not gzip data"});
  std::string corrupt = gzip_compress(digits_csv(1797));
  corrupt[corrupt.size() - 6] ^= 0x10;
  dir.write("digits.csv.gz", corrupt);
  check_contains(error_of_digits(dir.path.string()), {path + ": corrupt gzip data"});
  std::string csv = digits_csv(1797);
  csv[csv.size() - 2] = 'x';
  dir.write("digits.csv.gz", gzip_compress(csv));
  check_contains(error_of_digits(dir.path.string()),
                 {path + " line 1797, column 65: label 'x' is not a non-negative integer"});
}

TEST_CASE("load_fashion says which file is missing and how to get it") {
  TempDir dir;
  check_contains(error_of_fashion(dir.path.string()),
                 {"Fashion-MNIST: " + (dir.path / "train-images-idx3-ubyte.gz").string() +
                      " is missing: install Debian's dataset-fashion-mnist package (run "
                      "scripts/setup.sh)",
                  "/usr/share/datasets/fashion-mnist"});
  write_fashion(dir, 2, 1);
  fs::remove(dir.path / "t10k-labels-idx1-ubyte.gz");
  check_contains(error_of_fashion(dir.path.string()),
                 {(dir.path / "t10k-labels-idx1-ubyte.gz").string() + " is missing"});
}

TEST_CASE("load_fashion wants the official counts and names the file that is wrong") {
  TempDir dir;
  write_fashion(dir, 2, 1);
  check_contains(error_of_fashion(dir.path.string()),
                 {"Fashion-MNIST: " + (dir.path / "train-images-idx3-ubyte.gz").string() +
                  " has 2 images, expected 60000 (the official train set)"});
  dir.write("train-labels-idx1-ubyte.gz", gzip_compress(idx_labels(3)));
  check_contains(
      error_of_fashion(dir.path.string()),
      {"train-images-idx3-ubyte.gz has 2 images but", "train-labels-idx1-ubyte.gz has 3 labels"});
  dir.write("train-labels-idx1-ubyte.gz", idx_labels(2));  // not compressed
  check_contains(error_of_fashion(dir.path.string()),
                 {(dir.path / "train-labels-idx1-ubyte.gz").string() + ": not gzip data"});
}

TEST_CASE("the real digits: 1,797 images, sklearn's class counts, pixels 0..16, the split") {
  const fs::path path = fs::path(DIFFUSE_SOURCE_DIR) / "data" / digits_file_name;
  if (!fs::exists(path)) {
    WARN("skipped: " << path.string()
                     << " is missing (run scripts/setup.sh to check the real "
                        "digits)");
    return;
  }
  const ImageSet set = load_digits(path.parent_path().string());
  REQUIRE(set.count == 1797);
  CHECK(image_set_class_counts(set) ==
        std::vector<std::size_t>{178, 182, 177, 183, 181, 182, 181, 179, 174, 180});
  CHECK(std::vector<std::int32_t>(set.labels.begin(), set.labels.begin() + 10) ==
        std::vector<std::int32_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  const std::vector<std::size_t> histogram = pixel_histogram(set);
  CHECK(histogram[0] == 56272);
  CHECK(histogram[16] == 10456);
  CHECK(std::all_of(histogram.begin() + 17, histogram.end(), [](std::size_t c) { return c == 0; }));
  CHECK(pixel_sum(set) == 561718);

  const ImageSplit split = image_split_digits(set);  // the counts are docs/datasets.md's table
  CHECK(split.train.count == 1500);
  CHECK(split.test.count == 297);
  CHECK(image_set_class_counts(split.test) ==
        std::vector<std::size_t>{21, 32, 20, 34, 28, 34, 34, 29, 33, 32});
  CHECK(image_set_class_counts(split.train) ==
        std::vector<std::size_t>{157, 150, 157, 149, 153, 148, 147, 150, 141, 148});
  CHECK(pixel_sum(split.train) + pixel_sum(split.test) == 561718);
}

TEST_CASE("the real Fashion-MNIST: 60,000 + 10,000 images, 6,000 and 1,000 per class") {
  const fs::path dir = fashion_mnist_default_dir;
  if (!fs::exists(dir / "train-images-idx3-ubyte.gz")) {
    WARN("skipped: " << dir.string()
                     << " has no Fashion-MNIST (run scripts/setup.sh, which "
                        "installs dataset-fashion-mnist)");
    return;
  }
  const ImageSplit split = load_fashion();
  REQUIRE(split.train.count == 60000);
  REQUIRE(split.test.count == 10000);
  CHECK(image_set_class_counts(split.train) == std::vector<std::size_t>(10, 6000));
  CHECK(image_set_class_counts(split.test) == std::vector<std::size_t>(10, 1000));
  CHECK(std::vector<std::int32_t>(split.train.labels.begin(), split.train.labels.begin() + 10) ==
        std::vector<std::int32_t>{9, 0, 0, 3, 0, 2, 7, 2, 5, 5});
  CHECK(std::vector<std::int32_t>(split.test.labels.begin(), split.test.labels.begin() + 10) ==
        std::vector<std::int32_t>{9, 2, 1, 1, 6, 1, 4, 6, 5, 7});
  for (const ImageSet* set : {&split.train, &split.test}) {
    CHECK(set->height == 28);
    CHECK(set->width == 28);
    CHECK(set->levels == 256);
    CHECK(*std::min_element(set->pixels.begin(), set->pixels.end()) == 0);
    CHECK(*std::max_element(set->pixels.begin(), set->pixels.end()) == 255);
    CHECK(set->class_names[9] == "Ankle boot");
  }
  CHECK(pixel_sum(split.train) == 3431114169u);
  CHECK(pixel_sum(split.test) == 573469082u);
}
