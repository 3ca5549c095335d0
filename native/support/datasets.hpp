#pragma once
// A data set as the command line names it: one of the 2D toy sets ("moons", core/data/toy2d.hpp),
// an image data set ("digits", core/data/image_dataset.hpp, loaded by support/image_datasets.hpp)
// or the path of a CSV file (core/data/csv.hpp: one point per line, optional header).
//
// Which points a command uses:
//   training  generated sets: train_size points of Rng(seed, toy2d_rng_stream), the same points
//             `diffuse data --seed S` writes; CSV: every point of the file
//   testing   generated sets: fresh points from streams no training run uses (test_rng_stream and
//             baseline_rng_stream), so a test set never overlaps the training set even with equal
//             seeds; CSV: the file's points
//   images    training: the training split; testing: the held-out split (never trained on)
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "base/tensor.hpp"
#include "data/csv.hpp"
#include "data/image_dataset.hpp"
#include "data/toy2d.hpp"
#include "io/checkpoint.hpp"

namespace diffuse::cli {

// Streams of fresh test draws ("test" and "tst2"), independent of toy2d_rng_stream ("data").
inline constexpr std::uint64_t test_rng_stream = 0x74657374;
inline constexpr std::uint64_t baseline_rng_stream = 0x74737432;

struct DatasetSpec {
  std::string text;                     // as given: "moons", "digits" or "points.csv"
  std::optional<Toy2d> set;             // a generated set
  std::optional<ImageDataset> images;   // an image data set
  std::string path;                     // a CSV file (when neither is set)

  bool generated() const { return set.has_value(); }
  bool image() const { return images.has_value(); }
};

// A known name, or the path of a readable file; anything else throws Error naming the flag, the
// value and the allowed names.
DatasetSpec dataset_resolve(const std::string& flag, const std::string& text);

// The names for help texts: "moons | circles | ... | digits | fashion | a CSV file path".
std::string dataset_help();

// n points of a generated set drawn from Rng(seed, stream).                             (n, 2)
Tensor2 dataset_draw(Toy2d set, std::size_t n, std::uint64_t seed, std::uint64_t stream);

// Every point of a CSV file, with its labels if the file has a "label" column (never read as a
// coordinate); Error naming the flag and the file's problem.                   points: (n, D)
LabeledPoints dataset_read_csv(const std::string& flag, const std::string& path);

// The first n rows of points.                                                            (n, D)
Tensor2 rows_head(const Tensor2& points, std::size_t n);
// Rows [first, first + n) of points.                                                     (n, D)
Tensor2 rows_slice(const Tensor2& points, std::size_t first, std::size_t n);

// Throws Error unless the checkpoint's model was trained on images like the data set's (shape and
// levels), naming the flag: an image data set tests only a model of its own kind of images.
void require_model_of_images(const std::string& flag, const DatasetSpec& spec, const Checkpoint& checkpoint);

// Throws Error unless every value is finite: a model whose weights diverged produces NaN or
// infinities, which no output format should carry silently (and CSV cannot read back).
// `what` names the values in the message ("samples").
void require_finite(const Tensor2& values, const std::string& what);

}  // namespace diffuse::cli
