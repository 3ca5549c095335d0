#pragma once
// Two-dimensional convolution, NCHW float32, with PyTorch's nn.Conv2d semantics (square kernel,
// zero padding, dilation 1, one group) and its parameter layout: weight (Cout, Cin, k, k), bias
// (Cout,). With Ho = (H + 2p - k) / s + 1 and Wo likewise,
//
//   y(b, o, i, j) = bias(o) + sum_{c, u, v} w(o, c, u, v) x(b, c, s i + u - p, s j + v - p)
//
// x read as 0 outside the image. Backward, given dy = dL/dy (B, Cout, Ho, Wo):
//   dx(b, c, y, x) = sum over (o, u, v, i, j) with s i + u - p = y, s j + v - p = x of
//                    w(o, c, u, v) dy(b, o, i, j)                            overwritten
//   dw(o, c, u, v) += sum_{b, i, j} dy(b, o, i, j) x(b, c, s i + u - p, s j + v - p)
//   dbias(o)       += sum_{b, i, j} dy(b, o, i, j)
// (Dumoulin & Visin, "A guide to convolution arithmetic for deep learning", 2016, for the
// shapes; the gradients are the adjoints of the sum above.)
//
// Two ways to the same sums (the rule that picks one and its measurements: conv2d_path below and
// docs/benchmarks.md, "Image layers"):
//   im2col  the input is copied into pixel rows with a zero border (NHWC, one chunk of images at
//           a time), unrolled into a row of k k Cin values per output pixel, and multiplied by the
//           weights with gemm; the output rows are transposed back into planes, bias added.
//           Backward: dW += dY^T cols and dcols = dY W by gemm, dcols folded back (col2im).
//   direct  the forward's product reads the bordered pixel rows in place (no unrolled copy): a
//           register tile of pixels x output channels, like gemm's micro-kernel, with the k rows
//           of the window as k contiguous runs of k Cin values. Backward: dW as im2col; with
//           stride 1, dx as the direct forward of dy with the flipped, transposed weights (a
//           convolution itself), instead of a product and a fold.
// Every output is a float32 sum in the order (u, v, c) (gemm adds blocks of 256 terms), so the
// paths agree to rounding; neither depends on the executor's thread count (tasks split pixels and
// channels, never a sum). Both work in a caller-owned scratch buffer of
// conv2d_scratch_floats(shape) floats and allocate nothing themselves (gemm keeps its own
// per-thread packing buffers).
#include <cstddef>

#include "base/executor.hpp"

namespace diffuse::kernels {

struct Conv2dShape {
  std::size_t batch = 1;         // B
  std::size_t in_channels = 1;   // Cin
  std::size_t out_channels = 1;  // Cout
  std::size_t height = 1;        // H of the input
  std::size_t width = 1;         // W of the input
  std::size_t kernel = 3;        // k: the window is k x k
  std::size_t stride = 1;        // s
  std::size_t padding = 1;       // p: zeros on every side

  std::size_t out_height() const { return (height + 2 * padding - kernel) / stride + 1; }  // Ho
  std::size_t out_width() const { return (width + 2 * padding - kernel) / stride + 1; }    // Wo
  std::size_t input_size() const { return batch * in_channels * height * width; }
  std::size_t output_size() const { return batch * out_channels * out_height() * out_width(); }
  std::size_t weight_size() const { return out_channels * in_channels * kernel * kernel; }
};

// The three convolutions of diffusers' UNet2DModel:
//   3x3, padding 1, stride 1: conv_in, ResnetBlock2D conv1/conv2, Upsample2D conv, conv_out
//   3x3, padding 1, stride 2: Downsample2D conv (H, W even: Ho = H / 2)
//   1x1, padding 0, stride 1: ResnetBlock2D conv_shortcut (channel change)
Conv2dShape conv2d_3x3(std::size_t B, std::size_t Cin, std::size_t Cout, std::size_t H,
                       std::size_t W);
Conv2dShape conv2d_3x3_stride2(std::size_t B, std::size_t Cin, std::size_t Cout, std::size_t H,
                               std::size_t W);
Conv2dShape conv2d_1x1(std::size_t B, std::size_t Cin, std::size_t Cout, std::size_t H,
                       std::size_t W);

// Every size >= 1 and the window fits the padded input (H + 2p >= k, W + 2p >= k).
bool conv2d_shape_valid(const Conv2dShape& shape);

enum class Conv2dPath { automatic, im2col, direct };
enum class Conv2dPass { forward, backward };

// The path `automatic` takes for this shape and pass: a rule on the shape alone, measured on
// every convolution of the two U-Nets (bench/bench_conv.cpp; numbers in docs/benchmarks.md,
// "Image layers"):
//   * 3x3 (stride 1 or 2): direct, forward and backward (AVX-512: 0.73 - 0.89 of im2col's time
//     forward, 0.87 - 0.96 backward with stride 1; SSE4.2, the width of WebAssembly SIMD128, on a
//     quiet host: 0.75 - 0.86 forward, 0.85 - 0.95 backward);
//   * the forward of fewer output channels than a vector has lanes (conv_out, Cout = 1): im2col,
//     whose dot products take half the time of a tile computing a vector of channels for one;
//   * 1x1: im2col, whose gemm on the pixel rows (already the product's operand) beats the tile
//     with AVX-512 by 0 - 8% forward and 5 - 15% backward; with SSE4.2 the two were within the
//     host's noise across four runs.
Conv2dPath conv2d_path(const Conv2dShape& shape, Conv2dPass pass);

// Floats of scratch that conv2d_forward and conv2d_backward need for this shape (either path).
std::size_t conv2d_scratch_floats(const Conv2dShape& shape);

// y (B, Cout, Ho, Wo) = conv(x (B, Cin, H, W), weight (Cout, Cin, k, k)) + bias (Cout,); bias may
// be nullptr (no bias). scratch: conv2d_scratch_floats(shape) floats, any alignment; y must not
// overlap x or scratch.
void conv2d_forward(float* y, const float* x, const float* weight, const float* bias,
                    const Conv2dShape& shape, float* scratch,
                    const Executor& executor = serial_executor(),
                    Conv2dPath path = Conv2dPath::automatic);

// dx (B, Cin, H, W) overwritten (skipped when nullptr: the first layer's input is data);
// dweight (Cout, Cin, k, k) += ; dbias (Cout,) += (skipped when nullptr). dy (B, Cout, Ho, Wo);
// x the forward's input; scratch as for the forward.
void conv2d_backward(float* dx, float* dweight, float* dbias, const float* dy, const float* x,
                     const float* weight, const Conv2dShape& shape, float* scratch,
                     const Executor& executor = serial_executor(),
                     Conv2dPath path = Conv2dPath::automatic);

// The scalar twins: the sums above as direct loops, accumulated in double and rounded once
// (dweight and dbias: the double sum plus their prior value, rounded once). No scratch, no
// executor.
void conv2d_forward_ref(float* y, const float* x, const float* weight, const float* bias,
                        const Conv2dShape& shape);
void conv2d_backward_ref(float* dx, float* dweight, float* dbias, const float* dy, const float* x,
                         const float* weight, const Conv2dShape& shape);

}  // namespace diffuse::kernels
