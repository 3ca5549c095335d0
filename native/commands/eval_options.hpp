#pragma once
// diffuse eval's flags, shared by its two halves: points (commands/eval_command.cpp) and images
// (commands/eval_images.hpp).
#include <cstdint>
#include <string>

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

}  // namespace diffuse::cli
