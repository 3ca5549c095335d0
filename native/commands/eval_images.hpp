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
#include <memory>

#include "base/executor.hpp"
#include "base/tensor.hpp"

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

// One number per sample set for diffuse sweep: the Fréchet distance in the quality classifier's
// features to the first n held-out images, beside the next n held-out images' (the baseline).
// Constructing it makes eval's checks (Error, exit 2) and embeds the reference once.
class ImageFrechetJudge {
 public:
  ImageFrechetJudge(const EvalOptions& options, const CLI::App& command, const Checkpoint& checkpoint,
                    ImageDataset dataset, const Executor& executor);
  ~ImageFrechetJudge();
  std::size_t n() const;
  const Labels& labels() const;  // (n,) class i mod K, or empty for an unconditional model
  double baseline() const { return baseline_; }
  // samples (n, D) in data units (draw_samples' output).
  double score(const Tensor2& samples, const Executor& executor);

 private:
  struct State;
  std::unique_ptr<State> state_;
  double baseline_ = 0.0;
};

}  // namespace diffuse::cli
