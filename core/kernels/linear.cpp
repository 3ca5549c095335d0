// The fused linear layer: the forward is the blocked GEMM (gemm_driver.hpp) with an epilogue that
// adds the bias and applies the activation (and, for training, its derivative) to each tile in
// registers; the backward is one pass for dy * act'(pre) with its column sums, then two GEMMs (the
// second optionally multiplying by the layer below's derivative in its epilogue:
// gemm_times_derivative.hpp).
#include "kernels/linear.hpp"

#include "base/check.hpp"
#include "kernels/activation_simd.hpp"
#include "kernels/gemm.hpp"
#include "kernels/gemm_driver.hpp"
#include "kernels/gemm_times_derivative.hpp"

namespace diffuse::kernels {
namespace {

using detail::Batch;
using detail::lanes;

using detail::load_n;
using detail::store_n;

// sum + bias -> y = act(.) and, when the derivative is kept, dact = act'(.) from the same exp or
// erfc as y.
template <Activation act, bool keep>
DIFFUSE_ALWAYS_INLINE void finish(const Batch& sum, Batch& y, Batch& dact) {
  if constexpr (keep) {
    detail::activate_with_derivative<act>(sum, y, dact);
  } else {
    y = detail::activate<act>(sum);
  }
}

// pre = sum + bias, y = act(pre) for a finished tile and, when keep, dact = act'(pre). While K is
// still running (several blocks of K), the raw partial sums wait in dact (or in y when nothing is
// kept).
template <Activation act, bool keep>
struct BiasActivationEpilogue {
  const float* bias;  // (N,) or nullptr
  float* dact;        // (M, N) when keep, else nullptr
  float* y;           // (M, N)
  std::size_t ld;     // N

  template <std::size_t MR, std::size_t NV>
  DIFFUSE_ALWAYS_INLINE void store(const Batch (&acc)[MR][NV], std::size_t i, std::size_t j,
                                   std::size_t n_valid, bool first_k, bool last_k) const {
    if (n_valid == NV * lanes && first_k && last_k) {
      store_full(acc, i, j);
    } else {
      store_general(acc, i, j, n_valid, first_k, last_k);
    }
  }

  // The common case, a whole tile and all of K in one block: straight-line code, the accumulators
  // never leave their registers.
  template <std::size_t MR, std::size_t NV>
  DIFFUSE_ALWAYS_INLINE void store_full(const Batch (&acc)[MR][NV], std::size_t i, std::size_t j) const {
    Batch b[NV];
    for (std::size_t v = 0; v < NV; ++v) {
      b[v] = bias != nullptr ? Batch::load_unaligned(bias + j + v * lanes) : Batch(0.0f);
    }
    for (std::size_t r = 0; r < MR; ++r) {
      for (std::size_t v = 0; v < NV; ++v) {
        const std::size_t at = (i + r) * ld + j + v * lanes;
        Batch out, d;
        finish<act, keep>(acc[r][v] + b[v], out, d);
        if constexpr (keep) d.store_unaligned(dact + at);
        out.store_unaligned(y + at);
      }
    }
  }

  // Edge tiles (columns past N) and blocks of a K longer than block_k.
  template <std::size_t MR, std::size_t NV>
  void store_general(const Batch (&acc)[MR][NV], std::size_t i, std::size_t j, std::size_t n_valid,
                     bool first_k, bool last_k) const {
    float* partial = keep ? dact : y;
    Batch b[NV];
    for (std::size_t v = 0; v < NV; ++v) {
      const std::size_t n = detail::lanes_valid(n_valid, v);
      b[v] = bias != nullptr && n > 0 ? load_n(bias + j + v * lanes, n) : Batch(0.0f);
    }
    for (std::size_t r = 0; r < MR; ++r) {
      for (std::size_t v = 0; v < NV; ++v) {
        const std::size_t n = detail::lanes_valid(n_valid, v);
        if (n == 0) continue;
        const std::size_t at = (i + r) * ld + j + v * lanes;
        Batch sum = acc[r][v];
        if (!first_k) sum += load_n(partial + at, n);
        if (!last_k) {
          store_n(partial + at, sum, n);
          continue;
        }
        Batch out, d;
        finish<act, keep>(sum + b[v], out, d);
        if constexpr (keep) store_n(dact + at, d, n);
        store_n(y + at, out, n);
      }
    }
  }
};

template <Activation act, bool keep>
void forward_blocked(float* y, float* dact, const float* x, const float* weight, const float* bias,
                     std::size_t B, std::size_t in, std::size_t out, const Executor& executor) {
  const detail::PackedB bp = detail::pack_b(Transpose::yes, weight, in, in, out, executor);
  const detail::BlockedProblem pr{Transpose::no, B, out, in, x, in};
  detail::gemm_blocked(pr, bp, BiasActivationEpilogue<act, keep>{bias, dact, y, out}, executor);
}

// y = act(x weight^T + bias) and, when dact is not null, dact = act'(the same pre-activation).
template <bool keep>
void forward(Activation act, float* y, float* dact, const float* x, const float* weight,
             const float* bias, std::size_t B, std::size_t in, std::size_t out,
             const Executor& executor) {
  if (B == 0 || out == 0) return;
  if (out < lanes || in == 0) {
    // Narrower than one vector (the output layer, out = D = 2): gemm's dot-product path, then the
    // bias and the activation as passes over the small result (pre waits in dact when kept).
    float* pre = keep ? dact : y;
    gemm(Transpose::no, Transpose::yes, B, out, in, 1.0f, x, in, weight, in, 0.0f, pre, out, executor);
    if (bias != nullptr) add_bias_rows(pre, bias, B, out);
    activation_forward(act, y, pre, B * out);
    if (keep) activation_derivative(act, dact, dact, B * out);
    return;
  }
  switch (act) {
    case Activation::identity: return forward_blocked<Activation::identity, keep>(y, dact, x, weight, bias, B, in, out, executor);
    case Activation::relu: return forward_blocked<Activation::relu, keep>(y, dact, x, weight, bias, B, in, out, executor);
    case Activation::silu: return forward_blocked<Activation::silu, keep>(y, dact, x, weight, bias, B, in, out, executor);
    case Activation::gelu: return forward_blocked<Activation::gelu, keep>(y, dact, x, weight, bias, B, in, out, executor);
  }
}

// Rows are summed in blocks of 64 (float32), the blocks in double: the arithmetic of
// sum_rows_accumulate, so that both give the same bits.
constexpr std::size_t sum_block = 64;

// dpre = dy * dact for rows [b0, b1) of (B, N), from the kept derivative dact = act'(pre); when
// partial is not null, also partial(j) = sum over those rows of dpre(b, j), in row order.
template <Activation act>
void backward_rows(float* dpre, const float* dy, const float* dact, float* partial, std::size_t b0,
                   std::size_t b1, std::size_t N) {
  const std::size_t n_vec = N - N % lanes;
  if (partial != nullptr) {
    for (std::size_t j = 0; j < N; ++j) partial[j] = 0.0f;
  }
  // identity with dpre == dy: dy is dL/dpre already (the layer above formed it, BelowLayer), so
  // only the sums are wanted.
  const bool store = act != Activation::identity || dpre != dy;
  if (!store && partial == nullptr) return;
  for (std::size_t b = b0; b < b1; ++b) {
    for (std::size_t j = 0; j < N; j += lanes) {
      const std::size_t n = j < n_vec ? lanes : N - n_vec;
      const std::size_t at = b * N + j;
      const Batch g = load_n(dy + at, n);
      Batch d = g;
      if constexpr (act != Activation::identity) d = detail::times_derivative<act>(g, load_n(dact + at, n));
      if (store) store_n(dpre + at, d, n);
      if (partial == nullptr) continue;
      if (n == lanes) {
        (Batch::load_unaligned(partial + j) + d).store_unaligned(partial + j);
      } else {
        for (std::size_t t = 0; t < n; ++t) partial[j + t] += dpre[at + t];
      }
    }
  }
}

// dpre = dy * dact for rows [0, B) of (B, N) and, when partials is not null, the float32 sum of
// every block of sum_block rows into partials (one row of N per block).
template <Activation act>
void backward_pass(float* dpre, float* partials, const float* dy, const float* dact, std::size_t B,
                   std::size_t N, const Executor& executor) {
  const std::size_t blocks = detail::ceil_div(B, sum_block);
  // an activation derivative costs about as much as 16 multiply-adds
  const detail::TaskGrid grid = detail::plan_tasks(blocks, 1, executor.concurrency(), 16.0 * B * N);
  detail::run_tasks(executor, grid.count(), [&](std::size_t t) {
    std::size_t k0, k1;
    detail::chunk_range(blocks, grid.count(), t, k0, k1);
    for (std::size_t k = k0; k < k1; ++k) {
      float* partial = partials != nullptr ? partials + k * N : nullptr;
      backward_rows<act>(dpre, dy, dact, partial, k * sum_block, std::min(B, (k + 1) * sum_block), N);
    }
  });
}

void backward_pass(Activation act, float* dpre, float* partials, const float* dy, const float* dact,
                   std::size_t B, std::size_t N, const Executor& executor) {
  switch (act) {
    case Activation::identity: return backward_pass<Activation::identity>(dpre, partials, dy, dact, B, N, executor);
    case Activation::relu: return backward_pass<Activation::relu>(dpre, partials, dy, dact, B, N, executor);
    case Activation::silu: return backward_pass<Activation::silu>(dpre, partials, dy, dact, B, N, executor);
    case Activation::gelu: return backward_pass<Activation::gelu>(dpre, partials, dy, dact, B, N, executor);
  }
}

}  // namespace

void linear_forward(Activation act, float* y, const float* x, const float* weight, const float* bias,
                    std::size_t B, std::size_t in, std::size_t out, const Executor& executor) {
  forward<false>(act, y, nullptr, x, weight, bias, B, in, out, executor);
}

void linear_forward_keep_derivative(Activation act, float* y, float* dact, const float* x,
                                    const float* weight, const float* bias, std::size_t B,
                                    std::size_t in, std::size_t out, const Executor& executor) {
  DIFFUSE_ASSERT(dact != nullptr && dact != y);
  forward<true>(act, y, dact, x, weight, bias, B, in, out, executor);
}

void linear_backward_from_derivative(Activation act, float* dx, float* dweight, float* dbias,
                                     float* dpre, const float* dy, const float* dact,
                                     const float* x, const float* weight, std::size_t B,
                                     std::size_t in, std::size_t out, const Executor& executor,
                                     const BelowLayer& below) {
  DIFFUSE_ASSERT(act == Activation::identity || dact != nullptr);
  if (B == 0 || out == 0) return;
  // A block of `rows` examples at a time, so that its dy, dact, dpre and x stay in L2 from the
  // multiply through both products (at B = 4096 a whole (B, 128) array is 2 MiB, and three passes
  // over each from L3 cost as much as the arithmetic). rows is gemm's block of K, so on gemm's
  // tiled paths dweight gets exactly the bits of one gemm over all B rows; it is a multiple of
  // sum_block, so dbias gets those of sum_rows_accumulate.
  constexpr std::size_t rows = detail::block_k;
  static_assert(rows % sum_block == 0, "row blocks must hold whole blocks of the bias sum");
  float* partials = dbias != nullptr ? detail::scratch(detail::Scratch::sums, detail::ceil_div(B, sum_block) * out)
                                     : nullptr;
  for (std::size_t b0 = 0; b0 < B; b0 += rows) {
    const std::size_t m = std::min(rows, B - b0);
    float* dpre_block = dpre + b0 * out;  // (m, out)
    // (identity reads no dact: it may be nullptr, and no offset is formed from it)
    const float* dact_block = act != Activation::identity ? dact + b0 * out : nullptr;
    backward_pass(act, dpre_block, dbias != nullptr ? partials + b0 / sum_block * out : nullptr, dy + b0 * out,
                  dact_block, m, out, executor);
    gemm(Transpose::yes, Transpose::no, out, in, m, 1.0f, dpre_block, out, x + b0 * in, in, 1.0f, dweight,
         in, executor);
    if (dx != nullptr && below.dact != nullptr) {
      gemm_times_derivative(below.act, m, in, out, dpre_block, out, weight, in, below.dact + b0 * in,
                            dx + b0 * in, in, executor);
    } else if (dx != nullptr) {
      gemm(Transpose::no, Transpose::no, m, in, out, 1.0f, dpre_block, out, weight, in, 0.0f, dx + b0 * in, in,
           executor);
    }
  }
  if (dbias == nullptr) return;
  const std::size_t blocks = detail::ceil_div(B, sum_block);
  for (std::size_t j = 0; j < out; ++j) {
    double total = 0.0;
    for (std::size_t k = 0; k < blocks; ++k) total += partials[k * out + j];
    dbias[j] += static_cast<float>(total);
  }
}

}  // namespace diffuse::kernels
