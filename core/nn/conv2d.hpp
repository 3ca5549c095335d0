#pragma once
// A 2-D convolution layer: torch.nn.Conv2d(Cin, Cout, k, stride, padding) with bias, NCHW float32,
// PyTorch's parameter layout weight (Cout, Cin, k, k), bias (Cout,). The layer is the kernel
// itself (kernels/conv2d.hpp: the math, the two implementations and the measured rule between
// them), brought into namespace diffuse so that networks call it like every other layer:
//
//   conv2d_forward(y, x, w, b, shape, scratch, executor)
//       y (B, Cout, Ho, Wo) = conv(x (B, Cin, H, W), w) + b        (b may be nullptr)
//   conv2d_backward(dx, dw, db, dy, x, w, shape, scratch, executor)
//       dx (B, Cin, H, W) overwritten (nullptr: skipped, conv_in's input is data); dw += ; db +=
//
// The path argument is left at automatic (conv2d_path's rule). diffusers' UNet2DModel uses three
// shapes: conv2d_3x3 (conv_in, conv_out, every ResnetBlock2D's conv1 and conv2, the Upsample2D
// conv), conv2d_3x3_stride2 (the Downsample2D conv) and conv2d_1x1 (a ResnetBlock2D's
// conv_shortcut when the channel count changes).
//
// The layer keeps no cache: backward reads the forward's input x, which the caller keeps. Both
// calls work in a caller-owned scratch of conv2d_scratch_floats(shape) floats (a network
// workspace sizes one buffer for its largest convolution) and allocate nothing.
#include "kernels/conv2d.hpp"

namespace diffuse {

using kernels::conv2d_1x1;
using kernels::conv2d_3x3;
using kernels::conv2d_3x3_stride2;
using kernels::conv2d_backward;
using kernels::conv2d_forward;
using kernels::conv2d_scratch_floats;
using kernels::Conv2dShape;

}  // namespace diffuse
