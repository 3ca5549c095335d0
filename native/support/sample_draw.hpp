#pragma once
// Drawing n samples of a checkpoint's model for a measurement (diffuse eval): the model as the
// sampling flags choose it (EMA or raw weights, guided when conditional), run to the end with a
// progress display, returned in data units and clipped to the data's range (images stay pixels).
#include <cstddef>

#include "base/executor.hpp"
#include "base/tensor.hpp"
#include "diffusion/sampler_config.hpp"
#include "io/checkpoint.hpp"
#include "support/sampler_options.hpp"

namespace diffuse::cli {

// labels: (n,) the class of each sample, or empty (the null class).                       (n, D)
Tensor2 draw_samples(const Checkpoint& checkpoint, const SamplerOptions& options,
                     const SamplerConfig& config, const Labels& labels, std::size_t n,
                     const Executor& executor, bool quiet);

}  // namespace diffuse::cli
