#include <cmath>

#include "base/error.hpp"
#include "kernels/activation.hpp"

namespace diffuse::kernels {
namespace {

constexpr double inv_sqrt2 = 0.70710678118654752440;
constexpr double inv_sqrt_2pi = 0.39894228040143267794;

double forward_one(Activation act, double x) {
  switch (act) {
    case Activation::identity: return x;
    case Activation::relu: return x > 0 ? x : 0;
    case Activation::silu: return x / (1.0 + std::exp(-x));
    case Activation::gelu: return 0.5 * x * std::erfc(-x * inv_sqrt2);
  }
  return x;
}

double derivative_one(Activation act, double x) {
  switch (act) {
    case Activation::identity: return 1.0;
    case Activation::relu: return x > 0 ? 1.0 : 0.0;
    case Activation::silu: {
      const double s = 1.0 / (1.0 + std::exp(-x));
      return s * (1.0 + x * (1.0 - s));
    }
    case Activation::gelu: return 0.5 * std::erfc(-x * inv_sqrt2) + x * inv_sqrt_2pi * std::exp(-0.5 * x * x);
  }
  return 1.0;
}

}  // namespace

void activation_forward_ref(Activation act, float* y, const float* x, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) y[i] = static_cast<float>(forward_one(act, x[i]));
}

void activation_backward_ref(Activation act, float* dx, const float* dy, const float* x,
                             std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) dx[i] = static_cast<float>(dy[i] * derivative_one(act, x[i]));
}

void activation_derivative_ref(Activation act, float* d, const float* x, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) d[i] = static_cast<float>(derivative_one(act, x[i]));
}

void add_bias_rows_ref(float* y, const float* bias, std::size_t B, std::size_t N) {
  for (std::size_t b = 0; b < B; ++b) {
    for (std::size_t j = 0; j < N; ++j) y[b * N + j] += bias[j];
  }
}

void sum_rows_accumulate_ref(float* db, const float* dy, std::size_t B, std::size_t N) {
  for (std::size_t j = 0; j < N; ++j) {
    double sum = 0;
    for (std::size_t b = 0; b < B; ++b) sum += dy[b * N + j];
    db[j] += static_cast<float>(sum);
  }
}

}  // namespace diffuse::kernels
