#pragma once
// Internal to core/kernels: the activations and their derivatives on one vector, shared by the
// element-wise kernels (activation.cpp) and the fused linear epilogue, so both compute exactly the
// same bits. Definitions as in activation.hpp.
//
// SiLU goes through t = exp(-|x|) in (0, 1], which never overflows:
//   sigmoid(|x|) = 1 / (1 + t),  sigmoid(-|x|) = t / (1 + t),
// so sigmoid(x) and 1 - sigmoid(x) are both formed without cancellation. exp is Cephes' expf
// (about 1 ulp) on [-87.3, 0]; below x = -87.3, t stays at exp(-87.3) = 1.2e-38, so silu(x) is
// off by at most |x| 1.2e-38 in absolute terms (its true value is smaller still). The reciprocal is the hardware
// estimate (14 bits with AVX-512, 12 with SSE; an exact division in WebAssembly) refined by one
// Newton step to about 1 ulp. GELU uses xsimd's erfc, accurate to a few ulp.
#include <cstdint>

#include "kernels/gemm_tile.hpp"  // first: it includes xsimd behind a warning pragma
#include "kernels/activation.hpp"

namespace diffuse::kernels::detail {

// exp(-y) for y >= 0, y above 87.3 treated as 87.3 (exp(-87.3) = 1.2e-38, the smallest normal
// floats' range). Cephes' expf: n = round(-y / ln 2), r = -y - n ln 2 in two pieces (Cody-Waite,
// |r| <= ln(2) / 2), a degree-7 polynomial, 2^n placed in the exponent field. Written in terms of
// r' = -r = y + n ln 2 so that no negation is needed, and with 127 folded into the rounding
// constant so that the exponent field is one shift away: 16 vector operations.
inline Batch exp_negative(Batch y) {
  using Int = xsimd::batch<std::int32_t>;
  y = xsimd::min(y, Batch(87.3f));
  // -y / ln 2 + 1.5 * 2^23 + 127: the float's low mantissa bits hold n + 127 (0 .. 127).
  const Batch magic(12582912.0f + 127.0f);
  // (an fma with a negated constant: one instruction wherever there is FMA hardware)
  const Batch shifted = detail::fma(y, Batch(-1.44269504088896341f), magic);
  const Batch n = shifted - magic;
  Batch rn = detail::fma(n, Batch(0.693359375f), y);  // r' = y + n ln 2 = -r
  rn = detail::fma(n, Batch(-2.12194440e-4f), rn);
  // exp(r) = 1 + r + r^2 P(r); odd powers of r = -r' change sign.
  Batch p(-1.9875691500e-4f);
  p = detail::fma(p, rn, Batch(1.3981999507e-3f));
  p = detail::fma(p, rn, Batch(-8.3334519073e-3f));
  p = detail::fma(p, rn, Batch(4.1665795894e-2f));
  p = detail::fma(p, rn, Batch(-1.6666665459e-1f));
  p = detail::fma(p, rn, Batch(5.0000001201e-1f));
  p = detail::fms(p, rn * rn, rn) + Batch(1.0f);
  // (n + 127) << 23 is 2^n; the magic constant's own bits shift out of the word.
  const Batch scale = xsimd::bitwise_cast<Batch>(xsimd::bitwise_cast<Int>(shifted) << 23);
  return p * scale;
}

// 1 / d for d in [1, 2]: the hardware estimate plus one Newton step.
inline Batch reciprocal_1_2(Batch d) {
  const Batch r = xsimd::reciprocal(d);
  return detail::fma(r, detail::fnma(d, r, Batch(1.0f)), r);
}

// sigmoid(|x|) = 1 / (1 + t) and sigmoid(-|x|) = t / (1 + t), t = exp(-|x|).
inline void sigmoid_abs(Batch x, Batch& big, Batch& small) {
  const Batch t = exp_negative(xsimd::abs(x));
  big = reciprocal_1_2(Batch(1.0f) + t);
  small = t * big;
}

inline constexpr float inv_sqrt2 = 0.70710678118654752440f;
inline constexpr float inv_sqrt_2pi = 0.39894228040143267794f;

template <Activation act>
inline Batch activate(Batch x) {
  if constexpr (act == Activation::relu) {
    return xsimd::select(x > Batch(0.0f), x, Batch(0.0f));
  } else if constexpr (act == Activation::silu) {
    Batch big, small;
    sigmoid_abs(x, big, small);
    return x * xsimd::select(x >= Batch(0.0f), big, small);  // x sigmoid(x)
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
    Batch big, small;
    sigmoid_abs(x, big, small);
    const auto positive = x >= Batch(0.0f);
    const Batch s = xsimd::select(positive, big, small), q = xsimd::select(positive, small, big);
    return s * detail::fma(x, q, Batch(1.0f));  // s (1 + x (1 - s)), 1 - s = sigmoid(-x) = q
  } else if constexpr (act == Activation::gelu) {
    const Batch cdf = Batch(0.5f) * xsimd::erfc(x * Batch(-inv_sqrt2));
    const Batch pdf = Batch(inv_sqrt_2pi) * xsimd::exp(Batch(-0.5f) * x * x);
    return detail::fma(x, pdf, cdf);
  } else {
    return Batch(1.0f);
  }
}

// y = act(x) and d = act'(x) from one evaluation of the shared transcendental (SiLU's sigmoid,
// GELU's erfc): bit for bit activate<act>(x) and activate_derivative<act>(x), at little more than
// the cost of the first. The fused linear forward keeps d for training (linear.hpp).
template <Activation act>
inline void activate_with_derivative(Batch x, Batch& y, Batch& d) {
  if constexpr (act == Activation::silu) {
    Batch big, small;
    sigmoid_abs(x, big, small);
    const auto positive = x >= Batch(0.0f);
    const Batch s = xsimd::select(positive, big, small), q = xsimd::select(positive, small, big);
    y = x * s;
    d = s * detail::fma(x, q, Batch(1.0f));
  } else if constexpr (act == Activation::gelu) {
    const Batch e = xsimd::erfc(x * Batch(-inv_sqrt2));
    y = Batch(0.5f) * x * e;
    const Batch pdf = Batch(inv_sqrt_2pi) * xsimd::exp(Batch(-0.5f) * x * x);
    d = detail::fma(x, pdf, Batch(0.5f) * e);
  } else {
    y = activate<act>(x);
    d = activate_derivative<act>(x);
  }
}

// dy * d for a kept derivative d = act'(x): bit for bit activate_backward<act>(dy, x) below (relu's
// d is 1 exactly where x > 0).
template <Activation act>
inline Batch times_derivative(Batch dy, Batch d) {
  if constexpr (act == Activation::relu) {
    return xsimd::select(d > Batch(0.0f), dy, Batch(0.0f));
  } else if constexpr (act == Activation::identity) {
    return dy;
  } else {
    return dy * d;
  }
}

// dy * act'(x). For relu a select (PyTorch's threshold_backward): where x <= 0 the result is 0
// even for a non-finite dy (the scalar twin multiplies, giving NaN there; both agree otherwise).
// Written as times_derivative of act'(x): relu's act'(x) > 0 exactly where x > 0, identity's
// derivative is never read.
template <Activation act>
inline Batch activate_backward(Batch dy, Batch x) {
  return times_derivative<act>(dy, activate_derivative<act>(x));
}

}  // namespace diffuse::kernels::detail
