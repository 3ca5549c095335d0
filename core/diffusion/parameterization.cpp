#include "diffusion/parameterization.hpp"

#include "base/error.hpp"
#include "kernels/rowwise.hpp"

namespace diffuse {
namespace {

// out = a(t) x + c(t) y where a and c are functions of (sqrt(ab), sqrt(1 - ab)) at each row's t.
template <typename Coefficients>
void combine(Tensor2& out, const Tensor2& x, const Tensor2& y, const Steps& t,
             const NoiseSchedule& schedule, Coefficients coefficients) {
  const std::size_t B = x.shape(0), D = x.shape(1);
  std::vector<float> a(B), c(B);
  for (std::size_t b = 0; b < B; ++b) {
    const auto i = static_cast<std::size_t>(t(b));
    double ca, cc;
    coefficients(schedule.sqrt_alpha_bar(i), schedule.sqrt_one_minus_alpha_bar(i), ca, cc);
    a[b] = static_cast<float>(ca);
    c[b] = static_cast<float>(cc);
  }
  out.resize({B, D});
  kernels::rows_axpby(out.data(), a.data(), x.data(), c.data(), y.data(), B, D);
}

}  // namespace

Prediction prediction_from_name(std::string_view name) {
  if (name == "eps" || name == "epsilon") return Prediction::eps;
  if (name == "x0" || name == "sample") return Prediction::x0;
  if (name == "v" || name == "v_prediction") return Prediction::v;
  fail("unknown prediction type '", name, "': allowed are eps, x0, v");
}

std::string prediction_name(Prediction prediction) {
  switch (prediction) {
    case Prediction::eps: return "eps";
    case Prediction::x0: return "x0";
    case Prediction::v: return "v";
  }
  fail("unknown prediction type ", static_cast<int>(prediction));
}

void x0_from_eps(Tensor2& x0, const Tensor2& x_t, const Tensor2& eps, const Steps& t,
                 const NoiseSchedule& schedule) {
  combine(x0, x_t, eps, t, schedule, [](double s, double r, double& a, double& c) {
    a = 1.0 / s;
    c = -r / s;
  });
}

void eps_from_x0(Tensor2& eps, const Tensor2& x_t, const Tensor2& x0, const Steps& t,
                 const NoiseSchedule& schedule) {
  combine(eps, x_t, x0, t, schedule, [](double s, double r, double& a, double& c) {
    a = 1.0 / r;
    c = -s / r;
  });
}

void v_from_x0_eps(Tensor2& v, const Tensor2& x0, const Tensor2& eps, const Steps& t,
                   const NoiseSchedule& schedule) {
  combine(v, x0, eps, t, schedule, [](double s, double r, double& a, double& c) {
    a = -r;
    c = s;
  });
}

void x0_from_v(Tensor2& x0, const Tensor2& x_t, const Tensor2& v, const Steps& t,
               const NoiseSchedule& schedule) {
  combine(x0, x_t, v, t, schedule, [](double s, double r, double& a, double& c) {
    a = s;
    c = -r;
  });
}

void eps_from_v(Tensor2& eps, const Tensor2& x_t, const Tensor2& v, const Steps& t,
                const NoiseSchedule& schedule) {
  combine(eps, x_t, v, t, schedule, [](double s, double r, double& a, double& c) {
    a = r;
    c = s;
  });
}

void predicted_x0(Tensor2& x0, const Tensor2& model_output, Prediction prediction,
                  const Tensor2& x_t, const Steps& t, const NoiseSchedule& schedule) {
  switch (prediction) {
    case Prediction::eps: x0_from_eps(x0, x_t, model_output, t, schedule); return;
    case Prediction::x0: x0 = model_output; return;
    case Prediction::v: x0_from_v(x0, x_t, model_output, t, schedule); return;
  }
}

void predicted_eps(Tensor2& eps, const Tensor2& model_output, Prediction prediction,
                   const Tensor2& x_t, const Steps& t, const NoiseSchedule& schedule) {
  switch (prediction) {
    case Prediction::eps: eps = model_output; return;
    case Prediction::x0: eps_from_x0(eps, x_t, model_output, t, schedule); return;
    case Prediction::v: eps_from_v(eps, x_t, model_output, t, schedule); return;
  }
}

}  // namespace diffuse
