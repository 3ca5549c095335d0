#include "support/sample_draw.hpp"

#include "data/normalization.hpp"
#include "diffusion/sampler.hpp"
#include "support/arguments.hpp"
#include "support/datasets.hpp"
#include "support/progress.hpp"

namespace diffuse::cli {

Tensor2 draw_samples(const Checkpoint& c, const SamplerOptions& o, const SamplerConfig& config,
                     const Labels& labels, std::size_t n, const Executor& executor, bool quiet) {
  SamplingModel model = sampling_model(o, c);
  const NoiseSchedule schedule = schedule_make(c.schedule);
  Sampler sampler(model.denoiser(), schedule, config, n, parse_seed(o.seed), 0, labels);
  ProgressOptions display;
  display.enabled = !quiet;
  Progress progress("sample", sampler.steps_total(), 0, "step", display);
  while (!sampler.done()) {
    sampler.step(executor);
    progress.update(sampler.steps_taken());
  }
  progress.finish();
  Tensor2 samples = normalization_undo(c.data.normalization, sampler.x());
  require_finite(samples, "samples");
  normalization_clip_to_range(c.data.normalization, samples);
  return samples;
}

}  // namespace diffuse::cli
