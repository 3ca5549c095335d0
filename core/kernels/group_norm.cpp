// The SIMD group normalization: each (b, g) block of N = Cg HW values is contiguous in NCHW, so
// its statistics are plain vector sums; the per-channel passes run the vector body to
// HW - HW % lanes and the same vector code on a zero-filled copy of the tail.
#include "kernels/group_norm.hpp"

#include <cmath>

#include "base/check.hpp"
#include "kernels/activation_simd.hpp"
#include "kernels/gemm_pack.hpp"  // run_tasks, chunk_range

namespace diffuse::kernels {
namespace {

using detail::Batch;
using detail::lanes;

// sum p[0, n): four vector accumulators over whole groups of four vectors, then single vectors,
// then the zero-filled tail; the accumulators are added pairwise and summed across lanes.
float block_sum(const float* p, std::size_t n) {
  Batch acc[4] = {Batch(0.0f), Batch(0.0f), Batch(0.0f), Batch(0.0f)};
  std::size_t i = 0;
  for (; i + 4 * lanes <= n; i += 4 * lanes) {
    for (std::size_t a = 0; a < 4; ++a) acc[a] += Batch::load_unaligned(p + i + a * lanes);
  }
  for (; i + lanes <= n; i += lanes) acc[0] += Batch::load_unaligned(p + i);
  if (i < n) acc[1] += detail::load_partial(p + i, n - i);
  return xsimd::hadd((acc[0] + acc[1]) + (acc[2] + acc[3]));
}

// sum (p - mu)^2 over p[0, n), blocked as block_sum (the zero-filled tail masked out).
float block_squared_deviation(const float* p, std::size_t n, float mu) {
  const Batch m(mu);
  Batch acc[4] = {Batch(0.0f), Batch(0.0f), Batch(0.0f), Batch(0.0f)};
  std::size_t i = 0;
  for (; i + 4 * lanes <= n; i += 4 * lanes) {
    for (std::size_t a = 0; a < 4; ++a) {
      const Batch d = Batch::load_unaligned(p + i + a * lanes) - m;
      acc[a] = detail::fma(d, d, acc[a]);
    }
  }
  for (; i + lanes <= n; i += lanes) {
    const Batch d = Batch::load_unaligned(p + i) - m;
    acc[0] = detail::fma(d, d, acc[0]);
  }
  if (i < n) {
    alignas(64) float tail[lanes];
    for (std::size_t k = 0; k < lanes; ++k) tail[k] = i + k < n ? p[i + k] : mu;  // deviation 0
    const Batch d = Batch::load_aligned(tail) - m;
    acc[1] = detail::fma(d, d, acc[1]);
  }
  return xsimd::hadd((acc[0] + acc[1]) + (acc[2] + acc[3]));
}

// Applies f(offset, n) to one plane of HW values in vectors: whole vectors (n = lanes), then the
// tail (n < lanes) once.
template <class F>
void for_vectors(std::size_t HW, const F& f) {
  std::size_t i = 0;
  for (; i + lanes <= HW; i += lanes) f(i, lanes);
  if (i < HW) f(i, HW - i);
}

// The forward of one (b, g) block: statistics, then y (and dact) channel by channel.
template <Activation act>
void forward_block(float* y, float* dact, float& mean_out, float& rstd_out, const float* x,
                   const float* gamma, const float* beta, std::size_t Cg, std::size_t HW,
                   float eps) {
  const std::size_t N = Cg * HW;
  const float mu = block_sum(x, N) / static_cast<float>(N);
  const double var =
      static_cast<double>(block_squared_deviation(x, N, mu)) / static_cast<double>(N);
  const float rstd = static_cast<float>(1.0 / std::sqrt(var + static_cast<double>(eps)));
  mean_out = mu;
  rstd_out = rstd;
  const Batch vmu(mu), vrstd(rstd);
  for (std::size_t c = 0; c < Cg; ++c) {
    const Batch g(gamma[c]), b(beta[c]);
    const float* xc = x + c * HW;
    float* yc = y + c * HW;
    float* dc = dact == nullptr ? nullptr : dact + c * HW;
    for_vectors(HW, [&](std::size_t i, std::size_t n) {
      const Batch xhat = (detail::load_n(xc + i, n) - vmu) * vrstd;
      const Batch pre = detail::fma(g, xhat, b);
      if constexpr (act == Activation::identity) {
        detail::store_n(yc + i, pre, n);
      } else if (dc == nullptr) {
        detail::store_n(yc + i, detail::activate<act>(pre), n);
      } else {
        Batch out, d;
        detail::activate_with_derivative<act>(pre, out, d);
        detail::store_n(yc + i, out, n);
        detail::store_n(dc + i, d, n);
      }
    });
  }
}

// dpre = dy act'(pre) from the kept derivative (identity: dy itself).
template <Activation act>
inline Batch load_dpre(const float* dy, const float* dact, std::size_t n) {
  const Batch g = detail::load_n(dy, n);
  if constexpr (act == Activation::identity) {
    return g;
  } else {
    return detail::times_derivative<act>(g, detail::load_n(dact, n));
  }
}

// The backward of one (b, g) block: per-channel sums (added to dgamma, dbeta), then dx.
template <Activation act>
void backward_block(float* dx, float* dgamma, float* dbeta, const float* dact, float mu, float rstd,
                    const float* dy, const float* x, const float* gamma, std::size_t Cg,
                    std::size_t HW) {
  const Batch vmu(mu), vrstd(rstd);
  float mean_g = 0.0f, mean_gx = 0.0f;  // sums of gamma dpre and gamma dpre xhat, then means
  for (std::size_t c = 0; c < Cg; ++c) {
    const std::size_t at = c * HW;
    Batch s1(0.0f), s2(0.0f);
    for_vectors(HW, [&](std::size_t i, std::size_t n) {
      // tail lanes: dy = 0 and dact = 0, so dpre = 0 and they add nothing
      const Batch dp = load_dpre<act>(dy + at + i, dact == nullptr ? nullptr : dact + at + i, n);
      const Batch xhat = (detail::load_n(x + at + i, n) - vmu) * vrstd;
      s1 += dp;
      s2 = detail::fma(dp, xhat, s2);
    });
    const float sum_dp = xsimd::hadd(s1), sum_dpx = xsimd::hadd(s2);
    dbeta[c] += sum_dp;
    dgamma[c] += sum_dpx;
    mean_g += gamma[c] * sum_dp;
    mean_gx += gamma[c] * sum_dpx;
  }
  const float inv_n = 1.0f / static_cast<float>(Cg * HW);
  const Batch m1(mean_g * inv_n), m2(mean_gx * inv_n);
  for (std::size_t c = 0; c < Cg; ++c) {
    const std::size_t at = c * HW;
    const Batch g(gamma[c]);
    for_vectors(HW, [&](std::size_t i, std::size_t n) {
      const Batch dp = load_dpre<act>(dy + at + i, dact == nullptr ? nullptr : dact + at + i, n);
      const Batch xhat = (detail::load_n(x + at + i, n) - vmu) * vrstd;
      // rstd ((gamma dpre - mean(g)) - xhat mean(g xhat))
      detail::store_n(dx + at + i, vrstd * detail::fnma(xhat, m2, g * dp - m1), n);
    });
  }
}

// Work for a task: at least min_task_work floats, a few tasks per thread.
std::size_t task_count(const Executor& executor, std::size_t items, std::size_t floats) {
  if (executor.concurrency() <= 1 || static_cast<double>(floats) < detail::min_task_work) return 1;
  return std::min(items, 4 * executor.concurrency());
}

template <Activation act>
void forward(float* y, float* dact, float* mean, float* rstd, const float* x, const float* gamma,
             const float* beta, const GroupNormShape& s, const Executor& executor) {
  const std::size_t Cg = s.channels / s.groups, HW = s.pixels, blocks = s.batch * s.groups;
  const std::size_t tasks = task_count(executor, blocks, blocks * Cg * HW);
  detail::run_tasks(executor, tasks, [&](std::size_t t) {
    std::size_t begin, end;
    detail::chunk_range(blocks, tasks, t, begin, end);
    for (std::size_t bg = begin; bg < end; ++bg) {
      const std::size_t g = bg % s.groups, at = bg * Cg * HW;
      forward_block<act>(y + at, dact == nullptr ? nullptr : dact + at, mean[bg], rstd[bg], x + at,
                         gamma + g * Cg, beta + g * Cg, Cg, HW, s.eps);
    }
  });
}

template <Activation act>
void backward(float* dx, float* dgamma, float* dbeta, const float* dact, const float* mean,
              const float* rstd, const float* dy, const float* x, const float* gamma,
              const GroupNormShape& s, const Executor& executor) {
  const std::size_t Cg = s.channels / s.groups, HW = s.pixels;
  const std::size_t tasks = task_count(executor, s.groups, s.batch * s.channels * HW);
  detail::run_tasks(executor, tasks, [&](std::size_t t) {
    std::size_t begin, end;
    detail::chunk_range(s.groups, tasks, t, begin, end);
    for (std::size_t g = begin; g < end; ++g) {
      for (std::size_t b = 0; b < s.batch; ++b) {
        const std::size_t bg = b * s.groups + g, at = bg * Cg * HW;
        backward_block<act>(dx + at, dgamma + g * Cg, dbeta + g * Cg,
                            act == Activation::identity ? nullptr : dact + at, mean[bg], rstd[bg],
                            dy + at, x + at, gamma + g * Cg, Cg, HW);
      }
    }
  });
}

}  // namespace

void group_norm_forward(Activation act, float* y, float* dact, float* mean, float* rstd,
                        const float* x, const float* gamma, const float* beta,
                        const GroupNormShape& s, const Executor& executor) {
  DIFFUSE_ASSERT(s.groups > 0 && s.channels % s.groups == 0);
  switch (act) {
    case Activation::identity:
      return forward<Activation::identity>(y, nullptr, mean, rstd, x, gamma, beta, s, executor);
    case Activation::relu:
      return forward<Activation::relu>(y, dact, mean, rstd, x, gamma, beta, s, executor);
    case Activation::silu:
      return forward<Activation::silu>(y, dact, mean, rstd, x, gamma, beta, s, executor);
    case Activation::gelu:
      return forward<Activation::gelu>(y, dact, mean, rstd, x, gamma, beta, s, executor);
  }
}

void group_norm_backward(Activation act, float* dx, float* dgamma, float* dbeta, const float* dact,
                         const float* mean, const float* rstd, const float* dy, const float* x,
                         const float* gamma, const GroupNormShape& s, const Executor& executor) {
  DIFFUSE_ASSERT(s.groups > 0 && s.channels % s.groups == 0);
  switch (act) {
    case Activation::identity:
      return backward<Activation::identity>(dx, dgamma, dbeta, dact, mean, rstd, dy, x, gamma, s,
                                            executor);
    case Activation::relu:
      return backward<Activation::relu>(dx, dgamma, dbeta, dact, mean, rstd, dy, x, gamma, s,
                                        executor);
    case Activation::silu:
      return backward<Activation::silu>(dx, dgamma, dbeta, dact, mean, rstd, dy, x, gamma, s,
                                        executor);
    case Activation::gelu:
      return backward<Activation::gelu>(dx, dgamma, dbeta, dact, mean, rstd, dy, x, gamma, s,
                                        executor);
  }
}

}  // namespace diffuse::kernels
