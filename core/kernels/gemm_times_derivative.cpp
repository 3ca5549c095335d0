// gemm_times_derivative: the blocked GEMM (gemm_driver.hpp) with an epilogue that multiplies each
// finished tile by the kept derivative; shapes that gemm sends down its narrow paths take gemm and
// then one pass.
#include "kernels/gemm_times_derivative.hpp"

#include "kernels/activation_simd.hpp"
#include "kernels/gemm.hpp"
#include "kernels/gemm_driver.hpp"
#include "kernels/gemm_small.hpp"

namespace diffuse::kernels {
namespace {

using detail::Batch;
using detail::lanes;

using detail::load_n;
using detail::store_n;

// g * act'(pre) for one vector of n valid lanes of the product g at C's offset `at`.
template <Activation act>
DIFFUSE_ALWAYS_INLINE Batch times_kept(const Batch& g, const float* dact, std::size_t at, std::size_t n) {
  if constexpr (act == Activation::identity) {
    return g;
  } else {
    return detail::times_derivative<act>(g, load_n(dact + at, n));
  }
}

// C = sum * dact on the last block of K. Earlier blocks leave their partial sums in C, as gemm's
// alpha = 1, beta = 0 epilogue does (the sum of two blocks is one rounded addition in both).
template <Activation act>
struct TimesDerivativeEpilogue {
  const float* dact;
  float* C;
  std::size_t ldc;

  template <std::size_t MR, std::size_t NV>
  DIFFUSE_ALWAYS_INLINE void store(const Batch (&acc)[MR][NV], std::size_t i, std::size_t j,
                                   std::size_t n_valid, bool first_k, bool last_k) const {
    if (n_valid == NV * lanes && first_k && last_k) {  // the common case: straight-line code
      for (std::size_t r = 0; r < MR; ++r) {
        for (std::size_t v = 0; v < NV; ++v) {
          const std::size_t at = (i + r) * ldc + j + v * lanes;
          times_kept<act>(acc[r][v], dact, at, lanes).store_unaligned(C + at);
        }
      }
      return;
    }
    for (std::size_t r = 0; r < MR; ++r) {
      for (std::size_t v = 0; v < NV; ++v) {
        const std::size_t n = detail::lanes_valid(n_valid, v);
        if (n == 0) continue;
        const std::size_t at = (i + r) * ldc + j + v * lanes;
        Batch sum = acc[r][v];
        if (!first_k) sum += load_n(C + at, n);
        store_n(C + at, last_k ? times_kept<act>(sum, dact, at, n) : sum, n);
      }
    }
  }
};

// C *= act'(pre) in place, one row at a time (after gemm on the narrow paths).
template <Activation act>
void times_derivative_pass(const float* dact, float* C, std::size_t ldc, std::size_t M, std::size_t N) {
  if constexpr (act != Activation::identity) {
    for (std::size_t i = 0; i < M; ++i) {
      for (std::size_t j = 0; j < N; j += lanes) {
        const std::size_t n = N - j < lanes ? N - j : lanes, at = i * ldc + j;
        store_n(C + at, times_kept<act>(load_n(C + at, n), dact, at, n), n);
      }
    }
  }
}

template <Activation act>
void product(std::size_t M, std::size_t N, std::size_t K, const float* A, std::size_t lda,
             const float* B, std::size_t ldb, const float* dact, float* C, std::size_t ldc,
             const Executor& executor) {
  const bool blocked = K > 0 && !detail::gemm_small_applies(Transpose::no, Transpose::no, M, N, K) &&
                       !detail::gemm_few_rows_applies(Transpose::no, Transpose::no, M, N, K);
  if (!blocked) {
    gemm(Transpose::no, Transpose::no, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C, ldc, executor);
    times_derivative_pass<act>(dact, C, ldc, M, N);
    return;
  }
  const detail::PackedB bp = detail::pack_b(Transpose::no, B, ldb, K, N, executor);
  const detail::BlockedProblem pr{Transpose::no, M, N, K, A, lda};
  detail::gemm_blocked(pr, bp, TimesDerivativeEpilogue<act>{dact, C, ldc}, executor);
}

}  // namespace

void gemm_times_derivative(Activation act, std::size_t M, std::size_t N, std::size_t K,
                           const float* A, std::size_t lda, const float* B, std::size_t ldb,
                           const float* dact, float* C, std::size_t ldc, const Executor& executor) {
  if (M == 0 || N == 0) return;
  switch (act) {
    case Activation::identity: return product<Activation::identity>(M, N, K, A, lda, B, ldb, dact, C, ldc, executor);
    case Activation::relu: return product<Activation::relu>(M, N, K, A, lda, B, ldb, dact, C, ldc, executor);
    case Activation::silu: return product<Activation::silu>(M, N, K, A, lda, B, ldb, dact, C, ldc, executor);
    case Activation::gelu: return product<Activation::gelu>(M, N, K, A, lda, B, ldb, dact, C, ldc, executor);
  }
}

}  // namespace diffuse::kernels
