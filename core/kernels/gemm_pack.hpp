#pragma once
// Internal to core/kernels: packing operands into the panels the micro-kernel streams, and
// splitting a product into independent tasks. Shared by gemm and the fused linear kernels.
#include <cstddef>
#include <functional>  // std::cref

#include "base/executor.hpp"
#include "kernels/gemm.hpp"
#include "kernels/gemm_tile.hpp"

namespace diffuse::kernels::detail {

// K is cut into blocks of block_k so that one packed panel of B (block_k x NR floats: 32 KiB with
// AVX-512) stays in L1 while every row tile of a block streams past it.
inline constexpr std::size_t block_k = 256;
// Rows of C swept per panel before moving on, so that the block of A (block_m x block_k, 64 KiB)
// stays in L2 while all panels of B pass over it. Measured on a quiet machine, 16 to 128 rows run
// alike (within a few percent) for the reference shapes with AVX-512 and SSE4.2, M = 256 to
// 10,000; about 64 rows, whole tiles, for every width.
inline constexpr std::size_t block_m = 64 / tile_rows * tile_rows;

inline std::size_t ceil_div(std::size_t a, std::size_t b) { return (a + b - 1) / b; }

// op(B) (K, N) packed for the whole of K. For each k block [k0, k0 + kc): `panels` panels, each kc
// rows of its width (k-major, columns past N zero). Every panel is NR = tile_cols wide except that
// the last is one vector wide when at most one vector of columns is left (so N = 34 computes 48
// columns, not 64). Panel (k0, p) starts at k0 * padded_n + p * kc * NR.
struct PackedB {
  const float* data = nullptr;
  std::size_t K = 0, N = 0, panels = 0;
  std::size_t last_width = 0;  // NR or lanes

  std::size_t padded_n() const { return (panels - 1) * tile_cols + last_width; }
  std::size_t kc(std::size_t k0) const { return K - k0 < block_k ? K - k0 : block_k; }
  std::size_t width(std::size_t p) const { return p + 1 == panels ? last_width : tile_cols; }
  const float* panel(std::size_t k0, std::size_t p) const {
    return data + k0 * padded_n() + p * kc(k0) * tile_cols;
  }
};

// Packs op(B) into the calling thread's scratch buffer (reused across calls, grown as needed) and
// returns its view. Panels are packed as independent tasks on the executor.
PackedB pack_b(Transpose trans_b, const float* B, std::size_t ldb, std::size_t K, std::size_t N,
               const Executor& executor);

// Packs one row tile of op(A) = A^T (A stored (K, M)): rows [i, i + m) (m <= MR) over k in
// [k0, k0 + kc) into the calling thread's scratch as kc rows of MR floats (rows past m zero), and
// returns it. The tile then reads like a transposed A with lda = MR: one contiguous 8 KiB stream
// that stays in L1 while every panel of B passes, instead of kc lines lda apart (which, with lda a
// multiple of 128 floats, fall into a few L1 sets and evict each other).
const float* pack_a_tile_transposed(const float* A, std::size_t lda, std::size_t i, std::size_t m,
                                    std::size_t k0, std::size_t kc);

// A split of a (tiles_m x tiles_n) grid of tiles into chunks_m x chunks_n rectangular tasks.
struct TaskGrid {
  std::size_t chunks_m = 1, chunks_n = 1;
  std::size_t count() const { return chunks_m * chunks_n; }
};

// One task for a serial executor; otherwise a few tasks per thread (for balance), but none
// smaller than min_task_work (waking a pool thread costs microseconds, as much as a small
// product), splitting rows first. `work` is the whole job's size in multiply-adds (or elements).
// The split changes only who computes a tile, never how, so results do not depend on it.
inline constexpr double min_task_work = 256.0 * 1024.0;
TaskGrid plan_tasks(std::size_t tiles_m, std::size_t tiles_n, std::size_t concurrency, double work);

// [begin, end) of chunk c when `total` items are cut into `chunks` nearly equal chunks.
inline void chunk_range(std::size_t total, std::size_t chunks, std::size_t c, std::size_t& begin,
                        std::size_t& end) {
  begin = total * c / chunks;
  end = total * (c + 1) / chunks;
}

// Runs task(i) for i < count: inline when count is 1 (no executor round trip), else on executor.
// The executor gets a std::function holding a reference to task, which fits std::function's
// small buffer: no heap allocation in either case (steady-state steps must not allocate).
template <class Task>
void run_tasks(const Executor& executor, std::size_t count, const Task& task) {
  if (count == 1) {
    task(0);
  } else {
    executor.run(count, std::cref(task));
  }
}

// Per-thread scratch buffers of floats, 64-byte aligned, grown on demand and kept for the next
// call (so that steady-state steps allocate nothing). Each use has its own slot, since one call
// may hold several at once (linear_backward_from_derivative's sums while its gemm packs B and
// A).
enum class Scratch { pack_b, pack_a, columns, sums };
float* scratch(Scratch slot, std::size_t n);

}  // namespace diffuse::kernels::detail
