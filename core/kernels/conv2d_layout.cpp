// The convolution's plan and the layout changes around its products: planes to (bordered) pixel
// rows and back through in-register lanes x lanes transposes, window unrolling and folding.
// Every function here is a copy or, for fold_windows, a sum in a fixed order.
#include "kernels/conv2d_layout.hpp"

#include <algorithm>
#include <cstring>

#include "kernels/gemm_pack.hpp"  // run_tasks, chunk_range, ceil_div
#include "kernels/transpose_block.hpp"

namespace diffuse::kernels::detail {
namespace {

std::size_t round16(std::size_t n) {
  return (n + 15) / 16 * 16;
}

// Pixel q < n of planes (C planes, plane stride ps, pixel q at planes + c ps + q) is copied to the
// row row_at(q) (C floats). Blocks of lanes pixels x lanes channels go through registers.
template <class RowAt>
void gather_rows(const float* planes, std::size_t ps, std::size_t C, std::size_t n,
                 const RowAt& row_at) {
  const std::size_t c_vec = C - C % lanes;
  std::size_t q0 = 0;
  for (; q0 + lanes <= n; q0 += lanes) {
    float* r[lanes];
    for (std::size_t k = 0; k < lanes; ++k) r[k] = row_at(q0 + k);
    for (std::size_t c0 = 0; c0 < c_vec; c0 += lanes) {
      Batch v[lanes];
      load_transposed(planes + c0 * ps + q0, ps, v);
      for (std::size_t k = 0; k < lanes; ++k) v[k].store_unaligned(r[k] + c0);
    }
    for (std::size_t c = c_vec; c < C; ++c) {
      for (std::size_t k = 0; k < lanes; ++k) r[k][c] = planes[c * ps + q0 + k];
    }
  }
  for (; q0 < n; ++q0) {
    float* r = row_at(q0);
    for (std::size_t c = 0; c < C; ++c) r[c] = planes[c * ps + q0];
  }
}

// The inverse: planes pixel q = row_at(q) (+ bias(c) when bias is not null).
template <class RowAt>
void scatter_rows(float* planes, std::size_t ps, std::size_t C, std::size_t n, const RowAt& row_at,
                  const float* bias) {
  const std::size_t c_vec = C - C % lanes;
  std::size_t q0 = 0;
  for (; q0 + lanes <= n; q0 += lanes) {
    const float* r[lanes];
    for (std::size_t k = 0; k < lanes; ++k) r[k] = row_at(q0 + k);
    for (std::size_t c0 = 0; c0 < c_vec; c0 += lanes) {
      Batch v[lanes];
      for (std::size_t i = 0; i < lanes; ++i) v[i] = Batch::load_unaligned(r[i] + c0);
      transpose_stage<lanes / 2>(v);
      for (std::size_t k = 0; k < lanes; ++k) {
        const Batch out = bias == nullptr ? v[k] : v[k] + Batch(bias[c0 + k]);
        out.store_unaligned(planes + (c0 + k) * ps + q0);
      }
    }
    for (std::size_t c = c_vec; c < C; ++c) {
      for (std::size_t k = 0; k < lanes; ++k) {
        planes[c * ps + q0 + k] = bias == nullptr ? r[k][c] : r[k][c] + bias[c];
      }
    }
  }
  for (; q0 < n; ++q0) {
    const float* r = row_at(q0);
    for (std::size_t c = 0; c < C; ++c)
      planes[c * ps + q0] = bias == nullptr ? r[c] : r[c] + bias[c];
  }
}

// dst[0, n) += src[0, n)
inline void add_into(float* dst, const float* src, std::size_t n) {
  std::size_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    (Batch::load_unaligned(dst + i) + Batch::load_unaligned(src + i)).store_unaligned(dst + i);
  }
  for (; i < n; ++i) dst[i] += src[i];
}

// f(i) for i < items: one task, or, when the executor has threads and the copy (`floats` in all)
// is big enough to share, a few tasks per thread over ranges of items.
template <class F>
void for_items(const Executor& executor, std::size_t items, std::size_t floats, const F& f) {
  std::size_t tasks = 1;
  if (executor.concurrency() > 1 && static_cast<double>(floats) >= min_task_work) {
    tasks = std::min(items, 4 * executor.concurrency());
  }
  run_tasks(executor, tasks, [&](std::size_t t) {
    std::size_t begin, end;
    chunk_range(items, tasks, t, begin, end);
    for (std::size_t i = begin; i < end; ++i) f(i);
  });
}

}  // namespace

Conv2dPlan conv2d_plan(const Conv2dShape& s) {
  Conv2dPlan p;
  p.s = s;
  p.Ho = s.out_height();
  p.Wo = s.out_width();
  p.HWo = p.Ho * p.Wo;
  p.HW = s.height * s.width;
  p.Hp = s.height + 2 * s.padding;
  p.Wp = s.width + 2 * s.padding;
  p.taps = s.kernel * s.kernel;
  p.K = p.taps * s.in_channels;
  p.pointwise = s.kernel == 1 && s.stride == 1 && s.padding == 0;
  const std::size_t row_budget = std::max<std::size_t>(1, conv_column_budget / p.K);
  p.images = std::min(s.batch, std::max<std::size_t>(1, row_budget / p.HWo));
  p.rows = std::min(row_budget, p.images * p.HWo);
  const std::size_t panels = ceil_div(s.out_channels, tile_cols);
  const std::size_t rest = s.out_channels - (panels - 1) * tile_cols;
  p.packed_cols = (panels - 1) * tile_cols + (rest <= lanes ? lanes : tile_cols);

  const std::size_t padded = p.images * p.Hp * p.Wp * s.in_channels;
  const std::size_t columns = p.pointwise ? 0 : p.rows * p.K;
  std::size_t at = 0;
  auto segment = [&](std::size_t floats) {
    const std::size_t offset = at;
    at += round16(floats);
    return offset;
  };
  p.weights = segment(std::max(s.out_channels, p.packed_cols) * p.K);
  p.weight_grad = segment(s.out_channels * p.K);
  p.padded = segment(padded);
  p.padded_grad = segment(padded);
  p.columns = segment(columns);
  p.column_grad = segment(columns);
  p.pixel_rows = segment(p.rows * s.out_channels);
  p.total = at;
  return p;
}

void planes_to_bordered_rows(float* xp, const float* x, std::size_t images, std::size_t C,
                             std::size_t H, std::size_t W, std::size_t pad,
                             const Executor& executor) {
  const std::size_t Hp = H + 2 * pad, Wp = W + 2 * pad, HW = H * W;
  auto image = [&](std::size_t b) {
    float* img = xp + b * Hp * Wp * C;
    if (pad > 0) {
      std::fill(img, img + pad * Wp * C, 0.0f);
      std::fill(img + (pad + H) * Wp * C, img + Hp * Wp * C, 0.0f);
      for (std::size_t y = 0; y < H; ++y) {
        float* row = img + (y + pad) * Wp * C;
        std::fill(row, row + pad * C, 0.0f);
        std::fill(row + (pad + W) * C, row + Wp * C, 0.0f);
      }
    }
    gather_rows(x + b * C * HW, HW, C, HW,
                [&](std::size_t q) { return img + ((q / W + pad) * Wp + pad + q % W) * C; });
  };
  for_items(executor, images, images * HW * C, image);
}

void bordered_rows_to_planes(float* x, const float* xp, std::size_t images, std::size_t C,
                             std::size_t H, std::size_t W, std::size_t pad,
                             const Executor& executor) {
  const std::size_t Hp = H + 2 * pad, Wp = W + 2 * pad, HW = H * W;
  auto image = [&](std::size_t b) {
    const float* img = xp + b * Hp * Wp * C;
    scatter_rows(
        x + b * C * HW, HW, C, HW,
        [&](std::size_t q) { return img + ((q / W + pad) * Wp + pad + q % W) * C; }, nullptr);
  };
  for_items(executor, images, images * HW * C, image);
}

void planes_to_rows(float* rows, const float* planes, std::size_t n0, std::size_t count,
                    std::size_t C, std::size_t HW) {
  for (std::size_t n = n0; n < n0 + count;) {
    const std::size_t b = n / HW, q0 = n % HW, q1 = std::min(HW, q0 + (n0 + count - n));
    float* first = rows + (n - n0) * C;
    gather_rows(planes + b * C * HW + q0, HW, C, q1 - q0,
                [&](std::size_t q) { return first + q * C; });
    n += q1 - q0;
  }
}

void rows_to_planes(float* planes, const float* rows, const float* bias, std::size_t n0,
                    std::size_t count, std::size_t C, std::size_t HW) {
  for (std::size_t n = n0; n < n0 + count;) {
    const std::size_t b = n / HW, q0 = n % HW, q1 = std::min(HW, q0 + (n0 + count - n));
    const float* first = rows + (n - n0) * C;
    scatter_rows(
        planes + b * C * HW + q0, HW, C, q1 - q0, [&](std::size_t q) { return first + q * C; },
        bias);
    n += q1 - q0;
  }
}

void unroll_windows(float* cols, const float* xp, const Conv2dPlan& pl, std::size_t n0,
                    std::size_t count, const Executor& executor) {
  const std::size_t C = pl.s.in_channels, k = pl.s.kernel, run = k * C, row_step = pl.Wp * C;
  for_items(executor, count, count * pl.K, [&](std::size_t n) {
    const float* w = window_start(xp, pl, n0 + n);
    float* out = cols + n * pl.K;
    for (std::size_t u = 0; u < k; ++u)
      std::memcpy(out + u * run, w + u * row_step, run * sizeof(float));
  });
}

void fold_windows(float* dxp, const float* dcols, const Conv2dPlan& pl, std::size_t n0,
                  std::size_t count, const Executor& executor) {
  const std::size_t C = pl.s.in_channels, k = pl.s.kernel, run = k * C, row_step = pl.Wp * C;
  const std::size_t b_first = n0 / pl.HWo, b_last = (n0 + count - 1) / pl.HWo;
  const std::size_t images = b_last - b_first + 1;
  auto image = [&](std::size_t t) {
    const std::size_t b = b_first + t;
    const std::size_t begin = std::max(n0, b * pl.HWo),
                      end = std::min(n0 + count, (b + 1) * pl.HWo);
    for (std::size_t n = begin; n < end; ++n) {
      // window_start returns a pointer into dxp's layout (the same geometry as xp).
      float* w = dxp + (window_start(dxp, pl, n) - dxp);
      const float* in = dcols + (n - n0) * pl.K;
      for (std::size_t u = 0; u < k; ++u) add_into(w + u * row_step, in + u * run, run);
    }
  };
  for_items(executor, images, count * pl.K, image);
}

}  // namespace diffuse::kernels::detail
