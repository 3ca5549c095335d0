// The scalar twins of the group normalization: the definitions in group_norm.hpp in double,
// rounded once per output (mean and rstd as stored, then used as given by the backward twin).
#include <cmath>
#include <vector>

#include "base/check.hpp"
#include "kernels/group_norm.hpp"

namespace diffuse::kernels {
namespace {

double act_value(Activation act, double x) {
  switch (act) {
    case Activation::relu:
      return x > 0 ? x : 0.0;
    case Activation::silu:
      return x / (1.0 + std::exp(-x));
    case Activation::gelu:
      return 0.5 * x * std::erfc(-x / std::sqrt(2.0));
    case Activation::identity:
      break;
  }
  return x;
}

double act_derivative(Activation act, double x) {
  switch (act) {
    case Activation::relu:
      return x > 0 ? 1.0 : 0.0;
    case Activation::silu: {
      const double s = 1.0 / (1.0 + std::exp(-x));
      return s * (1.0 + x * (1.0 - s));
    }
    case Activation::gelu:
      return 0.5 * std::erfc(-x / std::sqrt(2.0)) +
             x * std::exp(-0.5 * x * x) / std::sqrt(2.0 * M_PI);
    case Activation::identity:
      break;
  }
  return 1.0;
}

}  // namespace

void group_norm_forward_ref(Activation act, float* y, float* dact, float* mean, float* rstd,
                            const float* x, const float* gamma, const float* beta,
                            const GroupNormShape& s) {
  DIFFUSE_ASSERT(s.groups > 0 && s.channels % s.groups == 0);
  const std::size_t Cg = s.channels / s.groups, HW = s.pixels, N = Cg * HW;
  for (std::size_t b = 0; b < s.batch; ++b) {
    for (std::size_t g = 0; g < s.groups; ++g) {
      const std::size_t bg = b * s.groups + g, at = bg * N;
      double mu = 0, var = 0;
      for (std::size_t i = 0; i < N; ++i) mu += x[at + i];
      mu /= static_cast<double>(N);
      for (std::size_t i = 0; i < N; ++i) var += (x[at + i] - mu) * (x[at + i] - mu);
      var /= static_cast<double>(N);
      const double r = 1.0 / std::sqrt(var + static_cast<double>(s.eps));
      mean[bg] = static_cast<float>(mu);
      rstd[bg] = static_cast<float>(r);
      for (std::size_t i = 0; i < N; ++i) {
        const std::size_t c = g * Cg + i / HW;
        const double pre = gamma[c] * ((x[at + i] - mu) * r) + beta[c];
        y[at + i] = static_cast<float>(act_value(act, pre));
        if (act != Activation::identity && dact != nullptr)
          dact[at + i] = static_cast<float>(act_derivative(act, pre));
      }
    }
  }
}

void group_norm_backward_ref(Activation act, float* dx, float* dgamma, float* dbeta,
                             const float* dact, const float* mean, const float* rstd,
                             const float* dy, const float* x, const float* gamma,
                             const GroupNormShape& s) {
  DIFFUSE_ASSERT(s.groups > 0 && s.channels % s.groups == 0);
  const std::size_t Cg = s.channels / s.groups, HW = s.pixels, N = Cg * HW;
  std::vector<double> gg(s.channels, 0.0), gb(s.channels, 0.0);
  for (std::size_t b = 0; b < s.batch; ++b) {
    for (std::size_t g = 0; g < s.groups; ++g) {
      const std::size_t bg = b * s.groups + g, at = bg * N;
      const double mu = mean[bg], r = rstd[bg];
      auto dpre = [&](std::size_t i) {
        const double d = dy[at + i];
        return act == Activation::identity ? d : d * static_cast<double>(dact[at + i]);
      };
      double m1 = 0, m2 = 0;
      for (std::size_t i = 0; i < N; ++i) {
        const std::size_t c = g * Cg + i / HW;
        const double xhat = (x[at + i] - mu) * r;
        gb[c] += dpre(i);
        gg[c] += dpre(i) * xhat;
        m1 += gamma[c] * dpre(i);
        m2 += gamma[c] * dpre(i) * xhat;
      }
      m1 /= static_cast<double>(N);
      m2 /= static_cast<double>(N);
      for (std::size_t i = 0; i < N; ++i) {
        const std::size_t c = g * Cg + i / HW;
        const double xhat = (x[at + i] - mu) * r;
        dx[at + i] = static_cast<float>(r * (gamma[c] * dpre(i) - m1 - xhat * m2));
      }
    }
  }
  for (std::size_t c = 0; c < s.channels; ++c) {
    dgamma[c] = static_cast<float>(static_cast<double>(dgamma[c]) + gg[c]);
    dbeta[c] = static_cast<float>(static_cast<double>(dbeta[c]) + gb[c]);
  }
}

}  // namespace diffuse::kernels
