// The image layers allocate nothing in steady state: after a first call (which grows gemm's
// per-thread packing buffers), forward and backward of the convolution on every path, the fused
// GroupNorm + SiLU and the attention block touch the heap zero times, with the serial executor
// and with one that splits the work into tasks.
#include <catch2/catch.hpp>

#include <vector>

#include "base/rng.hpp"
#include "nn/attention.hpp"
#include "nn/conv2d.hpp"
#include "nn/group_norm.hpp"
#include "support/allocation_counter.hpp"
#include "support/reverse_executor.hpp"

using namespace diffuse;

TEST_CASE("conv2d, group_norm_silu and attention allocate nothing in steady state") {
  const std::size_t B = 3, C = 32, H = 7, W = 7, HW = H * W;
  const test::ReverseExecutor split;
  std::vector<Conv2dShape> convs = {conv2d_3x3(B, C, C, H, W), conv2d_3x3_stride2(B, C, C, H, W),
                                    conv2d_1x1(B, C, 2 * C, H, W), conv2d_3x3(B, C, 1, H, W)};
  std::size_t scratch_floats = 0;
  for (const Conv2dShape& s : convs)
    scratch_floats = std::max(scratch_floats, conv2d_scratch_floats(s));
  std::vector<float> x(B * 2 * C * HW), y(B * 2 * C * HW), dx(B * 2 * C * HW), dy(B * 2 * C * HW);
  std::vector<float> w(2 * C * C * 9), dw(2 * C * C * 9), b(2 * C), db(2 * C),
      scratch(scratch_floats);
  Rng rng(1);
  for (auto* v : {&x, &dy, &w, &b}) rng.fill_normal(v->data(), v->size());

  kernels::GroupNormShape gs;
  gs.batch = B;
  gs.channels = C;
  gs.groups = 8;
  gs.pixels = HW;
  std::vector<float> dact(B * C * HW), mean(B * 8), rstd(B * 8), gamma(C, 1.0f), beta(C, 0.0f),
      dg(C), dbeta(C);

  AttentionShape as;
  as.batch = B;
  as.channels = C;
  as.pixels = HW;
  as.groups = 8;
  std::vector<float> theta(6 * C + 4 * C * C), grads(theta.size()),
      att_scratch(attention_scratch_floats(as));
  rng.fill_normal(theta.data(), theta.size());
  for (float& v : theta) v *= 0.1f;
  std::vector<float> tokens(B * HW * C), q(B * HW * C), k(B * HW * C), v(B * HW * C), o(B * HW * C),
      probs(B * HW * HW);
  const float* t = theta.data();
  const std::size_t CC = C * C;
  const AttentionParams params{t,
                               t + C,
                               t + 2 * C,
                               t + 2 * C + CC,
                               t + 3 * C + CC,
                               t + 3 * C + 2 * CC,
                               t + 4 * C + 2 * CC,
                               t + 4 * C + 3 * CC,
                               t + 5 * C + 3 * CC,
                               t + 5 * C + 4 * CC};
  float* g = grads.data();
  const AttentionGrads att_grads{g,
                                 g + C,
                                 g + 2 * C,
                                 g + 2 * C + CC,
                                 g + 3 * C + CC,
                                 g + 3 * C + 2 * CC,
                                 g + 4 * C + 2 * CC,
                                 g + 4 * C + 3 * CC,
                                 g + 5 * C + 3 * CC,
                                 g + 5 * C + 4 * CC};
  const AttentionCache cache{mean.data(), rstd.data(), tokens.data(), q.data(),
                             k.data(),    v.data(),    probs.data(),  o.data()};

  auto one_round = [&](const Executor& executor) {
    for (const Conv2dShape& s : convs) {
      for (const kernels::Conv2dPath path :
           {kernels::Conv2dPath::im2col, kernels::Conv2dPath::direct}) {
        kernels::conv2d_forward(y.data(), x.data(), w.data(), b.data(), s, scratch.data(), executor,
                                path);
        kernels::conv2d_backward(dx.data(), dw.data(), db.data(), dy.data(), x.data(), w.data(), s,
                                 scratch.data(), executor, path);
      }
    }
    group_norm_silu_forward(y.data(), dact.data(), mean.data(), rstd.data(), x.data(), gamma.data(),
                            beta.data(), gs, executor);
    group_norm_silu_backward(dx.data(), dg.data(), dbeta.data(), dact.data(), mean.data(),
                             rstd.data(), dy.data(), x.data(), gamma.data(), gs, executor);
    attention_forward(y.data(), cache, x.data(), params, as, att_scratch.data(), executor);
    attention_backward(dx.data(), att_grads, cache, dy.data(), x.data(), params, as,
                       att_scratch.data(), executor);
  };
  for (const Executor* executor :
       {static_cast<const Executor*>(&serial_executor()), static_cast<const Executor*>(&split)}) {
    one_round(*executor);  // grows the scratch buffers
    const long before = allocations;
    one_round(*executor);
    CHECK(allocations - before == 0);
  }
}
