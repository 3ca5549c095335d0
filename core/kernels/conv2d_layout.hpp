#pragma once
// Internal to core/kernels: how the convolution cuts its work and lays out its scratch, and the
// layout changes around its products (conv2d_layout.cpp).
//
// Pixel rows. Inside a call the input is held as pixel rows with a zero border, NHWC:
//   xp (images, Hp, Wp, Cin), Hp = H + 2p, Wp = W + 2p, pixel (y, x) of image b at row
//   (b Hp + y + p) Wp + x + p,
// so that the k x k window of output pixel (i, j) is k runs of k Cin contiguous floats, one per
// window row u, starting at row (b Hp + s i + u) Wp + s j. Output pixels are numbered
// n = b Ho Wo + i Wo + j; a block of them, `rows` pixels, is the M dimension of the products.
//
// Work is cut by shape alone (never by thread count): chunks of `images` images (their bordered
// pixel rows, all of the chunk's input, stay in L2), and within a chunk blocks of `rows` output
// pixels, sized so that the unrolled block (rows, K) is at most column_budget floats.
#include <cstddef>

#include "base/executor.hpp"
#include "kernels/conv2d.hpp"

namespace diffuse::kernels::detail {

// The unrolled block of one product: 128 Ki floats (512 KiB), half the L2 of the machines measured.
inline constexpr std::size_t conv_column_budget = 128 * 1024;

struct Conv2dPlan {
  Conv2dShape s;
  std::size_t Ho = 0, Wo = 0, HWo = 0;  // output size
  std::size_t HW = 0;                   // input pixels per image
  std::size_t Hp = 0, Wp = 0;           // bordered input size
  std::size_t taps = 0;                 // k k
  std::size_t K = 0;                    // k k Cin: one unrolled row, in the order (u, v, c)
  bool pointwise = false;               // k = 1, s = 1, p = 0: pixel rows are already unrolled
  std::size_t images = 0;               // images per chunk
  std::size_t rows = 0;                 // output pixels per block (<= images HWo)
  std::size_t packed_cols = 0;          // Cout rounded up to whole panels (direct path)

  // Scratch segments, offsets in floats (each a multiple of 16 floats: 64-byte steps).
  std::size_t weights = 0;      // wr (Cout, K) or, direct path, packed W^T (K, packed_cols)
  std::size_t weight_grad = 0;  // dwr (Cout, K)
  std::size_t padded = 0;       // xp (images, Hp, Wp, Cin)
  std::size_t padded_grad = 0;  // dxp (images, Hp, Wp, Cin)
  std::size_t columns = 0;      // cols (rows, K), unless pointwise
  std::size_t column_grad = 0;  // dcols (rows, K), unless pointwise
  std::size_t pixel_rows = 0;   // yt or dyt (rows, Cout)
  std::size_t total = 0;
};

Conv2dPlan conv2d_plan(const Conv2dShape& shape);

// xp (images, Hp, Wp, C) = x (images, C, H, W) in pixel rows with a zero border of `pad` pixels.
// Tasks over images.
void planes_to_bordered_rows(float* xp, const float* x, std::size_t images, std::size_t C,
                             std::size_t H, std::size_t W, std::size_t pad,
                             const Executor& executor);

// x (images, C, H, W) = the interior of xp (images, Hp, Wp, C). Tasks over images.
void bordered_rows_to_planes(float* x, const float* xp, std::size_t images, std::size_t C,
                             std::size_t H, std::size_t W, std::size_t pad,
                             const Executor& executor);

// rows (count, C) = pixels [n0, n0 + count) of planes (B, C, HW), n = b HW + q.
void planes_to_rows(float* rows, const float* planes, std::size_t n0, std::size_t count,
                    std::size_t C, std::size_t HW);

// Pixels [n0, n0 + count) of planes (B, C, HW) = rows (count, C) + bias (C,) (bias may be null).
void rows_to_planes(float* planes, const float* rows, const float* bias, std::size_t n0,
                    std::size_t count, std::size_t C, std::size_t HW);

// cols (count, K): the windows of output pixels [n0, n0 + count) of the chunk whose bordered rows
// are xp (n counted from the chunk's first image). Tasks over ranges of pixels.
void unroll_windows(float* cols, const float* xp, const Conv2dPlan& plan, std::size_t n0,
                    std::size_t count, const Executor& executor);

// dxp += the windows dcols (count, K) of output pixels [n0, n0 + count) folded back onto the
// bordered rows (col2im). Each image's pixels are added in increasing n; tasks over images.
void fold_windows(float* dxp, const float* dcols, const Conv2dPlan& plan, std::size_t n0,
                  std::size_t count, const Executor& executor);

// The bordered row of output pixel n's window (its first tap), n counted from the chunk's first
// image.
inline const float* window_start(const float* xp, const Conv2dPlan& pl, std::size_t n) {
  const std::size_t b = n / pl.HWo, q = n % pl.HWo;
  const std::size_t i = q / pl.Wo, j = q % pl.Wo;
  return xp + ((b * pl.Hp + pl.s.stride * i) * pl.Wp + pl.s.stride * j) * pl.s.in_channels;
}

// The direct path (conv2d_direct.cpp).
// packed (K, packed_cols): W^T in the order (u, v, c), as panels of gemm's tile width.
void pack_conv_weights(float* packed, const float* weight, const Conv2dPlan& plan);
// yt (count, Cout) = the windows of output pixels [n0, n0 + count) of the chunk times W^T,
// reading the bordered rows xp in place. Tasks over tiles of pixels and panels of channels.
void direct_window_products(float* yt, const float* xp, const float* packed, const Conv2dPlan& plan,
                            std::size_t n0, std::size_t count, const Executor& executor);

}  // namespace diffuse::kernels::detail
