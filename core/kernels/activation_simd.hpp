#pragma once
// Internal to core/kernels: the activations and their derivatives on one vector, shared by the
// element-wise kernels (activation.cpp) and the fused linear epilogue, so both compute exactly the
// same bits. Definitions as in activation.hpp.
//
// SiLU goes through t = exp(-|x|) in (0, 1], which never overflows:
//   sigmoid(|x|) = 1 / (1 + t),  sigmoid(-|x|) = t / (1 + t),
// so sigmoid(x) and 1 - sigmoid(x) are both formed without cancellation. exp is Cephes' expf
// (Cody-Waite reduction, degree-6 polynomial, about 1 ulp) on [-87.3, 0] and 0 below (where the
// true value is under 1.2e-38, so silu is off by less than 1e-36 in absolute terms). The reciprocal is the hardware
// estimate (14 bits with AVX-512, 12 with SSE; an exact division in WebAssembly) refined by one
// Newton step to about 1 ulp. GELU uses xsimd's erfc, accurate to a few ulp.
#include <cstdint>

#include "kernels/gemm_tile.hpp"  // first: it includes xsimd behind a warning pragma
#include "kernels/activation.hpp"

namespace diffuse::kernels::detail {

// exp(x) for x <= 0; 0 for x below -87.3 (the smallest normal float is exp(-87.34)).
inline Batch exp_nonpositive(Batch x) {
  using Int = xsimd::batch<std::int32_t>;
  const auto underflow = x < Batch(-87.3f);
  x = xsimd::max(x, Batch(-87.3f));
  // n = round(x / ln 2) by the 1.5 * 2^23 trick: adding it leaves n in the low mantissa bits.
  const Batch magic(12582912.0f);
  const Batch shifted = xsimd::fma(x, Batch(1.44269504088896341f), magic);
  const Batch n = shifted - magic;
  // r = x - n ln 2 in two pieces (Cody-Waite), |r| <= ln(2) / 2
  Batch r = xsimd::fnma(n, Batch(0.693359375f), x);
  r = xsimd::fnma(n, Batch(-2.12194440e-4f), r);
  Batch p(1.9875691500e-4f);
  p = xsimd::fma(p, r, Batch(1.3981999507e-3f));
  p = xsimd::fma(p, r, Batch(8.3334519073e-3f));
  p = xsimd::fma(p, r, Batch(4.1665795894e-2f));
  p = xsimd::fma(p, r, Batch(1.6666665459e-1f));
  p = xsimd::fma(p, r, Batch(5.0000001201e-1f));
  p = xsimd::fma(p, r * r, r) + Batch(1.0f);
  // 2^n from the integer n (-126 <= n <= 0) placed in the exponent field.
  const Int ni = xsimd::bitwise_cast<Int>(shifted) - xsimd::bitwise_cast<Int>(magic);
  const Batch scale = xsimd::bitwise_cast<Batch>((ni + Int(127)) << 23);
  return xsimd::select(underflow, Batch(0.0f), p * scale);
}

// 1 / d for d in [1, 2]: the hardware estimate plus one Newton step.
inline Batch reciprocal_1_2(Batch d) {
  const Batch r = xsimd::reciprocal(d);
  return xsimd::fma(r, xsimd::fnma(d, r, Batch(1.0f)), r);
}

// s = sigmoid(x) and q = 1 - sigmoid(x) = sigmoid(-x).
inline void sigmoid_pair(Batch x, Batch& s, Batch& q) {
  const Batch t = exp_nonpositive(-xsimd::abs(x));
  const Batch big = reciprocal_1_2(Batch(1.0f) + t);  // sigmoid(|x|)
  const Batch small = t * big;                       // sigmoid(-|x|)
  const auto positive = x >= Batch(0.0f);
  s = xsimd::select(positive, big, small);
  q = xsimd::select(positive, small, big);
}

inline constexpr float inv_sqrt2 = 0.70710678118654752440f;
inline constexpr float inv_sqrt_2pi = 0.39894228040143267794f;

template <Activation act>
inline Batch activate(Batch x) {
  if constexpr (act == Activation::relu) {
    return xsimd::select(x > Batch(0.0f), x, Batch(0.0f));
  } else if constexpr (act == Activation::silu) {
    Batch s, q;
    sigmoid_pair(x, s, q);
    return x * s;
  } else if constexpr (act == Activation::gelu) {
    return Batch(0.5f) * x * xsimd::erfc(x * Batch(-inv_sqrt2));
  } else {
    return x;
  }
}

// act'(x)
template <Activation act>
inline Batch activate_derivative(Batch x) {
  if constexpr (act == Activation::relu) {
    return xsimd::select(x > Batch(0.0f), Batch(1.0f), Batch(0.0f));
  } else if constexpr (act == Activation::silu) {
    Batch s, q;
    sigmoid_pair(x, s, q);
    return s * xsimd::fma(x, q, Batch(1.0f));  // s (1 + x (1 - s))
  } else if constexpr (act == Activation::gelu) {
    const Batch cdf = Batch(0.5f) * xsimd::erfc(x * Batch(-inv_sqrt2));
    const Batch pdf = Batch(inv_sqrt_2pi) * xsimd::exp(Batch(-0.5f) * x * x);
    return xsimd::fma(x, pdf, cdf);
  } else {
    return Batch(1.0f);
  }
}

// dy * act'(x). For relu a select (PyTorch's threshold_backward): where x <= 0 the result is 0
// even for a non-finite dy (the scalar twin multiplies, giving NaN there; both agree otherwise).
template <Activation act>
inline Batch activate_backward(Batch dy, Batch x) {
  if constexpr (act == Activation::relu) {
    return xsimd::select(x > Batch(0.0f), dy, Batch(0.0f));
  } else if constexpr (act == Activation::identity) {
    return dy;
  } else {
    return dy * activate_derivative<act>(x);
  }
}

}  // namespace diffuse::kernels::detail
