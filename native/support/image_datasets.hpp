#pragma once
// The image data sets from their files (docs/datasets.md): where they live, reading, decompressing
// and checking them. The parsing itself is core's (data/digits.hpp, data/fashion_mnist.hpp).
//
//   digits     <data dir>/digits.csv.gz, which scripts/setup.sh extracts from Debian's
//              python3-sklearn package into the repository's git-ignored data/ folder
//   fashion    /usr/share/datasets/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz,
//              from Debian's dataset-fashion-mnist package (scripts/setup.sh installs it)
//
// A missing file is an Error saying which file and how to get it.
#include <filesystem>
#include <string>

#include "data/csv.hpp"
#include "data/image_dataset.hpp"
#include "data/image_set.hpp"

namespace diffuse::cli {

inline constexpr const char* data_dir_env = "DIFFUSE_DATA_DIR";
inline constexpr const char* digits_file_name = "digits.csv.gz";
inline constexpr const char* fashion_mnist_default_dir = "/usr/share/datasets/fashion-mnist";

// The folder holding digits.csv.gz: the value of $DIFFUSE_DATA_DIR if it is set and not empty;
// else the data/ folder of the repository this executable was built in (the nearest ancestor of
// its folder that holds scripts/setup.sh, e.g. build/bin/diffuse -> data/). Throws Error saying
// how to fix it if neither applies. The folder need not exist yet: load_digits says what to do.
std::string data_dir_default();

// The same rule with its inputs given: `env_value` (null or empty: unset) and the executable's
// path. Returns "" where data_dir_default throws.
std::string data_dir_resolve(const char* env_value, const std::filesystem::path& executable);

// sklearn's digits from <data_dir>/digits.csv.gz: all 1,797 images (image_split_digits in
// data/digits.hpp gives the fixed train/test split). Throws Error naming the file and the problem:
// missing, not gzip, corrupt, not the digits CSV, or not 1,797 images.
ImageSet load_digits(const std::string& data_dir);

// Fashion-MNIST's official split from the four IDX files in `dir`: train 60,000 images, test
// 10,000. Throws Error naming the file and the problem (missing, corrupt, wrong counts).
ImageSplit load_fashion(const std::string& dir = fashion_mnist_default_dir);

// A data set's training and held-out images from their default places: digits from
// data_dir_default() with the fixed split (data/digits.hpp), fashion the official split.
ImageSplit image_dataset_load(ImageDataset dataset);

// The first n images (all if n is 0 or more than there are) of a set, as float pixel values
// (data units, 0 .. levels - 1) with their labels and classes.                    points: (n, C H W)
LabeledPoints image_set_points(const ImageSet& images, std::size_t n = 0);

}  // namespace diffuse::cli
