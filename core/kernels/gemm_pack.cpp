#include "kernels/gemm_pack.hpp"

#include <algorithm>
#include <cstring>

#include "base/aligned.hpp"
#include "kernels/transpose_block.hpp"

namespace diffuse::kernels::detail {
namespace {

// dst row k (stride ld_dst) = column k of the block whose row i starts at src + i * ld_src.
void transpose_block(const float* src, std::size_t ld_src, float* dst, std::size_t ld_dst) {
  Batch v[lanes];
  load_transposed(src, ld_src, v);
  for (std::size_t k = 0; k < lanes; ++k) v[k].store_aligned(dst + k * ld_dst);
}

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
  // op(B)(k, j) = B[j * ldb + k]: lanes x lanes blocks transposed in registers where the panel
  // is whole, then the rest element by element.
  std::size_t k_done = 0;
  if (n_valid == width) {
    k_done = kc - kc % lanes;
    for (std::size_t k = 0; k < k_done; k += lanes) {
      for (std::size_t j = 0; j < width; j += lanes) {
        transpose_block(B + (j0 + j) * ldb + k0 + k, ldb, dst + k * width + j, width);
      }
    }
    if (k_done == kc) return;
  }
  // Read each stored row of B contiguously, write a column of dst.
  for (std::size_t j = 0; j < n_valid; ++j) {
    const float* src = B + (j0 + j) * ldb + k0;
    for (std::size_t k = k_done; k < kc; ++k) dst[k * width + j] = src[k];
  }
  for (std::size_t j = n_valid; j < width; ++j) {
    for (std::size_t k = k_done; k < kc; ++k) dst[k * width + j] = 0.0f;
  }
}

}  // namespace

float* scratch(Scratch slot, std::size_t n) {
  thread_local AlignedBuffer buffers[4];
  AlignedBuffer& buffer = buffers[static_cast<std::size_t>(slot)];
  if (buffer.size() < n) buffer.resize(n);
  return buffer.data();
}

PackedB pack_b(Transpose trans_b, const float* B, std::size_t ldb, std::size_t K, std::size_t N,
               const Executor& executor) {
  PackedB packed;
  packed.K = K;
  packed.N = N;
  packed.panels = ceil_div(N, tile_cols);
  const std::size_t rest = N - (packed.panels - 1) * tile_cols;
  packed.last_width = rest <= lanes ? lanes : tile_cols;
  float* data = scratch(Scratch::pack_b, K * packed.padded_n());
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
  // Packing is a copy: only worth a round trip to other threads when there is a lot of it.
  if (executor.concurrency() == 1 || count == 1 || static_cast<double>(K) * packed.padded_n() < min_task_work) {
    for (std::size_t t = 0; t < count; ++t) pack_one(t);
  } else {
    executor.run(count, std::cref(pack_one));
  }
  return packed;
}

const float* pack_a_tile_transposed(const float* A, std::size_t lda, std::size_t i, std::size_t m,
                                    std::size_t k0, std::size_t kc) {
  float* out = scratch(Scratch::pack_a, kc * tile_rows);
  if (m == tile_rows) {  // a fixed-size copy: one vector move per k
    for (std::size_t k = 0; k < kc; ++k) {
      std::memcpy(out + k * tile_rows, A + (k0 + k) * lda + i, tile_rows * sizeof(float));
    }
    return out;
  }
  for (std::size_t k = 0; k < kc; ++k) {
    const float* src = A + (k0 + k) * lda + i;
    for (std::size_t r = 0; r < m; ++r) out[k * tile_rows + r] = src[r];
    for (std::size_t r = m; r < tile_rows; ++r) out[k * tile_rows + r] = 0.0f;
  }
  return out;
}

TaskGrid plan_tasks(std::size_t tiles_m, std::size_t tiles_n, std::size_t concurrency, double work) {
  TaskGrid grid;
  if (concurrency <= 1) return grid;
  const std::size_t by_work = static_cast<std::size_t>(work / min_task_work);
  const std::size_t target = std::min(4 * concurrency, std::max<std::size_t>(1, by_work));
  grid.chunks_m = std::min(tiles_m, target);
  grid.chunks_n = std::min(tiles_n, ceil_div(target, grid.chunks_m));
  return grid;
}

}  // namespace diffuse::kernels::detail
