#include "nn/resnet_block.hpp"

#include <algorithm>

#include "nn/channel_add.hpp"
#include "nn/conv2d.hpp"
#include "nn/group_norm.hpp"
#include "nn/linear.hpp"

namespace diffuse {
namespace {

kernels::GroupNormShape norm_shape(const ResnetShape& s, std::size_t channels) {
  return {s.batch, channels, s.groups, s.pixels(), s.eps};
}

Conv2dShape conv1_shape(const ResnetShape& s) {
  return conv2d_3x3(s.batch, s.in_channels, s.out_channels, s.size, s.size);
}
Conv2dShape conv2_shape(const ResnetShape& s) {
  return conv2d_3x3(s.batch, s.out_channels, s.out_channels, s.size, s.size);
}
Conv2dShape shortcut_shape(const ResnetShape& s) {
  return conv2d_1x1(s.batch, s.in_channels, s.out_channels, s.size, s.size);
}

// The scratch's parts: the convolutions' own scratch first, then intermediate tensors.
struct Scratch {
  float* conv;      // conv2d_scratch_floats of the largest of the three convolutions
  float* a;         // (B, max(Cin, Cout), P): the shortcut's output, d_a2 and d_a1
  float* b;         // (B, max(Cin, Cout), P): d_h1, the shortcut's dx
  float* d_temb;    // (B, Cout)
  float* d_emb;     // (B, E)
};

std::size_t conv_scratch(const ResnetShape& s) {
  std::size_t n = std::max(conv2d_scratch_floats(conv1_shape(s)), conv2d_scratch_floats(conv2_shape(s)));
  if (s.shortcut()) n = std::max(n, conv2d_scratch_floats(shortcut_shape(s)));
  return n;
}

Scratch carve(float* scratch, const ResnetShape& s) {
  const std::size_t planes = s.batch * std::max(s.in_channels, s.out_channels) * s.pixels();
  Scratch out;
  out.conv = scratch;
  out.a = out.conv + conv_scratch(s);
  out.b = out.a + planes;
  out.d_temb = out.b + planes;
  out.d_emb = out.d_temb + s.batch * s.out_channels;
  return out;
}

}  // namespace

std::size_t resnet_scratch_floats(const ResnetShape& s) {
  const std::size_t planes = s.batch * std::max(s.in_channels, s.out_channels) * s.pixels();
  return conv_scratch(s) + 2 * planes + s.batch * s.out_channels + s.batch * s.embed;
}

void resnet_forward(float* y, const ResnetCache& c, const float* x, const float* emb_act,
                    const ResnetParams& p, const ResnetShape& s, float* scratch,
                    const Executor& executor) {
  const Scratch t = carve(scratch, s);
  const std::size_t B = s.batch, Cout = s.out_channels, P = s.pixels();
  group_norm_silu_forward(c.a1, c.dact1, c.mean1, c.rstd1, x, p.norm1_weight, p.norm1_bias,
                          norm_shape(s, s.in_channels), executor);
  conv2d_forward(c.h1, c.a1, p.conv1_weight, p.conv1_bias, conv1_shape(s), t.conv, executor);
  linear_forward(c.temb, nullptr, emb_act, p.temb_weight, p.temb_bias, B, s.embed, Cout,
                 Activation::identity, executor);
  channel_add_forward(c.h1, c.temb, B, Cout, P);
  group_norm_silu_forward(c.a2, c.dact2, c.mean2, c.rstd2, c.h1, p.norm2_weight, p.norm2_bias,
                          norm_shape(s, Cout), executor);
  conv2d_forward(y, c.a2, p.conv2_weight, p.conv2_bias, conv2_shape(s), t.conv, executor);
  // y = shortcut(x) + conv2(a2) (diffusers: (input_tensor + hidden_states) / 1)
  const float* skip = x;
  if (s.shortcut()) {
    conv2d_forward(t.a, x, p.shortcut_weight, p.shortcut_bias, shortcut_shape(s), t.conv, executor);
    skip = t.a;
  }
  for (std::size_t i = 0; i < B * Cout * P; ++i) y[i] = skip[i] + y[i];
}

void resnet_backward(float* dx, float* d_emb_act, const ResnetGrads& g, const ResnetCache& c,
                     const float* dy, const float* x, const float* emb_act,
                     const ResnetParams& p, const ResnetShape& s, float* scratch,
                     const Executor& executor) {
  const Scratch t = carve(scratch, s);
  const std::size_t B = s.batch, Cin = s.in_channels, Cout = s.out_channels, P = s.pixels();
  // y = skip + conv2(a2): dL/dconv2 = dy.
  float* d_a2 = t.a;  // (B, Cout, P)
  conv2d_backward(d_a2, g.conv2_weight, g.conv2_bias, dy, c.a2, p.conv2_weight, conv2_shape(s),
                  t.conv, executor);
  float* d_h1 = t.b;  // (B, Cout, P)
  group_norm_silu_backward(d_h1, g.norm2_weight, g.norm2_bias, c.dact2, c.mean2, c.rstd2, d_a2,
                           c.h1, p.norm2_weight, norm_shape(s, Cout), executor);
  // h1 = conv1(a1) + temb: temb's gradient sums d_h1 over the pixels, then time_emb_proj.
  std::fill(t.d_temb, t.d_temb + B * Cout, 0.0f);
  channel_add_backward(t.d_temb, d_h1, B, Cout, P);
  linear_backward(t.d_emb, g.temb_weight, g.temb_bias, nullptr, nullptr, t.d_temb, emb_act,
                  p.temb_weight, B, s.embed, Cout, Activation::identity, executor);
  for (std::size_t i = 0; i < B * s.embed; ++i) d_emb_act[i] += t.d_emb[i];
  float* d_a1 = t.a;  // (B, Cin, P); d_a2 is spent
  conv2d_backward(d_a1, g.conv1_weight, g.conv1_bias, d_h1, c.a1, p.conv1_weight, conv1_shape(s),
                  t.conv, executor);
  group_norm_silu_backward(dx, g.norm1_weight, g.norm1_bias, c.dact1, c.mean1, c.rstd1, d_a1, x,
                           p.norm1_weight, norm_shape(s, Cin), executor);
  // The skip path: dx += shortcut's dx (or dy itself).
  const float* d_skip = dy;
  if (s.shortcut()) {
    conv2d_backward(t.b, g.shortcut_weight, g.shortcut_bias, dy, x, p.shortcut_weight,
                    shortcut_shape(s), t.conv, executor);
    d_skip = t.b;
  }
  for (std::size_t i = 0; i < B * Cin * P; ++i) dx[i] += d_skip[i];
}

}  // namespace diffuse
