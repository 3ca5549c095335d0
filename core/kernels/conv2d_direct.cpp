// The direct path's product: gemm's register tile (MR pixels x NV vectors of output channels,
// kernels/gemm_tile.hpp) with its rows of A read from the bordered pixel rows in place. Pixel r's
// window is k runs of k Cin contiguous floats (conv2d_layout.hpp), so a tile keeps one pointer per
// pixel, broadcasts a[r][j] for j along a run, and steps every pointer down one bordered row per
// run. B is W^T packed once per call into panels of the tile's width, whole K per panel: each
// output is one fma chain over k = (u, v, c) in increasing order.
#include <algorithm>
#include <array>
#include <utility>

#include "kernels/conv2d_layout.hpp"
#include "kernels/gemm_pack.hpp"  // plan_tasks, run_tasks, chunk_range

namespace diffuse::kernels::detail {
namespace {

using WindowTileFn = void (*)(const float* const* starts, const float* panel, std::size_t k,
                              std::size_t run, std::size_t row_step, float* out, std::size_t ldc,
                              std::size_t n_valid);

// out (MR, n_valid), row stride ldc = sum over the windows of MR pixels (pointers starts[r]) of
// a[r][u row_step + j] panel(u run + j, :), j < run, u < k.
template <std::size_t MR, std::size_t NV>
void window_tile(const float* const* starts, const float* panel, std::size_t k, std::size_t run,
                 std::size_t row_step, float* out, std::size_t ldc, std::size_t n_valid) {
  constexpr std::size_t width = NV * lanes;
  Batch acc[MR][NV];
  tile_zero(acc);
  const float* a[MR];
  for (std::size_t r = 0; r < MR; ++r) a[r] = starts[r];
  const float* b = panel;
  for (std::size_t u = 0; u < k; ++u) {
    for (std::size_t j = 0; j < run; ++j, b += width) {
      Batch bk[NV];
      for (std::size_t v = 0; v < NV; ++v) bk[v] = Batch::load_unaligned(b + v * lanes);
      for (std::size_t r = 0; r < MR; ++r) {
        const Batch ar(a[r][j]);
        for (std::size_t v = 0; v < NV; ++v) acc[r][v] = detail::fma(ar, bk[v], acc[r][v]);
      }
    }
    for (std::size_t r = 0; r < MR; ++r) a[r] += row_step;
  }
  tile_store_scaled(acc, out, ldc, n_valid, 1.0f, 0.0f);  // 1 * acc: the sums themselves
}

template <std::size_t NV, std::size_t... R>
constexpr std::array<WindowTileFn, sizeof...(R)> window_tile_row(std::index_sequence<R...>) {
  return {&window_tile<R + 1, NV>...};
}

// The tile for m rows (1 .. tile_rows) and a panel of nv vectors (1 or tile_vectors).
WindowTileFn window_tile_fn(std::size_t nv, std::size_t m) {
  static constexpr auto one = window_tile_row<1>(std::make_index_sequence<tile_rows>{});
  static constexpr auto full = window_tile_row<tile_vectors>(std::make_index_sequence<tile_rows>{});
  return nv == 1 ? one[m - 1] : full[m - 1];
}

}  // namespace

void pack_conv_weights(float* packed, const float* weight, const Conv2dPlan& pl) {
  const std::size_t Cout = pl.s.out_channels, Cin = pl.s.in_channels, k = pl.s.kernel;
  const std::size_t panels = ceil_div(Cout, tile_cols);
  for (std::size_t p = 0; p < panels; ++p) {
    const std::size_t width = p + 1 == panels ? pl.packed_cols - p * tile_cols : tile_cols;
    float* panel = packed + p * tile_cols * pl.K;
    for (std::size_t u = 0; u < k; ++u) {
      for (std::size_t v = 0; v < k; ++v) {
        for (std::size_t c = 0; c < Cin; ++c) {
          float* row = panel + ((u * k + v) * Cin + c) * width;
          for (std::size_t j = 0; j < width; ++j) {
            const std::size_t o = p * tile_cols + j;
            row[j] = o < Cout ? weight[((o * Cin + c) * k + u) * k + v] : 0.0f;
          }
        }
      }
    }
  }
}

void direct_window_products(float* yt, const float* xp, const float* packed, const Conv2dPlan& pl,
                            std::size_t n0, std::size_t count, const Executor& executor) {
  const std::size_t Cout = pl.s.out_channels, Cin = pl.s.in_channels, k = pl.s.kernel;
  const std::size_t panels = ceil_div(Cout, tile_cols), tiles_m = ceil_div(count, tile_rows);
  const std::size_t run = k * Cin, row_step = pl.Wp * Cin;
  const TaskGrid grid =
      plan_tasks(tiles_m, panels, executor.concurrency(), static_cast<double>(count) * Cout * pl.K);
  run_tasks(executor, grid.count(), [&](std::size_t t) {
    std::size_t tm0, tm1, p0, p1;
    chunk_range(tiles_m, grid.chunks_m, t / grid.chunks_n, tm0, tm1);
    chunk_range(panels, grid.chunks_n, t % grid.chunks_n, p0, p1);
    for (std::size_t tm = tm0; tm < tm1; ++tm) {
      const std::size_t i = tm * tile_rows, m = std::min(tile_rows, count - i);
      const float* starts[tile_rows];
      for (std::size_t r = 0; r < m; ++r) starts[r] = window_start(xp, pl, n0 + i + r);
      for (std::size_t p = p0; p < p1; ++p) {
        const std::size_t j0 = p * tile_cols;
        const std::size_t width = p + 1 == panels ? pl.packed_cols - j0 : tile_cols;
        window_tile_fn(width / lanes, m)(starts, packed + j0 * pl.K, k, run, row_step,
                                         yt + i * Cout + j0, Cout, std::min(tile_cols, Cout - j0));
      }
    }
  });
}

}  // namespace diffuse::kernels::detail
