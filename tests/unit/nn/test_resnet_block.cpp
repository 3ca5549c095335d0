// diffusers' ResnetBlock2D (nn/resnet_block.hpp) on a tiny block, with and without conv_shortcut:
//  * forward against a float64 composition written here from docs/diffusers-unet.md section 5
//    (GroupNorm -> SiLU -> conv3x3, + time_emb_proj(SiLU(emb)) per channel, GroupNorm -> SiLU ->
//    conv3x3, + x or conv_shortcut(x)), built from the naive loops of reference_image.hpp;
//  * the inference cache (no derivatives kept) gives the same output bit for bit;
//  * backward against central differences of that float64 forward for x, emb_act and all twelve
//    parameters (layer_check.hpp's budget);
//  * backward overwrites dx and accumulates parameter gradients and d_emb_act.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "layer_check.hpp"
#include "nn/resnet_block.hpp"
#include "reference_image.hpp"

using namespace diffuse;
using namespace diffuse::test;

namespace {

// The block's inputs and parameters, in one list so a gradient check can vary any one of them.
enum Part {
  x_in,
  emb_in,
  norm1_w,
  norm1_b,
  conv1_w,
  conv1_b,
  temb_w,
  temb_b,
  norm2_w,
  norm2_b,
  conv2_w,
  conv2_b,
  shortcut_w,
  shortcut_b,
  part_count
};
const char* const part_names[part_count] = {"x",
                                            "emb_act",
                                            "norm1.weight",
                                            "norm1.bias",
                                            "conv1.weight",
                                            "conv1.bias",
                                            "time_emb_proj.weight",
                                            "time_emb_proj.bias",
                                            "norm2.weight",
                                            "norm2.bias",
                                            "conv2.weight",
                                            "conv2.bias",
                                            "conv_shortcut.weight",
                                            "conv_shortcut.bias"};

struct BlockCase {
  ResnetShape s;
  std::vector<std::vector<float>> v;  // [Part]
  std::vector<float> dy;              // (B, Cout, P): the loss is sum(dy * y)

  BlockCase(std::size_t Cin, std::size_t Cout, std::uint64_t seed) {
    s.batch = 2;
    s.in_channels = Cin;
    s.out_channels = Cout;
    s.size = 4;
    s.groups = 2;
    s.embed = 5;
    const std::size_t B = s.batch, P = s.pixels(), E = s.embed;
    Rng rng(seed);
    v.resize(part_count);
    // Weights near 1/sqrt(fan_in) keep every stage O(1); GroupNorm weights away from 0.
    v[x_in] = random_floats(rng, B * Cin * P, 1.0f, 0.3f);
    v[emb_in] = random_floats(rng, B * E, 0.7f);
    v[norm1_w] = random_floats(rng, Cin, 0.3f, 1.0f);
    v[norm1_b] = random_floats(rng, Cin, 0.3f);
    v[conv1_w] = random_floats(rng, Cout * Cin * 9, 0.2f);
    v[conv1_b] = random_floats(rng, Cout, 0.2f);
    v[temb_w] = random_floats(rng, Cout * E, 0.4f);
    v[temb_b] = random_floats(rng, Cout, 0.3f);
    v[norm2_w] = random_floats(rng, Cout, 0.3f, 1.0f);
    v[norm2_b] = random_floats(rng, Cout, 0.3f);
    v[conv2_w] = random_floats(rng, Cout * Cout * 9, 0.2f);
    v[conv2_b] = random_floats(rng, Cout, 0.2f);
    if (s.shortcut()) {
      v[shortcut_w] = random_floats(rng, Cout * Cin, 0.4f);
      v[shortcut_b] = random_floats(rng, Cout, 0.2f);
    }
    dy = random_floats(rng, B * Cout * P);
  }

  std::vector<Vec> as_doubles() const {
    std::vector<Vec> d;
    for (const auto& p : v) d.push_back(as_double(p));
    return d;
  }

  ResnetParams params() const {
    const bool sc = s.shortcut();
    return {v[norm1_w].data(),
            v[norm1_b].data(),
            v[conv1_w].data(),
            v[conv1_b].data(),
            v[temb_w].data(),
            v[temb_b].data(),
            v[norm2_w].data(),
            v[norm2_b].data(),
            v[conv2_w].data(),
            v[conv2_b].data(),
            sc ? v[shortcut_w].data() : nullptr,
            sc ? v[shortcut_b].data() : nullptr};
  }

  // The block in float64 (docs/diffusers-unet.md section 5):
  //   r = conv1(SiLU(norm1(x))) + time_emb_proj(emb_act)[:, :, None, None]
  //   y = (conv_shortcut(x) if Cin != Cout else x) + conv2(SiLU(norm2(r)))
  Vec reference(const std::vector<Vec>& p) const {
    const std::size_t B = s.batch, Cin = s.in_channels, Cout = s.out_channels, P = s.pixels();
    const std::size_t H = s.size, G = s.groups;
    const double eps = s.eps;
    const Vec a1 = ref_silu(ref_group_norm(p[x_in], p[norm1_w], p[norm1_b], B, Cin, G, P, eps));
    Vec r = ref_conv2d(a1, p[conv1_w], p[conv1_b], {B, Cin, Cout, H, H, 3, 1, 1});
    const Vec temb = ref_linear(p[emb_in], p[temb_w], p[temb_b], B, s.embed, Cout);
    r = ref_channel_add(r, temb, B, Cout, P);
    const Vec a2 = ref_silu(ref_group_norm(r, p[norm2_w], p[norm2_b], B, Cout, G, P, eps));
    Vec y = ref_conv2d(a2, p[conv2_w], p[conv2_b], {B, Cout, Cout, H, H, 3, 1, 1});
    const Vec skip = s.shortcut() ? ref_conv2d(p[x_in], p[shortcut_w], p[shortcut_b],
                                               {B, Cin, Cout, H, H, 1, 1, 0})
                                  : p[x_in];
    for (std::size_t i = 0; i < y.size(); ++i) y[i] += skip[i];
    return y;
  }

  // The scale of y's last sums: per element sum |conv2 terms| + |bias| + |skip|, the largest.
  double output_scale(const std::vector<Vec>& p) const {
    const std::size_t B = s.batch, Cout = s.out_channels, H = s.size, P = s.pixels();
    Vec a1 = ref_silu(
        ref_group_norm(p[x_in], p[norm1_w], p[norm1_b], B, s.in_channels, s.groups, P, s.eps));
    Vec r = ref_conv2d(a1, p[conv1_w], p[conv1_b], {B, s.in_channels, Cout, H, H, 3, 1, 1});
    r = ref_channel_add(r, ref_linear(p[emb_in], p[temb_w], p[temb_b], B, s.embed, Cout), B, Cout,
                        P);
    Vec a2 = ref_silu(ref_group_norm(r, p[norm2_w], p[norm2_b], B, Cout, s.groups, P, s.eps));
    for (double& a : a2) a = std::abs(a);
    Vec w = p[conv2_w], b = p[conv2_b];
    for (double& a : w) a = std::abs(a);
    for (double& a : b) a = std::abs(a);
    const Vec terms = ref_conv2d(a2, w, b, {B, Cout, Cout, H, H, 3, 1, 1});
    double most = 0;
    for (double t : terms) most = std::max(most, t);
    double skip = 0;
    for (double t : p[x_in]) skip = std::max(skip, std::abs(t));
    return most + 2 * skip;
  }
};

struct Buffers {
  std::vector<float> a1, dact1, mean1, rstd1, h1, temb, a2, dact2, mean2, rstd2, scratch;
  Buffers(const ResnetShape& s) {
    const std::size_t B = s.batch, P = s.pixels(), G = s.groups;
    for (auto* b : {&a1, &dact1}) b->assign(B * s.in_channels * P, 0.0f);
    for (auto* b : {&h1, &a2, &dact2}) b->assign(B * s.out_channels * P, 0.0f);
    for (auto* b : {&mean1, &rstd1, &mean2, &rstd2}) b->assign(B * G, 0.0f);
    temb.assign(B * s.out_channels, 0.0f);
    scratch.assign(resnet_scratch_floats(s), 0.0f);
  }
  ResnetCache cache(bool train) {
    return {a1.data(),    train ? dact1.data() : nullptr,
            mean1.data(), rstd1.data(),
            h1.data(),    temb.data(),
            a2.data(),    train ? dact2.data() : nullptr,
            mean2.data(), rstd2.data()};
  }
};

struct Shapes {
  std::size_t Cin, Cout;
  const char* name;
};
const Shapes shapes[] = {{4, 4, "Cin = Cout: identity skip"}, {4, 6, "Cin != Cout: conv_shortcut"}};

}  // namespace

// Error budget of the forward, |y - ref| <= k u32 (|ref| + scale): each stage rounds relative to
// the scale of its own sums (Higham's gamma_n: a sum of n terms, n + 2 roundings with the bias and
// the add), and GroupNorm re-normalizes what reaches it, so a stage's relative error passes on with
// a factor of about |gamma| (< 2 here), SiLU being 1-Lipschitz. The stages: norm1 (N1 = (Cin/G) P
// terms, + 12 for the mean, variance, rsqrt, affine and SiLU), conv1 (9 Cin + 2), the projection
// (E + 2), norm2 (N2 + 12), conv2 (9 Cout + 2), the shortcut (Cin + 2). k is twice their sum, with
// scale the largest sum |conv2 terms| + |bias| + 2 |x|; a wrong index or missing term is O(scale).
TEST_CASE("resnet forward matches the float64 block, with and without conv_shortcut") {
  for (const Shapes& sh : shapes) {
    INFO(sh.name);
    const BlockCase c(sh.Cin, sh.Cout, 11 + sh.Cout);
    const ResnetShape& s = c.s;
    REQUIRE(s.shortcut() == (sh.Cin != sh.Cout));
    Buffers train(s), infer(s);
    std::vector<float> y(s.batch * s.out_channels * s.pixels()), y_infer(y.size());
    resnet_forward(y.data(), train.cache(true), c.v[x_in].data(), c.v[emb_in].data(), c.params(), s,
                   train.scratch.data(), serial_executor());
    const std::vector<Vec> p = c.as_doubles();
    const double N1 = double(s.in_channels / s.groups * s.pixels());
    const double N2 = double(s.out_channels / s.groups * s.pixels());
    const double k = 2 * ((N1 + 12) + (9.0 * s.in_channels + 2) + (s.embed + 2.0) + (N2 + 12) +
                          (9.0 * s.out_channels + 2) + (s.in_channels + 2.0));
    expect_close(y, c.reference(p), c.output_scale(p), k);

    // Inference keeps no derivatives; the output is the same computation.
    resnet_forward(y_infer.data(), infer.cache(false), c.v[x_in].data(), c.v[emb_in].data(),
                   c.params(), s, infer.scratch.data(), serial_executor());
    CHECK(y_infer == y);
  }
}

TEST_CASE("resnet backward matches central differences for x, emb_act and every parameter") {
  for (const Shapes& sh : shapes) {
    INFO(sh.name);
    const BlockCase c(sh.Cin, sh.Cout, 21 + sh.Cout);
    const ResnetShape& s = c.s;
    Buffers buf(s);
    std::vector<float> y(s.batch * s.out_channels * s.pixels());
    resnet_forward(y.data(), buf.cache(true), c.v[x_in].data(), c.v[emb_in].data(), c.params(), s,
                   buf.scratch.data(), serial_executor());
    // Gradients in the same list order as the parts; dx overwritten (NaN first to show it).
    std::vector<std::vector<float>> g(part_count);
    for (int i = 0; i < part_count; ++i) g[i].assign(c.v[i].size(), 0.0f);
    std::fill(g[x_in].begin(), g[x_in].end(), std::numeric_limits<float>::quiet_NaN());
    const bool sc = s.shortcut();
    const ResnetGrads grads{g[norm1_w].data(),
                            g[norm1_b].data(),
                            g[conv1_w].data(),
                            g[conv1_b].data(),
                            g[temb_w].data(),
                            g[temb_b].data(),
                            g[norm2_w].data(),
                            g[norm2_b].data(),
                            g[conv2_w].data(),
                            g[conv2_b].data(),
                            sc ? g[shortcut_w].data() : nullptr,
                            sc ? g[shortcut_b].data() : nullptr};
    resnet_backward(g[x_in].data(), g[emb_in].data(), grads, buf.cache(true), c.dy.data(),
                    c.v[x_in].data(), c.v[emb_in].data(), c.params(), s, buf.scratch.data(),
                    serial_executor());
    const std::vector<Vec> p = c.as_doubles();
    for (int i = 0; i < part_count; ++i) {
      if (p[i].empty()) continue;  // no shortcut parameters without a shortcut
      const auto loss = [&](const Vec& value) {
        std::vector<Vec> q = p;
        q[i] = value;
        return weighted_sum(c.reference(q), c.dy);
      };
      expect_gradient(part_names[i], loss, p[i], g[i].data());
    }
  }
}

// A second backward adds the same terms again: every parameter gradient and d_emb_act doubles, dx
// does not. The second pass starts from a nonzero value, so its sums may round differently: at
// most n <= 64 extra roundings, each within u32 of a partial sum bounded by sum |terms|, which the
// gradient-check budget bounds by 8 (|g| + rms(g)): 64 * 8 u32 < 2^-15 relative to |g| + rms(g).
TEST_CASE("resnet backward overwrites dx and accumulates gradients") {
  const BlockCase c(4, 6, 5);
  const ResnetShape& s = c.s;
  Buffers buf(s);
  std::vector<float> y(s.batch * s.out_channels * s.pixels());
  resnet_forward(y.data(), buf.cache(true), c.v[x_in].data(), c.v[emb_in].data(), c.params(), s,
                 buf.scratch.data(), serial_executor());
  std::vector<std::vector<float>> g(part_count);
  for (int i = 0; i < part_count; ++i) g[i].assign(c.v[i].size(), 0.0f);
  const ResnetGrads grads{g[norm1_w].data(), g[norm1_b].data(),    g[conv1_w].data(),
                          g[conv1_b].data(), g[temb_w].data(),     g[temb_b].data(),
                          g[norm2_w].data(), g[norm2_b].data(),    g[conv2_w].data(),
                          g[conv2_b].data(), g[shortcut_w].data(), g[shortcut_b].data()};
  const auto backward = [&] {
    resnet_backward(g[x_in].data(), g[emb_in].data(), grads, buf.cache(true), c.dy.data(),
                    c.v[x_in].data(), c.v[emb_in].data(), c.params(), s, buf.scratch.data(),
                    serial_executor());
  };
  backward();
  const std::vector<std::vector<float>> once = g;
  backward();
  for (int i = 0; i < part_count; ++i) {
    INFO(part_names[i]);
    double sum_sq = 0;
    for (float v : once[i]) sum_sq += double(v) * v;
    const double rms = std::sqrt(sum_sq / double(once[i].size()));
    const double factor = i == x_in ? 1.0 : 2.0;
    for (std::size_t j = 0; j < once[i].size(); ++j) {
      const double expected = factor * once[i][j];
      CHECK(std::abs(g[i][j] - expected) <= std::ldexp(1.0, -15) * (std::abs(expected) + rms));
    }
  }
}
