#include "diffusion/parameterization.hpp"

#include "base/error.hpp"
#include "kernels/rowwise.hpp"

namespace diffuse {

PredictionEstimates prediction_estimates(Prediction prediction, double sa, double sr) {
  switch (prediction) {
    case Prediction::eps:  // x0 = (x_t - sr eps) / sa
      return {{1.0 / sa, -sr / sa}, {0.0, 1.0}};
    case Prediction::x0:  // eps = (x_t - sa x0) / sr
      return {{0.0, 1.0}, {1.0 / sr, -sa / sr}};
    case Prediction::v:  // x0 = sa x_t - sr v, eps = sr x_t + sa v
      return {{sa, -sr}, {sr, sa}};
  }
  fail("unknown prediction type ", static_cast<int>(prediction));
}

AffinePair space_from_x0_eps(Prediction space, double sa, double sr) {
  switch (space) {
    case Prediction::eps: return {0.0, 1.0};
    case Prediction::x0: return {1.0, 0.0};
    case Prediction::v: return {-sr, sa};
  }
  fail("unknown prediction type ", static_cast<int>(space));
}

namespace {

// out = a(t) x + c(t) y, with (a, c) = coefficients(sqrt(ab), sqrt(1 - ab)) at each row's t.
template <typename Coefficients>
void combine(Tensor2& out, const Tensor2& x, const Tensor2& y, const Steps& t,
             const NoiseSchedule& schedule, Coefficients coefficients) {
  const std::size_t B = x.shape(0), D = x.shape(1);
  std::vector<float> a(B), c(B);
  for (std::size_t b = 0; b < B; ++b) {
    const auto i = static_cast<std::size_t>(t(b));
    const AffinePair pair = coefficients(schedule.sqrt_alpha_bar(i), schedule.sqrt_one_minus_alpha_bar(i));
    a[b] = static_cast<float>(pair.a);
    c[b] = static_cast<float>(pair.c);
  }
  out.resize({B, D});
  kernels::rows_axpby(out.data(), a.data(), x.data(), c.data(), y.data(), B, D);
}

// out = the `x0` (or `eps`) estimate of prediction p of the given type.
void estimate(Tensor2& out, const Tensor2& x_t, const Tensor2& p, Prediction prediction, bool x0,
              const Steps& t, const NoiseSchedule& schedule) {
  combine(out, x_t, p, t, schedule, [&](double sa, double sr) {
    const PredictionEstimates e = prediction_estimates(prediction, sa, sr);
    return x0 ? e.x0 : e.eps;
  });
}

}  // namespace

void x0_from_eps(Tensor2& x0, const Tensor2& x_t, const Tensor2& eps, const Steps& t,
                 const NoiseSchedule& schedule) {
  estimate(x0, x_t, eps, Prediction::eps, true, t, schedule);
}

void eps_from_x0(Tensor2& eps, const Tensor2& x_t, const Tensor2& x0, const Steps& t,
                 const NoiseSchedule& schedule) {
  estimate(eps, x_t, x0, Prediction::x0, false, t, schedule);
}

void v_from_x0_eps(Tensor2& v, const Tensor2& x0, const Tensor2& eps, const Steps& t,
                   const NoiseSchedule& schedule) {
  combine(v, x0, eps, t, schedule,
          [](double sa, double sr) { return space_from_x0_eps(Prediction::v, sa, sr); });
}

void x0_from_v(Tensor2& x0, const Tensor2& x_t, const Tensor2& v, const Steps& t,
               const NoiseSchedule& schedule) {
  estimate(x0, x_t, v, Prediction::v, true, t, schedule);
}

void eps_from_v(Tensor2& eps, const Tensor2& x_t, const Tensor2& v, const Steps& t,
                const NoiseSchedule& schedule) {
  estimate(eps, x_t, v, Prediction::v, false, t, schedule);
}

void predicted_x0(Tensor2& x0, const Tensor2& model_output, Prediction prediction,
                  const Tensor2& x_t, const Steps& t, const NoiseSchedule& schedule) {
  if (prediction == Prediction::x0) {
    x0 = model_output;
    return;
  }
  estimate(x0, x_t, model_output, prediction, true, t, schedule);
}

void predicted_eps(Tensor2& eps, const Tensor2& model_output, Prediction prediction,
                   const Tensor2& x_t, const Steps& t, const NoiseSchedule& schedule) {
  if (prediction == Prediction::eps) {
    eps = model_output;
    return;
  }
  estimate(eps, x_t, model_output, prediction, false, t, schedule);
}

}  // namespace diffuse
