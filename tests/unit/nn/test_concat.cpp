// Channel concatenation: forward equals torch.cat(dim=1) exactly, backward splits dy exactly
// (either half skippable) and matches central differences.
#include <catch2/catch.hpp>

#include <vector>

#include "layer_check.hpp"
#include "nn/concat.hpp"
#include "reference_image.hpp"

using namespace diffuse;
using namespace diffuse::test;

TEST_CASE("concat_channels forward is torch.cat([a, s], dim=1)") {
  for (const auto& d : {std::vector<std::size_t>{2, 3, 5, 4}, {1, 1, 1, 1}, {3, 64, 32, 49}}) {
    const std::size_t B = d[0], C1 = d[1], C2 = d[2], HW = d[3];
    Rng rng(C1 + C2);
    const std::vector<float> a = random_floats(rng, B * C1 * HW),
                             s = random_floats(rng, B * C2 * HW);
    std::vector<float> y(a.size() + s.size());
    concat_channels_forward(y.data(), a.data(), s.data(), B, C1, C2, HW);
    const Vec ref = ref_concat(as_double(a), as_double(s), B, C1, C2, HW);
    for (std::size_t i = 0; i < y.size(); ++i) REQUIRE(y[i] == ref[i]);
  }
}

TEST_CASE("concat_channels backward splits dy, and matches central differences") {
  const std::size_t B = 2, C1 = 3, C2 = 2, HW = 5;
  Rng rng(7);
  const std::vector<float> a = random_floats(rng, B * C1 * HW), s = random_floats(rng, B * C2 * HW);
  const std::vector<float> dy = random_floats(rng, B * (C1 + C2) * HW);
  std::vector<float> da(a.size()), ds(s.size());
  concat_channels_backward(da.data(), ds.data(), dy.data(), B, C1, C2, HW);
  const Vec ad = as_double(a), sd = as_double(s);
  expect_gradient(
      "concat da", [&](const Vec& v) { return weighted_sum(ref_concat(v, sd, B, C1, C2, HW), dy); },
      ad, da.data());
  expect_gradient(
      "concat ds", [&](const Vec& v) { return weighted_sum(ref_concat(ad, v, B, C1, C2, HW), dy); },
      sd, ds.data());
  std::vector<float> only_s(s.size());
  concat_channels_backward(nullptr, only_s.data(), dy.data(), B, C1, C2, HW);
  CHECK(only_s == ds);
}
