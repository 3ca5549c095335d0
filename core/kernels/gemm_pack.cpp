#include "kernels/gemm_pack.hpp"

#include <algorithm>

#include "base/aligned.hpp"

namespace diffuse::kernels::detail {
namespace {

// One panel: op(B)(k0 + k, j0 + j) for k < kc, j < NR into dst (kc, NR); columns j >= n_valid are 0.
void pack_panel(Transpose trans_b, const float* B, std::size_t ldb, std::size_t k0, std::size_t kc,
                std::size_t j0, std::size_t n_valid, float* dst) {
  constexpr std::size_t nr = tile_cols;
  if (trans_b == Transpose::no) {
    // op(B) rows are contiguous: copy row segments.
    for (std::size_t k = 0; k < kc; ++k) {
      const float* src = B + (k0 + k) * ldb + j0;
      float* out = dst + k * nr;
      if (n_valid == nr) {
        for (std::size_t v = 0; v < tile_vectors; ++v) {
          Batch::load_unaligned(src + v * lanes).store_aligned(out + v * lanes);
        }
      } else {
        for (std::size_t j = 0; j < n_valid; ++j) out[j] = src[j];
        for (std::size_t j = n_valid; j < nr; ++j) out[j] = 0.0f;
      }
    }
    return;
  }
  // op(B)(k, j) = B[j * ldb + k]: read each stored row of B contiguously, write a column of dst.
  for (std::size_t j = 0; j < n_valid; ++j) {
    const float* src = B + (j0 + j) * ldb + k0;
    for (std::size_t k = 0; k < kc; ++k) dst[k * nr + j] = src[k];
  }
  for (std::size_t j = n_valid; j < nr; ++j) {
    for (std::size_t k = 0; k < kc; ++k) dst[k * nr + j] = 0.0f;
  }
}

// A per-thread scratch buffer, grown on demand and kept for the next call.
float* scratch(std::size_t n) {
  thread_local AlignedBuffer buffer;
  if (buffer.size() < n) buffer.resize(n);
  return buffer.data();
}

}  // namespace

PackedB pack_b(Transpose trans_b, const float* B, std::size_t ldb, std::size_t K, std::size_t N,
               const Executor& executor) {
  PackedB packed;
  packed.K = K;
  packed.N = N;
  packed.panels = ceil_div(N, tile_cols);
  float* data = scratch(K * packed.padded_n());
  packed.data = data;
  const std::size_t k_blocks = ceil_div(K, block_k);
  auto pack_one = [&](std::size_t t) {
    const std::size_t k0 = (t / packed.panels) * block_k;
    const std::size_t p = t % packed.panels;
    const std::size_t j0 = p * tile_cols;
    pack_panel(trans_b, B, ldb, k0, packed.kc(k0), j0, std::min(tile_cols, N - j0),
               data + k0 * packed.padded_n() + p * packed.kc(k0) * tile_cols);
  };
  const std::size_t count = k_blocks * packed.panels;
  if (executor.concurrency() == 1 || count == 1) {
    for (std::size_t t = 0; t < count; ++t) pack_one(t);
  } else {
    executor.run(count, pack_one);
  }
  return packed;
}

TaskGrid plan_tasks(std::size_t tiles_m, std::size_t tiles_n, std::size_t concurrency) {
  TaskGrid grid;
  if (concurrency <= 1) return grid;
  const std::size_t target = 4 * concurrency;
  grid.chunks_m = std::min(tiles_m, target);
  grid.chunks_n = std::min(tiles_n, ceil_div(target, grid.chunks_m));
  return grid;
}

}  // namespace diffuse::kernels::detail
