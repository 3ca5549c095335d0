#pragma once
// Classifier-free guidance (Ho & Salimans 2022) in diffusers' convention: with p(x, t, c) the
// model's output for class c and p(x, t, null) for the null class,
//   p_w = p(x, t, null) + w (p(x, t, c) - p(x, t, null)),
// so w = 1 is the purely conditional model, w = 0 the unconditional one, and w > 1 strengthens the
// class. It is applied to the model's output whatever it predicts: every conversion between eps,
// x0 and v is a x_t + c p with the same (a, c) for both terms (diffusion/parameterization.hpp),
// so guiding the output is guiding eps (and x0, and v) with the same w.
//
// The two predictions are one call on a stacked batch [x; x] with labels [c; null]: one pass of
// twice the rows keeps the network's products large. Rows of the null class need no guidance and
// get p(x, t, null); so do all rows when labels is nullptr. w = 1 and w = 0 make one call of B rows.
#include <cstddef>

#include "base/ranges.hpp"
#include "diffusion/denoiser.hpp"

namespace diffuse {

class GuidedDenoiser final : public Denoiser {
 public:
  // model must be conditional (classes() > 0) and outlive this; w finite (Error otherwise).
  GuidedDenoiser(Denoiser& model, double guidance);

  std::size_t data_dim() const override { return model_->data_dim(); }
  Prediction prediction() const override { return model_->prediction(); }
  std::size_t classes() const override { return model_->classes(); }
  double guidance() const { return guidance_; }

  using Denoiser::predict;
  using Denoiser::predict_at;
  void predict(Tensor2& out, const Tensor2& x_t, const Steps& t, const Labels* labels,
               const Executor& executor) override;
  void predict_at(Tensor2& out, const Tensor2& x_t, int t, const Labels* labels,
                  const Executor& executor) override;
  void predict_at_level(Tensor2& out, const Tensor2& x_t, const NoiseLevel& level,
                        const Labels* labels, const Executor& executor) override;

 private:
  // Stacks [x_t; x_t] and [labels; null] into the members below.
  void stack(const Tensor2& x_t, const Labels& labels);
  // out (B, D) = u + w (c - u) from the stacked output (2B, D): c its first B rows, u the rest.
  void combine(Tensor2& out, std::size_t B) const;

  Denoiser* model_;
  double guidance_;
  Tensor2 x2_, out2_;  // (2B, D)
  Steps t2_;           // (2B,)
  Labels labels2_;     // (2B,)
};

// diffusers' guidance_scale w: any finite number in principle; this bound keeps flags sane (the
// page's slider offers 0..8).
inline const NumberRange guidance_range{-100, 100};

// Throws Error unless w is in guidance_range.
void guidance_validate(double guidance);

}  // namespace diffuse
