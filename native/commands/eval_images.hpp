#pragma once
// diffuse eval for an image data set (digits, fashion): n samples of the model against n held-out
// images, beside n other held-out images (the score of a perfect model at this size), measured
// three ways (docs/images.md, "Measuring quality"):
//   - class agreement: the fraction of class-conditional samples that the data set's quality
//     classifier (core/nn/classifier.hpp, trained by `diffuse classifier`) labels as the class
//     they were drawn for, per class and overall; beside it the classifier's accuracy on the
//     held-out images, the best a model can score;
//   - the Fréchet distance (core/metrics/frechet.hpp) between samples and held-out images in the
//     classifier's penultimate features, beside the distance between the two held-out halves;
//   - the energy distance and RBF MMD^2 in pixel space (data units), beside the same baseline.
// Samples are rounded to the data's levels first (data/image_set.hpp, image_set_quantize): the
// classifier then sees samples exactly as it sees real images.
#include <CLI/CLI.hpp>

#include "commands/eval_options.hpp"
#include "data/image_dataset.hpp"
#include "io/checkpoint.hpp"

namespace diffuse::cli {

// The default n: all of digits' held-out split in two halves (148), 1,000 for Fashion-MNIST (of
// 10,000: the sampling, not the metric, is the cost).
std::size_t image_eval_default_n(ImageDataset dataset, std::size_t held_out);

// Every check first (Error, exit 2), then the measurement, printed as text or JSON.
void run_image_eval(const EvalOptions& options, const CLI::App& command,
                    const Checkpoint& checkpoint, ImageDataset dataset);

}  // namespace diffuse::cli
