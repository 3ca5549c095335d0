// The xsimd loops over the flat parameter buffer: a vector body up to n - n % lanes, then a scalar
// tail with the same formulas (fused where the vector code fuses, so every element is computed
// alike).
#include "kernels/optimizer_kernels.hpp"

#include <cmath>

#include "kernels/gemm_tile.hpp"

namespace diffuse::kernels {

using detail::Batch;
using detail::lanes;

namespace {

// 1 / (sqrt(v) + eps): the divide (about ten cycles per AVX-512 vector, as much as the rest of
// Adam) becomes the hardware estimate of 1/x refined by one Newton step, to about 2^-23 relative.
// (xsimd 8.1's AVX-512 rsqrt does not compile, so the square root stays exact.)
inline Batch inverse_sqrt_plus_eps(Batch v, Batch eps) {
  const Batch d = xsimd::sqrt(v) + eps;
  const Batch r = xsimd::reciprocal(d);
  return detail::fma(r, detail::fnma(d, r, Batch(1.0f)), r);
}

}  // namespace

void adam_update(float* p, const float* g, float* m, float* v, std::size_t n, const AdamStep& s) {
  // The scalar twin divides by the bias corrections; here they are reciprocals computed once, and
  // 1 / (sqrt(v_hat) + eps) is refined estimates: each a difference of a few roundings.
  const float inv_bc1 = 1.0f / s.bias_correction1, inv_bc2 = 1.0f / s.bias_correction2;
  const float one_minus_b1 = 1.0f - s.beta1, one_minus_b2 = 1.0f - s.beta2;
  const Batch b1(s.beta1), b2(s.beta2), c1(one_minus_b1), c2(one_minus_b2);
  const Batch ib1(inv_bc1), ib2(inv_bc2), lr(s.lr), eps(s.eps), wd(s.weight_decay);
  const std::size_t n_vec = n - n % lanes;
  for (std::size_t i = 0; i < n_vec; i += lanes) {
    const Batch gi = Batch::load_unaligned(g + i);
    const Batch mi = detail::fma(b1, Batch::load_unaligned(m + i), c1 * gi);
    const Batch vi = detail::fma(b2, Batch::load_unaligned(v + i), c2 * gi * gi);
    mi.store_unaligned(m + i);
    vi.store_unaligned(v + i);
    const Batch pi = Batch::load_unaligned(p + i);
    const Batch step = (mi * ib1) * inverse_sqrt_plus_eps(vi * ib2, eps);
    detail::fnma(lr, detail::fma(wd, pi, step), pi).store_unaligned(p + i);
  }
  for (std::size_t i = n_vec; i < n; ++i) {
    m[i] = std::fma(s.beta1, m[i], one_minus_b1 * g[i]);
    v[i] = std::fma(s.beta2, v[i], one_minus_b2 * g[i] * g[i]);
    const float step = (m[i] * inv_bc1) / (std::sqrt(v[i] * inv_bc2) + s.eps);
    p[i] = std::fma(-s.lr, std::fma(s.weight_decay, p[i], step), p[i]);
  }
}

void ema_update(float* ema, const float* p, std::size_t n, float decay) {
  const float rest = 1.0f - decay;
  const Batch d(decay), r(rest);
  const std::size_t n_vec = n - n % lanes;
  for (std::size_t i = 0; i < n_vec; i += lanes) {
    detail::fma(d, Batch::load_unaligned(ema + i), r * Batch::load_unaligned(p + i)).store_unaligned(ema + i);
  }
  for (std::size_t i = n_vec; i < n; ++i) ema[i] = std::fma(decay, ema[i], rest * p[i]);
}

double squared_norm(const float* x, std::size_t n) {
  // Four float32 vector accumulators (independent chains) over blocks of `block` elements, each
  // block's sum added in double: relative error near (block / (4 lanes)) 2^-24, whatever n is.
  constexpr std::size_t block = 64 * lanes;
  double total = 0.0;
  std::size_t i = 0;
  for (; i + block <= n; i += block) {
    Batch acc[4] = {Batch(0.0f), Batch(0.0f), Batch(0.0f), Batch(0.0f)};
    for (std::size_t j = 0; j < block; j += 4 * lanes) {
      for (std::size_t a = 0; a < 4; ++a) {
        const Batch xv = Batch::load_unaligned(x + i + j + a * lanes);
        acc[a] = detail::fma(xv, xv, acc[a]);
      }
    }
    total += static_cast<double>(xsimd::hadd((acc[0] + acc[1]) + (acc[2] + acc[3])));
  }
  for (; i < n; ++i) total += static_cast<double>(x[i]) * x[i];
  return total;
}

void scale_inplace(float* x, std::size_t n, float s) {
  const Batch sv(s);
  const std::size_t n_vec = n - n % lanes;
  for (std::size_t i = 0; i < n_vec; i += lanes) (Batch::load_unaligned(x + i) * sv).store_unaligned(x + i);
  for (std::size_t i = n_vec; i < n; ++i) x[i] *= s;
}

}  // namespace diffuse::kernels
