#pragma once
// The test data of the likelihood commands (diffuse elbo, diffuse nll), in data units: an image
// set's held-out split (its first n images), n fresh draws of a generated 2D set (stream
// test_rng_stream of the seed), or a CSV file's rows (its first n, or all). Errors (exit 2) for a
// model of another shape and an n past the data.
#include <cstddef>
#include <cstdint>
#include <string>

#include "data/csv.hpp"
#include "io/checkpoint.hpp"
#include "support/datasets.hpp"

namespace diffuse::cli {

struct TestPointsRequest {
  std::string dataset;             // the --dataset text, for messages
  std::size_t n = 0;               // --n (or the command's default for generated sets)
  bool n_given = false;            // --n on the command line
  std::size_t image_default_n = 0; // images without --n
  std::uint64_t seed = 0;
  bool labels = false;             // generated sets: draw each point's class too
};

LabeledPoints test_points_load(const Checkpoint& checkpoint, const DatasetSpec& spec,
                               const TestPointsRequest& request);

}  // namespace diffuse::cli
