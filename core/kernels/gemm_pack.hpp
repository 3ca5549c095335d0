#pragma once
// Internal to core/kernels: packing op(B) into the panels the micro-kernel streams, and splitting a
// product into independent tasks. Shared by gemm and the fused linear kernels.
#include <cstddef>
#include <functional>

#include "base/executor.hpp"
#include "kernels/gemm.hpp"
#include "kernels/gemm_tile.hpp"

namespace diffuse::kernels::detail {

// K is cut into blocks of block_k so that one packed panel (block_k x NR floats: 32 KiB with
// AVX-512) stays in L1 while every row tile of a block streams past it.
inline constexpr std::size_t block_k = 256;
// Rows of A swept per panel before moving on, so that the block of A (block_m x block_k) stays in
// L2 while all panels of B pass over it.
inline constexpr std::size_t block_m = 16 * tile_rows;

// op(B) (K, N) packed for the whole of K: for each k block [k0, k0 + kc), `panels` panels of
// kc x NR floats (k-major, columns past N zero). Panel (k0, p) starts at k0 * padded_n + p * kc * NR.
struct PackedB {
  const float* data = nullptr;
  std::size_t K = 0, N = 0, panels = 0;

  std::size_t padded_n() const { return panels * tile_cols; }
  std::size_t kc(std::size_t k0) const { return K - k0 < block_k ? K - k0 : block_k; }
  const float* panel(std::size_t k0, std::size_t p) const {
    return data + k0 * padded_n() + p * kc(k0) * tile_cols;
  }
};

inline std::size_t ceil_div(std::size_t a, std::size_t b) { return (a + b - 1) / b; }

// Packs op(B) into a per-thread buffer (reused across calls, grown as needed) and returns its view.
// Panels are packed as independent tasks on the executor.
PackedB pack_b(Transpose trans_b, const float* B, std::size_t ldb, std::size_t K, std::size_t N,
               const Executor& executor);

// A split of an (tiles_m x tiles_n) grid of tiles into chunks_m x chunks_n rectangular tasks.
struct TaskGrid {
  std::size_t chunks_m = 1, chunks_n = 1;
  std::size_t count() const { return chunks_m * chunks_n; }
};

// One task for a serial executor; otherwise a few tasks per thread (for balance), splitting rows
// first. The split changes only who computes a tile, never how, so results do not depend on it.
TaskGrid plan_tasks(std::size_t tiles_m, std::size_t tiles_n, std::size_t concurrency);

// [begin, end) of chunk c when `total` items are cut into `chunks` nearly equal chunks.
inline void chunk_range(std::size_t total, std::size_t chunks, std::size_t c, std::size_t& begin,
                        std::size_t& end) {
  begin = total * c / chunks;
  end = total * (c + 1) / chunks;
}

// Runs task(i) for i < count: inline when count is 1 (no executor round trip), else on executor.
inline void run_tasks(const Executor& executor, std::size_t count,
                      const std::function<void(std::size_t)>& task) {
  if (count == 1) {
    task(0);
  } else {
    executor.run(count, task);
  }
}

}  // namespace diffuse::kernels::detail
