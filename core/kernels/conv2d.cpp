// The convolution's two paths around one plan (conv2d_layout.hpp): chunks of images in bordered
// pixel rows, blocks of output pixels, and for each block either unrolled windows times the
// weights by gemm (im2col) or the direct window tiles; the backward by gemm on unrolled windows.
#include "kernels/conv2d.hpp"

#include <algorithm>

#include "base/check.hpp"
#include "kernels/conv2d_layout.hpp"
#include "kernels/gemm.hpp"
#include "kernels/gemm_tile.hpp"
#include "kernels/planes.hpp"

namespace diffuse::kernels {
namespace {

using detail::Conv2dPlan;
using detail::lanes;

Conv2dShape square(std::size_t B, std::size_t Cin, std::size_t Cout, std::size_t H, std::size_t W,
                   std::size_t k, std::size_t s, std::size_t p) {
  Conv2dShape shape;
  shape.batch = B;
  shape.in_channels = Cin;
  shape.out_channels = Cout;
  shape.height = H;
  shape.width = W;
  shape.kernel = k;
  shape.stride = s;
  shape.padding = p;
  return shape;
}

// wr (Cout, K): row o is w(o, :, :, :) in the order (u, v, c) of the unrolled windows.
void reorder_weights(float* wr, const float* weight, const Conv2dPlan& pl) {
  const std::size_t Cin = pl.s.in_channels, taps = pl.taps;
  for (std::size_t o = 0; o < pl.s.out_channels; ++o) {
    for (std::size_t c = 0; c < Cin; ++c) {
      for (std::size_t t = 0; t < taps; ++t)
        wr[o * pl.K + t * Cin + c] = weight[(o * Cin + c) * taps + t];
    }
  }
}

// dweight (Cout, Cin, k, k) += dwr (Cout, K) read back in the order (u, v, c).
void add_reordered_weights(float* dweight, const float* dwr, const Conv2dPlan& pl) {
  const std::size_t Cin = pl.s.in_channels, taps = pl.taps;
  for (std::size_t o = 0; o < pl.s.out_channels; ++o) {
    for (std::size_t c = 0; c < Cin; ++c) {
      for (std::size_t t = 0; t < taps; ++t)
        dweight[(o * Cin + c) * taps + t] += dwr[o * pl.K + t * Cin + c];
    }
  }
}

// dbias(o) += sum over b of (the sum of plane (b, o) of dy), images in increasing order.
void bias_gradient(float* dbias, const float* dy, const Conv2dPlan& pl) {
  const std::size_t Cout = pl.s.out_channels;
  for (std::size_t b = 0; b < pl.s.batch; ++b)
    plane_sums_accumulate(dbias, dy + b * Cout * pl.HWo, Cout, pl.HWo);
}

// With stride 1 the input gradient is itself a convolution: of dy with the weights flipped in
// both spatial directions and with input and output channels swapped,
//   dx(b, c, y, x) = sum_{o, u, v} w~(c, o, u, v) dy(b, o, y + u - p~, x + v - p~),
//   w~(c, o, u, v) = w(o, c, k-1-u, k-1-v),  p~ = k - 1 - p,
// so the direct path can compute it with the forward's tile instead of a product and a fold.
bool transposes_directly(const Conv2dShape& s) {
  return s.stride == 1 && s.padding + 1 <= s.kernel;
}

Conv2dShape transposed_shape(const Conv2dShape& s) {
  Conv2dShape t = s;
  t.in_channels = s.out_channels;
  t.out_channels = s.in_channels;
  t.height = s.out_height();
  t.width = s.out_width();
  t.padding = s.kernel - 1 - s.padding;
  return t;
}

std::size_t flipped_weights_floats(const Conv2dShape& s) {
  return (s.weight_size() + 15) / 16 * 16;
}

// wf (Cin, Cout, k, k) = w~ above.
void flip_weights(float* wf, const float* weight, const Conv2dShape& s) {
  const std::size_t Cin = s.in_channels, Cout = s.out_channels, k = s.kernel, taps = k * k;
  for (std::size_t c = 0; c < Cin; ++c) {
    for (std::size_t o = 0; o < Cout; ++o) {
      for (std::size_t t = 0; t < taps; ++t)
        wf[(c * Cout + o) * taps + t] = weight[(o * Cin + c) * taps + (taps - 1 - t)];
    }
  }
}

// The im2col backward: dweight (and dbias) always, dx when not null (product and fold).
void backward_by_columns(float* dx, float* dweight, float* dbias, const float* dy, const float* x,
                         const float* weight, const Conv2dShape& s, float* scratch,
                         const Executor& executor);

}  // namespace

Conv2dShape conv2d_3x3(std::size_t B, std::size_t Cin, std::size_t Cout, std::size_t H,
                       std::size_t W) {
  return square(B, Cin, Cout, H, W, 3, 1, 1);
}

Conv2dShape conv2d_3x3_stride2(std::size_t B, std::size_t Cin, std::size_t Cout, std::size_t H,
                               std::size_t W) {
  return square(B, Cin, Cout, H, W, 3, 2, 1);
}

Conv2dShape conv2d_1x1(std::size_t B, std::size_t Cin, std::size_t Cout, std::size_t H,
                       std::size_t W) {
  return square(B, Cin, Cout, H, W, 1, 1, 0);
}

bool conv2d_shape_valid(const Conv2dShape& s) {
  const bool positive = s.batch > 0 && s.in_channels > 0 && s.out_channels > 0 && s.height > 0 &&
                        s.width > 0 && s.kernel > 0 && s.stride > 0;
  return positive && s.height + 2 * s.padding >= s.kernel && s.width + 2 * s.padding >= s.kernel;
}

Conv2dPath conv2d_path(const Conv2dShape& s, Conv2dPass pass) {
  if (s.kernel == 1) return Conv2dPath::im2col;
  if (pass == Conv2dPass::forward && s.out_channels < lanes) return Conv2dPath::im2col;
  return Conv2dPath::direct;
}

std::size_t conv2d_scratch_floats(const Conv2dShape& shape) {
  std::size_t floats = detail::conv2d_plan(shape).total;
  if (transposes_directly(shape)) {
    const Conv2dShape t = transposed_shape(shape);
    floats = std::max(floats, flipped_weights_floats(shape) + detail::conv2d_plan(t).total);
  }
  return floats;
}

void conv2d_forward(float* y, const float* x, const float* weight, const float* bias,
                    const Conv2dShape& s, float* scratch, const Executor& executor,
                    Conv2dPath path) {
  DIFFUSE_ASSERT(conv2d_shape_valid(s));
  const Conv2dPlan pl = detail::conv2d_plan(s);
  if (path == Conv2dPath::automatic) path = conv2d_path(s, Conv2dPass::forward);
  const bool direct = path == Conv2dPath::direct;
  const std::size_t Cin = s.in_channels, Cout = s.out_channels;
  float* wts = scratch + pl.weights;
  float* xp = scratch + pl.padded;
  float* cols = scratch + pl.columns;
  float* yt = scratch + pl.pixel_rows;
  if (direct) {
    detail::pack_conv_weights(wts, weight, pl);
  } else {
    reorder_weights(wts, weight, pl);
  }
  for (std::size_t b0 = 0; b0 < s.batch; b0 += pl.images) {
    const std::size_t images = std::min(pl.images, s.batch - b0);
    detail::planes_to_bordered_rows(xp, x + b0 * Cin * pl.HW, images, Cin, s.height, s.width,
                                    s.padding, executor);
    const std::size_t chunk = images * pl.HWo;
    for (std::size_t n = 0; n < chunk; n += pl.rows) {
      const std::size_t count = std::min(pl.rows, chunk - n);
      if (direct) {
        detail::direct_window_products(yt, xp, wts, pl, n, count, executor);
      } else {
        const float* a = xp + n * Cin;  // pointwise: the pixel rows are the windows
        if (!pl.pointwise) {
          detail::unroll_windows(cols, xp, pl, n, count, executor);
          a = cols;
        }
        gemm(Transpose::no, Transpose::yes, count, Cout, pl.K, 1.0f, a, pl.K, wts, pl.K, 0.0f, yt,
             Cout, executor);
      }
      detail::rows_to_planes(y, yt, bias, b0 * pl.HWo + n, count, Cout, pl.HWo);
    }
  }
}

void conv2d_backward(float* dx, float* dweight, float* dbias, const float* dy, const float* x,
                     const float* weight, const Conv2dShape& s, float* scratch,
                     const Executor& executor, Conv2dPath path) {
  DIFFUSE_ASSERT(conv2d_shape_valid(s));
  if (path == Conv2dPath::automatic) path = conv2d_path(s, Conv2dPass::backward);
  if (path != Conv2dPath::direct || dx == nullptr || !transposes_directly(s)) {
    backward_by_columns(dx, dweight, dbias, dy, x, weight, s, scratch, executor);
    return;
  }
  backward_by_columns(nullptr, dweight, dbias, dy, x, weight, s, scratch, executor);
  // The scratch is free again: the flipped weights, then the transposed forward's own plan.
  flip_weights(scratch, weight, s);
  conv2d_forward(dx, dy, scratch, nullptr, transposed_shape(s), scratch + flipped_weights_floats(s),
                 executor, Conv2dPath::direct);
}

namespace {

void backward_by_columns(float* dx, float* dweight, float* dbias, const float* dy, const float* x,
                         const float* weight, const Conv2dShape& s, float* scratch,
                         const Executor& executor) {
  const Conv2dPlan pl = detail::conv2d_plan(s);
  const std::size_t Cin = s.in_channels, Cout = s.out_channels;
  float* wr = scratch + pl.weights;
  float* dwr = scratch + pl.weight_grad;
  float* xp = scratch + pl.padded;
  float* dxp = scratch + pl.padded_grad;
  float* cols = scratch + pl.columns;
  float* dcols = scratch + pl.column_grad;
  float* dyt = scratch + pl.pixel_rows;
  if (dbias != nullptr) bias_gradient(dbias, dy, pl);
  if (dx != nullptr) reorder_weights(wr, weight, pl);
  std::fill(dwr, dwr + Cout * pl.K, 0.0f);
  for (std::size_t b0 = 0; b0 < s.batch; b0 += pl.images) {
    const std::size_t images = std::min(pl.images, s.batch - b0);
    detail::planes_to_bordered_rows(xp, x + b0 * Cin * pl.HW, images, Cin, s.height, s.width,
                                    s.padding, executor);
    if (dx != nullptr && !pl.pointwise) std::fill(dxp, dxp + images * pl.Hp * pl.Wp * Cin, 0.0f);
    const std::size_t chunk = images * pl.HWo;
    for (std::size_t n = 0; n < chunk; n += pl.rows) {
      const std::size_t count = std::min(pl.rows, chunk - n);
      detail::planes_to_rows(dyt, dy, b0 * pl.HWo + n, count, Cout, pl.HWo);
      const float* a = xp + n * Cin;
      if (!pl.pointwise) {
        detail::unroll_windows(cols, xp, pl, n, count, executor);
        a = cols;
      }
      // dwr (Cout, K) += dyt^T (Cout, count) cols (count, K)
      gemm(Transpose::yes, Transpose::no, Cout, pl.K, count, 1.0f, dyt, Cout, a, pl.K, 1.0f, dwr,
           pl.K, executor);
      if (dx == nullptr) continue;
      // dcols (count, K) = dyt (count, Cout) wr (Cout, K); pointwise: straight into the rows
      float* dcol_block = pl.pointwise ? dxp + n * Cin : dcols;
      gemm(Transpose::no, Transpose::no, count, pl.K, Cout, 1.0f, dyt, Cout, wr, pl.K, 0.0f,
           dcol_block, pl.K, executor);
      if (!pl.pointwise) detail::fold_windows(dxp, dcols, pl, n, count, executor);
    }
    if (dx != nullptr) {
      detail::bordered_rows_to_planes(dx + b0 * Cin * pl.HW, dxp, images, Cin, s.height, s.width,
                                      s.padding, executor);
    }
  }
  add_reordered_weights(dweight, dwr, pl);
}

}  // namespace

}  // namespace diffuse::kernels
