#include "diffusion/guidance.hpp"

#include <algorithm>
#include <cmath>

#include "base/error.hpp"

namespace diffuse {

void guidance_validate(double guidance) {
  if (!guidance_range.contains(guidance)) {
    fail("guidance = ", guidance, " is invalid: must be a finite number in ", guidance_range.text());
  }
}

GuidedDenoiser::GuidedDenoiser(Denoiser& model, double guidance)
    : model_(&model), guidance_(guidance) {
  guidance_validate(guidance);
  if (model.classes() == 0) {
    fail("classifier-free guidance needs a class-conditional model; this one is unconditional");
  }
}

void GuidedDenoiser::stack(const Tensor2& x_t, const Labels& labels) {
  const std::size_t B = x_t.shape(0), D = x_t.shape(1);
  if (labels.size() != B) fail("guided denoiser: ", B, " rows of x_t but ", labels.size(), " labels");
  x2_.resize({2 * B, D});
  std::copy(x_t.begin(), x_t.end(), x2_.begin());
  std::copy(x_t.begin(), x_t.end(), x2_.begin() + static_cast<std::ptrdiff_t>(B * D));
  labels2_.resize({2 * B});
  std::copy(labels.begin(), labels.end(), labels2_.begin());
  std::fill(labels2_.begin() + static_cast<std::ptrdiff_t>(B), labels2_.end(),
            static_cast<std::int32_t>(model_->classes()));
}

void GuidedDenoiser::combine(Tensor2& out, std::size_t B) const {
  const std::size_t D = out2_.shape(1);
  out.resize({B, D});
  const float* c = out2_.data();
  const float* u = out2_.data() + B * D;
  for (std::size_t i = 0; i < B * D; ++i) {
    out.data()[i] = static_cast<float>(u[i] + guidance_ * (static_cast<double>(c[i]) - u[i]));
  }
}

void GuidedDenoiser::predict(Tensor2& out, const Tensor2& x_t, const Steps& t,
                             const Labels* labels, const Executor& executor) {
  if (labels == nullptr || guidance_ == 0.0) {
    model_->predict(out, x_t, t, nullptr, executor);
    return;
  }
  if (guidance_ == 1.0) {
    model_->predict(out, x_t, t, labels, executor);
    return;
  }
  const std::size_t B = x_t.shape(0);
  if (t.size() != B) fail("guided denoiser: ", B, " rows of x_t but ", t.size(), " timesteps");
  stack(x_t, *labels);
  t2_.resize({2 * B});
  std::copy(t.begin(), t.end(), t2_.begin());
  std::copy(t.begin(), t.end(), t2_.begin() + static_cast<std::ptrdiff_t>(B));
  model_->predict(out2_, x2_, t2_, &labels2_, executor);
  combine(out, B);
}

void GuidedDenoiser::predict_at(Tensor2& out, const Tensor2& x_t, int t, const Labels* labels,
                                const Executor& executor) {
  if (labels == nullptr || guidance_ == 0.0) {
    model_->predict_at(out, x_t, t, nullptr, executor);
    return;
  }
  if (guidance_ == 1.0) {
    model_->predict_at(out, x_t, t, labels, executor);
    return;
  }
  stack(x_t, *labels);
  model_->predict_at(out2_, x2_, t, &labels2_, executor);
  combine(out, x_t.shape(0));
}

void GuidedDenoiser::predict_at_level(Tensor2& out, const Tensor2& x_t, const NoiseLevel& level,
                                      const Labels* labels, const Executor& executor) {
  if (labels == nullptr || guidance_ == 0.0) {
    model_->predict_at_level(out, x_t, level, nullptr, executor);
    return;
  }
  if (guidance_ == 1.0) {
    model_->predict_at_level(out, x_t, level, labels, executor);
    return;
  }
  stack(x_t, *labels);
  model_->predict_at_level(out2_, x2_, level, &labels2_, executor);
  combine(out, x_t.shape(0));
}

}  // namespace diffuse
