// The image layers on a 2-thread pool give bit for bit the serial results: tasks split pixels,
// channels, groups and images, never a sum.
#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "base/rng.hpp"
#include "nn/attention.hpp"
#include "nn/conv2d.hpp"
#include "nn/group_norm.hpp"
#include "support/thread_pool.hpp"

using namespace diffuse;

namespace {

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

std::vector<float> normal(std::size_t n, std::uint64_t seed, float scale = 1.0f) {
  std::vector<float> v(n);
  Rng(seed).fill_normal(v.data(), n);
  for (float& e : v) e *= scale;
  return v;
}

}  // namespace

TEST_CASE("conv2d on a 2-thread pool equals serial, forward and backward, the U-Net's shapes") {
  const ThreadPool two(2);
  for (const Conv2dShape& s :
       {conv2d_3x3(8, 32, 32, 14, 14), conv2d_3x3_stride2(8, 32, 32, 14, 14),
        conv2d_1x1(8, 96, 64, 7, 7), conv2d_3x3(8, 32, 1, 28, 28), conv2d_3x3(16, 1, 32, 8, 8)}) {
    const std::vector<float> x = normal(s.input_size(), 1), w = normal(s.weight_size(), 2, 0.1f),
                             b = normal(s.out_channels, 3), dy = normal(s.output_size(), 4);
    std::vector<float> scratch(conv2d_scratch_floats(s));
    std::vector<float> y1(s.output_size()), y2(s.output_size());
    conv2d_forward(y1.data(), x.data(), w.data(), b.data(), s, scratch.data(), serial_executor());
    conv2d_forward(y2.data(), x.data(), w.data(), b.data(), s, scratch.data(), two);
    CHECK(same_bits(y1, y2));
    std::vector<float> dx1(s.input_size()), dx2(s.input_size()), dw1(s.weight_size(), 0.0f),
        dw2(s.weight_size(), 0.0f), db1(s.out_channels, 0.0f), db2(s.out_channels, 0.0f);
    conv2d_backward(dx1.data(), dw1.data(), db1.data(), dy.data(), x.data(), w.data(), s,
                    scratch.data(), serial_executor());
    conv2d_backward(dx2.data(), dw2.data(), db2.data(), dy.data(), x.data(), w.data(), s,
                    scratch.data(), two);
    CHECK(same_bits(dx1, dx2));
    CHECK(same_bits(dw1, dw2));
    CHECK(same_bits(db1, db2));
  }
}

TEST_CASE("group_norm_silu and attention on a 2-thread pool equal serial") {
  const ThreadPool two(2);
  kernels::GroupNormShape gs;
  gs.batch = 8;
  gs.channels = 64;
  gs.groups = 32;
  gs.pixels = 196;
  const std::size_t n = gs.batch * gs.channels * gs.pixels;
  const std::vector<float> x = normal(n, 5), dy = normal(n, 6), gamma = normal(64, 7),
                           beta = normal(64, 8);
  std::vector<float> y1(n), y2(n), d1(n), d2(n), m1(256), m2(256), r1(256), r2(256);
  group_norm_silu_forward(y1.data(), d1.data(), m1.data(), r1.data(), x.data(), gamma.data(),
                          beta.data(), gs, serial_executor());
  group_norm_silu_forward(y2.data(), d2.data(), m2.data(), r2.data(), x.data(), gamma.data(),
                          beta.data(), gs, two);
  CHECK(same_bits(y1, y2));
  CHECK(same_bits(d1, d2));
  std::vector<float> dx1(n), dx2(n), dg1(64, 0.0f), dg2(64, 0.0f), db1(64, 0.0f), db2(64, 0.0f);
  group_norm_silu_backward(dx1.data(), dg1.data(), db1.data(), d1.data(), m1.data(), r1.data(),
                           dy.data(), x.data(), gamma.data(), gs, serial_executor());
  group_norm_silu_backward(dx2.data(), dg2.data(), db2.data(), d1.data(), m1.data(), r1.data(),
                           dy.data(), x.data(), gamma.data(), gs, two);
  CHECK(same_bits(dx1, dx2));
  CHECK(same_bits(dg1, dg2));
  CHECK(same_bits(db1, db2));

  AttentionShape as;
  as.batch = 6;
  as.channels = 64;
  as.pixels = 49;
  as.groups = 32;
  const std::size_t C = 64, CC = C * C, BTC = 6 * 49 * 64, na = BTC;
  const std::vector<float> theta = normal(6 * C + 4 * CC, 9, 0.1f), xa = normal(na, 10),
                           dya = normal(na, 11);
  const float* t = theta.data();
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
  struct Run {
    std::vector<float> mean, rstd, tokens, q, k, v, probs, o, scratch, y, dx, grads;
  };
  auto run = [&](const Executor& executor) {
    Run r{std::vector<float>(6 * 32),
          std::vector<float>(6 * 32),
          std::vector<float>(BTC),
          std::vector<float>(BTC),
          std::vector<float>(BTC),
          std::vector<float>(BTC),
          std::vector<float>(6 * 49 * 49),
          std::vector<float>(BTC),
          std::vector<float>(attention_scratch_floats(as)),
          std::vector<float>(na),
          std::vector<float>(na),
          std::vector<float>(theta.size(), 0.0f)};
    const AttentionCache cache{r.mean.data(), r.rstd.data(), r.tokens.data(), r.q.data(),
                               r.k.data(),    r.v.data(),    r.probs.data(),  r.o.data()};
    float* g = r.grads.data();
    const AttentionGrads grads{g,
                               g + C,
                               g + 2 * C,
                               g + 2 * C + CC,
                               g + 3 * C + CC,
                               g + 3 * C + 2 * CC,
                               g + 4 * C + 2 * CC,
                               g + 4 * C + 3 * CC,
                               g + 5 * C + 3 * CC,
                               g + 5 * C + 4 * CC};
    attention_forward(r.y.data(), cache, xa.data(), params, as, r.scratch.data(), executor);
    attention_backward(r.dx.data(), grads, cache, dya.data(), xa.data(), params, as,
                       r.scratch.data(), executor);
    return r;
  };
  const Run serial = run(serial_executor()), threaded = run(two);
  CHECK(same_bits(serial.y, threaded.y));
  CHECK(same_bits(serial.dx, threaded.dx));
  CHECK(same_bits(serial.grads, threaded.grads));
}
