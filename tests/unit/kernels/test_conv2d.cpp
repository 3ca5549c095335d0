// conv2d_forward / conv2d_backward (both paths) against their scalar twins, which sum in double:
// the U-Net's convolutions at small batch and random shapes (odd channel counts, H = W = 1, 2, 3,
// 7, 8, 14, batch 1 .. 5, strides 1 and 2, kernels 1 and 3, padding 0 and 1); shapes that span
// several chunks and pixel blocks; skipped dx and dbias; and bit-identical results on an executor
// that splits the work (ReverseExecutor) and on the serial one.
// Both paths are tested: direct (conv2d_direct.cpp) and im2col with its layouts (conv2d_layout.cpp);
// the scalar twin is conv2d_ref.cpp.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "base/rng.hpp"
#include "kernels/conv2d.hpp"
#include "support/reverse_executor.hpp"

using namespace diffuse;
using kernels::Conv2dPath;
using kernels::Conv2dShape;

namespace {

constexpr double u32 = 1.0 / (1 << 24);  // float32 unit roundoff

std::string describe(const Conv2dShape& s) {
  std::ostringstream out;
  out << "B=" << s.batch << " Cin=" << s.in_channels << " Cout=" << s.out_channels
      << " H=" << s.height << " W=" << s.width << " k=" << s.kernel << " s=" << s.stride
      << " p=" << s.padding;
  return out.str();
}

std::vector<float> normal(Rng& rng, std::size_t n) {
  std::vector<float> v(n);
  rng.fill_normal(v.data(), n);
  return v;
}

std::vector<float> absolute(std::vector<float> v) {
  for (float& x : v) x = std::abs(x);
  return v;
}

struct ConvData {
  Conv2dShape s;
  std::vector<float> x, w, bias, dy, dw0, db0;  // dw0, db0: prior gradients (accumulation)
  ConvData(const Conv2dShape& shape, std::uint64_t seed) : s(shape) {
    Rng rng(seed);
    x = normal(rng, s.input_size());
    w = normal(rng, s.weight_size());
    bias = normal(rng, s.out_channels);
    dy = normal(rng, s.output_size());
    dw0 = normal(rng, s.weight_size());
    db0 = normal(rng, s.out_channels);
  }
};

// |got - ref| <= factor u32 S elementwise, S the same sum over absolute values (the magnitude of
// what was summed, from the twin run on |inputs|).
void expect_within(const char* what, const std::vector<float>& got, const std::vector<float>& ref,
                   const std::vector<float>& magnitude, double factor) {
  std::size_t bad = 0;
  std::string first;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double tol = factor * u32 * magnitude[i];
    if (!(std::abs(static_cast<double>(got[i]) - ref[i]) <= tol) && bad++ == 0) {
      first = std::string(what) + "[" + std::to_string(i) + "] = " + std::to_string(got[i]) +
              ", reference " + std::to_string(ref[i]) + ", tolerance " + std::to_string(tol);
    }
  }
  INFO(first);
  CHECK(bad == 0);
}

// Error bounds, derived (Higham's gamma_n ~ n u for a recursive sum of n terms; without FMA
// hardware each product costs a multiply and an add, two roundings):
//  forward: y = bias + a sum of K = k k Cin products. gemm sums each block of 256 k's as an fma
//    chain and adds the blocks into C (one rounding each); the direct tile is one chain; the bias
//    add is one more rounding; the twin rounds once. So |y - ref| <= (2K + 2 ceil(K / 256) + 4)
//    u S with S = |bias| + sum |w x| (the twin on absolute values).
//  dweight: each element is the prior value plus a sum of N = B Ho Wo products, summed by one
//    gemm per block of output pixels (an fma chain per block of 256, each added into the
//    accumulator: at most N + 1 additions besides the chain), then added to the prior value:
//    (4N + 4) u S, S = |dw0| + sum |dy x|.
//  dx: each element is a sum of at most Cout k k products. im2col: a gemm over Cout (2 Cout + 2
//    ceil(Cout / 256)) and then at most k k window contributions added in the fold: (2 Cout +
//    2 ceil(Cout / 256) + k k + 4) u S. direct with stride 1: the forward's tile on dy, one
//    chain of Cout k k products: (2 Cout k k + 4) u S.
//  dbias: N terms summed in lanes partial sums, a horizontal sum (<= 4 levels) and one addition
//    per image into the prior value: (N + B + 8) u S.
// A wrong index or a missing term is off by about S / (number of terms) or more: 10x to 100x the
// tolerance for the sizes here.
void check_forward(const ConvData& d, Conv2dPath path,
                   const Executor& executor = serial_executor()) {
  const Conv2dShape& s = d.s;
  std::vector<float> scratch(kernels::conv2d_scratch_floats(s));
  std::vector<float> y(s.output_size(), std::numeric_limits<float>::quiet_NaN()), ref(y.size()),
      mag(y.size());
  kernels::conv2d_forward(y.data(), d.x.data(), d.w.data(), d.bias.data(), s, scratch.data(),
                          executor, path);
  kernels::conv2d_forward_ref(ref.data(), d.x.data(), d.w.data(), d.bias.data(), s);
  kernels::conv2d_forward_ref(mag.data(), absolute(d.x).data(), absolute(d.w).data(),
                              absolute(d.bias).data(), s);
  const double K = static_cast<double>(s.kernel * s.kernel * s.in_channels);
  INFO(describe(s) << (path == Conv2dPath::direct ? " direct" : " im2col"));
  expect_within("y", y, ref, mag, 2 * K + 2 * std::ceil(K / 256) + 4);
}

void check_backward(const ConvData& d, Conv2dPath path,
                    const Executor& executor = serial_executor()) {
  const Conv2dShape& s = d.s;
  std::vector<float> scratch(kernels::conv2d_scratch_floats(s));
  std::vector<float> dx(s.input_size(), std::numeric_limits<float>::quiet_NaN()), dw = d.dw0,
                                                                                  db = d.db0;
  kernels::conv2d_backward(dx.data(), dw.data(), db.data(), d.dy.data(), d.x.data(), d.w.data(), s,
                           scratch.data(), executor, path);
  std::vector<float> rdx(dx.size()), rdw = d.dw0, rdb = d.db0;
  kernels::conv2d_backward_ref(rdx.data(), rdw.data(), rdb.data(), d.dy.data(), d.x.data(),
                               d.w.data(), s);
  std::vector<float> mdx(dx.size()), mdw = absolute(d.dw0), mdb = absolute(d.db0);
  kernels::conv2d_backward_ref(mdx.data(), mdw.data(), mdb.data(), absolute(d.dy).data(),
                               absolute(d.x).data(), absolute(d.w).data(), s);
  const double N = static_cast<double>(s.batch * s.out_height() * s.out_width());
  const double Cout = static_cast<double>(s.out_channels),
               taps = static_cast<double>(s.kernel * s.kernel);
  INFO(describe(s) << (path == Conv2dPath::direct ? " direct" : " im2col"));
  const bool dx_direct = path == Conv2dPath::direct && s.stride == 1 && s.padding < s.kernel;
  expect_within("dx", dx, rdx, mdx,
                dx_direct ? 2 * Cout * taps + 4 : 2 * Cout + 2 * std::ceil(Cout / 256) + taps + 4);
  expect_within("dweight", dw, rdw, mdw, 4 * N + 4);
  expect_within("dbias", db, rdb, mdb, N + static_cast<double>(s.batch) + 8);
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

const Conv2dPath both_paths[] = {Conv2dPath::im2col, Conv2dPath::direct};

// The digits U-Net's convolutions (docs/benchmarks.md, "Image layers") at batch 2.
std::vector<Conv2dShape> unet_shapes() {
  using kernels::conv2d_1x1;
  using kernels::conv2d_3x3;
  using kernels::conv2d_3x3_stride2;
  return {conv2d_3x3(2, 1, 32, 8, 8),          conv2d_3x3(2, 32, 32, 8, 8),
          conv2d_3x3_stride2(2, 32, 32, 8, 8), conv2d_3x3(2, 32, 64, 4, 4),
          conv2d_3x3(2, 64, 64, 4, 4),         conv2d_1x1(2, 32, 64, 4, 4),
          conv2d_1x1(2, 96, 64, 4, 4),         conv2d_1x1(2, 128, 64, 4, 4),
          conv2d_1x1(2, 64, 32, 8, 8),         conv2d_3x3(2, 128, 64, 4, 4),
          conv2d_3x3(2, 96, 32, 8, 8),         conv2d_3x3(2, 64, 64, 8, 8),
          conv2d_3x3(2, 32, 1, 8, 8),          conv2d_3x3_stride2(1, 32, 32, 28, 28),
          conv2d_3x3(1, 64, 64, 7, 7)};
}

std::vector<Conv2dShape> random_shapes(std::size_t count, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<std::int32_t> r(8);
  const std::size_t sizes[] = {1, 2, 3, 7, 8, 14};
  std::vector<Conv2dShape> out;
  while (out.size() < count) {
    rng.fill_below(r.data(), r.size(), 1000);
    Conv2dShape s;
    s.batch = 1 + r[0] % 5;
    s.in_channels = 1 + r[1] % 37;
    s.out_channels = 1 + r[2] % 41;
    s.height = sizes[r[3] % 6];
    s.width = sizes[r[4] % 6];
    s.kernel = r[5] % 3 == 0 ? 1 : 3;
    s.stride = 1 + r[6] % 2;
    s.padding = r[7] % 3 == 0 ? 0 : 1;
    if (kernels::conv2d_shape_valid(s)) out.push_back(s);
  }
  return out;
}

}  // namespace

TEST_CASE("conv2d shapes: output size, validity and the U-Net constructors") {
  const Conv2dShape down = kernels::conv2d_3x3_stride2(2, 32, 32, 28, 28);
  CHECK(down.out_height() == 14);
  CHECK(down.out_width() == 14);
  CHECK(kernels::conv2d_3x3_stride2(1, 64, 64, 7, 7).out_height() ==
        4);  // torch: floor((7+2-3)/2)+1
  CHECK(kernels::conv2d_3x3(1, 3, 5, 7, 7).out_height() == 7);
  CHECK(kernels::conv2d_1x1(1, 3, 5, 7, 9).out_width() == 9);
  Conv2dShape bad = kernels::conv2d_3x3(1, 1, 1, 1, 1);
  CHECK(kernels::conv2d_shape_valid(bad));  // 1 + 2 >= 3
  bad.padding = 0;
  CHECK_FALSE(kernels::conv2d_shape_valid(bad));
  bad.padding = 1;
  bad.in_channels = 0;
  CHECK_FALSE(kernels::conv2d_shape_valid(bad));
}

TEST_CASE("conv2d forward and backward equal their twins on the U-Net's shapes, both paths") {
  std::uint64_t seed = 10;
  for (const Conv2dShape& s : unet_shapes()) {
    const ConvData d(s, ++seed);
    for (const Conv2dPath path : both_paths) {
      check_forward(d, path);
      check_backward(d, path);
    }
  }
}

TEST_CASE("conv2d forward and backward equal their twins on 60 random shapes, both paths") {
  std::uint64_t seed = 100;
  for (const Conv2dShape& s : random_shapes(60, 7)) {
    const ConvData d(s, ++seed);
    for (const Conv2dPath path : both_paths) {
      check_forward(d, path);
      check_backward(d, path);
    }
  }
}

TEST_CASE("conv2d with several chunks of images and several pixel blocks per chunk") {
  // K = 9 * 128 = 1152 allows blocks of 131072 / 1152 = 113 output pixels: a 7x7 batch of 5 is
  // chunks of 2, 2 and 1 images (98 pixels), a 14x14 image two blocks of 113 and 83 pixels.
  const Conv2dShape shapes[] = {kernels::conv2d_3x3(5, 128, 24, 7, 7),
                                kernels::conv2d_3x3(2, 128, 17, 14, 14),
                                kernels::conv2d_1x1(3, 130, 33, 14, 14)};
  std::uint64_t seed = 300;
  for (const Conv2dShape& s : shapes) {
    const ConvData d(s, ++seed);
    for (const Conv2dPath path : both_paths) {
      check_forward(d, path);
      check_backward(d, path);
    }
  }
}

TEST_CASE("conv2d_backward skips dx and dbias when they are null and accumulates dweight") {
  const Conv2dShape s = kernels::conv2d_3x3(2, 5, 7, 6, 5);
  const ConvData d(s, 40);
  std::vector<float> scratch(kernels::conv2d_scratch_floats(s));
  std::vector<float> dx(s.input_size()), dw_all = d.dw0, db = d.db0;
  kernels::conv2d_backward(dx.data(), dw_all.data(), db.data(), d.dy.data(), d.x.data(), d.w.data(),
                           s, scratch.data());
  std::vector<float> dw_only = d.dw0;
  kernels::conv2d_backward(nullptr, dw_only.data(), nullptr, d.dy.data(), d.x.data(), d.w.data(), s,
                           scratch.data());
  CHECK(same_bits(dw_all, dw_only));
  // Twice from zero equals two times once, to one rounding per element (x + x is exact).
  std::vector<float> once(s.weight_size(), 0.0f), twice(s.weight_size(), 0.0f);
  kernels::conv2d_backward(nullptr, once.data(), nullptr, d.dy.data(), d.x.data(), d.w.data(), s,
                           scratch.data());
  for (int r = 0; r < 2; ++r) {
    kernels::conv2d_backward(nullptr, twice.data(), nullptr, d.dy.data(), d.x.data(), d.w.data(), s,
                             scratch.data());
  }
  for (std::size_t i = 0; i < once.size(); ++i) CHECK(twice[i] == 2.0f * once[i]);
}

TEST_CASE("conv2d results do not depend on how an executor splits the work") {
  const test::ReverseExecutor split;
  const Conv2dShape shapes[] = {
      kernels::conv2d_3x3(4, 32, 32, 14, 14), kernels::conv2d_3x3_stride2(3, 32, 32, 28, 28),
      kernels::conv2d_1x1(8, 96, 64, 7, 7), kernels::conv2d_3x3(16, 33, 47, 8, 8)};
  std::uint64_t seed = 500;
  for (const Conv2dShape& s : shapes) {
    const ConvData d(s, ++seed);
    for (const Conv2dPath path : both_paths) {
      INFO(describe(s) << (path == Conv2dPath::direct ? " direct" : " im2col"));
      std::vector<float> scratch(kernels::conv2d_scratch_floats(s));
      std::vector<float> y1(s.output_size()), y2(s.output_size());
      kernels::conv2d_forward(y1.data(), d.x.data(), d.w.data(), d.bias.data(), s, scratch.data(),
                              serial_executor(), path);
      kernels::conv2d_forward(y2.data(), d.x.data(), d.w.data(), d.bias.data(), s, scratch.data(),
                              split, path);
      CHECK(same_bits(y1, y2));
      std::vector<float> dx1(s.input_size()), dx2(s.input_size()), dw1 = d.dw0, dw2 = d.dw0,
                                                                   db1 = d.db0, db2 = d.db0;
      kernels::conv2d_backward(dx1.data(), dw1.data(), db1.data(), d.dy.data(), d.x.data(),
                               d.w.data(), s, scratch.data(), serial_executor(), path);
      kernels::conv2d_backward(dx2.data(), dw2.data(), db2.data(), d.dy.data(), d.x.data(),
                               d.w.data(), s, scratch.data(), split, path);
      CHECK(same_bits(dx1, dx2));
      CHECK(same_bits(dw1, dw2));
      CHECK(same_bits(db1, db2));
    }
  }
}

TEST_CASE("conv2d_path: direct for 3x3, im2col for 1x1 and for the forward of Cout < lanes") {
  using kernels::Conv2dPass;
  CHECK(kernels::conv2d_path(kernels::conv2d_3x3(8, 32, 32, 8, 8), Conv2dPass::forward) ==
        Conv2dPath::direct);
  CHECK(kernels::conv2d_path(kernels::conv2d_3x3_stride2(8, 32, 32, 8, 8), Conv2dPass::backward) ==
        Conv2dPath::direct);
  CHECK(kernels::conv2d_path(kernels::conv2d_1x1(8, 32, 64, 8, 8), Conv2dPass::forward) ==
        Conv2dPath::im2col);
  CHECK(kernels::conv2d_path(kernels::conv2d_1x1(8, 32, 64, 8, 8), Conv2dPass::backward) ==
        Conv2dPath::im2col);
  CHECK(kernels::conv2d_path(kernels::conv2d_3x3(8, 32, 1, 8, 8), Conv2dPass::forward) ==
        Conv2dPath::im2col);
  CHECK(kernels::conv2d_path(kernels::conv2d_3x3(8, 32, 1, 8, 8), Conv2dPass::backward) ==
        Conv2dPath::direct);
}
