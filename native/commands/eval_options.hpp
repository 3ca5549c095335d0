#pragma once
// diffuse eval's flags, shared by its two halves: points (commands/eval_command.cpp) and images
// (commands/eval_images.hpp).
#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

#include "base/tensor.hpp"
#include "support/datasets.hpp"
#include "support/sampler_options.hpp"

namespace diffuse::cli {

struct EvalOptions {
  std::string model, dataset, format = "text";
  std::int64_t n = 2000;    // points; images: 0 picks the data set's default (eval_images.hpp)
  std::string classifier;   // images: the quality classifier ("": data/<set>-classifier.safetensors)
  std::int64_t threads = 1;
  SamplerOptions sampling;
  bool quiet = false;
};

// The points a 2D sample set is judged against: n fresh draws of a named set (the data) and n
// more (the baseline, a perfect model's score at this n), or a CSV file's first n points and its
// next n. Errors (exit 2) for a model of another dimension or a file too short.
struct PointsReference {
  Tensor2 data, baseline;  // (n, D) each, data units
  std::string text;        // "fresh points of moons" / "points of f.csv (its first ...)"
};
PointsReference points_reference(const EvalOptions& options, const CLI::App& command,
                                 const DatasetSpec& spec, std::size_t D);

}  // namespace diffuse::cli
