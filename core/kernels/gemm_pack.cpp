#include "kernels/gemm_pack.hpp"

#include <algorithm>
#include <cstring>

#include "base/aligned.hpp"

namespace diffuse::kernels::detail {
namespace {

// One panel: op(B)(k0 + k, j0 + j) for k < kc, j < width into dst (kc, width); columns
// j >= n_valid are zero.
void pack_panel(Transpose trans_b, const float* B, std::size_t ldb, std::size_t k0, std::size_t kc,
                std::size_t j0, std::size_t n_valid, std::size_t width, float* dst) {
  if (trans_b == Transpose::no) {
    // op(B) rows are contiguous: copy row segments.
    for (std::size_t k = 0; k < kc; ++k) {
      const float* src = B + (k0 + k) * ldb + j0;
      float* out = dst + k * width;
      if (n_valid == width) {
        for (std::size_t j = 0; j < width; j += lanes) Batch::load_unaligned(src + j).store_aligned(out + j);
      } else {
        for (std::size_t j = 0; j < n_valid; ++j) out[j] = src[j];
        for (std::size_t j = n_valid; j < width; ++j) out[j] = 0.0f;
      }
    }
    return;
  }
  // op(B)(k, j) = B[j * ldb + k]: read each stored row of B contiguously, write a column of dst.
  for (std::size_t j = 0; j < n_valid; ++j) {
    const float* src = B + (j0 + j) * ldb + k0;
    for (std::size_t k = 0; k < kc; ++k) dst[k * width + j] = src[k];
  }
  for (std::size_t j = n_valid; j < width; ++j) {
    for (std::size_t k = 0; k < kc; ++k) dst[k * width + j] = 0.0f;
  }
}

// Per-thread scratch buffers, grown on demand and kept for the next call. B is packed by the
// calling thread and read by all tasks; A blocks are packed by each task's own thread.
enum class Scratch { b, a };

float* scratch(Scratch which, std::size_t n) {
  thread_local AlignedBuffer for_b, for_a;
  AlignedBuffer& buffer = which == Scratch::b ? for_b : for_a;
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
  const std::size_t rest = N - (packed.panels - 1) * tile_cols;
  packed.last_width = rest <= lanes ? lanes : tile_cols;
  float* data = scratch(Scratch::b, K * packed.padded_n());
  packed.data = data;
  const std::size_t k_blocks = ceil_div(K, block_k);
  auto pack_one = [&](std::size_t t) {
    const std::size_t k0 = (t / packed.panels) * block_k;
    const std::size_t p = t % packed.panels;
    const std::size_t j0 = p * tile_cols;
    pack_panel(trans_b, B, ldb, k0, packed.kc(k0), j0, std::min(tile_cols, N - j0), packed.width(p),
               const_cast<float*>(packed.panel(k0, p)));
  };
  const std::size_t count = k_blocks * packed.panels;
  if (executor.concurrency() == 1 || count == 1) {
    for (std::size_t t = 0; t < count; ++t) pack_one(t);
  } else {
    executor.run(count, pack_one);
  }
  return packed;
}

const float* pack_a_transposed(const float* A, std::size_t lda, std::size_t i0, std::size_t i1,
                               std::size_t k0, std::size_t kc) {
  const std::size_t tiles = ceil_div(i1 - i0, tile_rows);
  const std::size_t stride = a_tile_stride(kc);
  float* out = scratch(Scratch::a, tiles * stride);
  const std::size_t full = (i1 - i0) / tile_rows;  // tiles with all MR rows
  const std::size_t rest = (i1 - i0) % tile_rows;
  // k outer: read each row of A once, contiguously, and deal it out to the tiles.
  for (std::size_t k = 0; k < kc; ++k) {
    const float* src = A + (k0 + k) * lda + i0;
    float* dst = out + k * tile_rows;
    for (std::size_t t = 0; t < full; ++t) {
      std::memcpy(dst + t * stride, src + t * tile_rows, tile_rows * sizeof(float));
    }
    if (rest > 0) {
      float* last = dst + full * stride;
      for (std::size_t r = 0; r < rest; ++r) last[r] = src[full * tile_rows + r];
      for (std::size_t r = rest; r < tile_rows; ++r) last[r] = 0.0f;
    }
  }
  return out;
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
