// The per-channel broadcast add (a ResnetBlock2D's time embedding): forward is one addition per
// element, exactly the reference's; backward matches central differences and accumulates.
#include <catch2/catch.hpp>

#include <vector>

#include "layer_check.hpp"
#include "nn/channel_add.hpp"
#include "reference_image.hpp"

using namespace diffuse;
using namespace diffuse::test;

TEST_CASE("channel_add adds e(b, c) to every pixel of channel c of image b") {
  const std::size_t B = 3, C = 5, HW = 49;
  Rng rng(1);
  const std::vector<float> h0 = random_floats(rng, B * C * HW), e = random_floats(rng, B * C);
  std::vector<float> h = h0;
  channel_add_forward(h.data(), e.data(), B, C, HW);
  const Vec ref = ref_channel_add(as_double(h0), as_double(e), B, C, HW);
  for (std::size_t i = 0; i < h.size(); ++i) REQUIRE(h[i] == static_cast<float>(h0[i] + e[i / HW]));
  expect_close(h, ref, 0.0, 1.0);  // one rounding of an exact sum
}

TEST_CASE("channel_add backward sums each plane into de and matches central differences") {
  const std::size_t B = 2, C = 3, HW = 21;
  Rng rng(2);
  const std::vector<float> h0 = random_floats(rng, B * C * HW), e = random_floats(rng, B * C);
  const std::vector<float> dh = random_floats(rng, B * C * HW);
  std::vector<float> de(B * C, 0.0f);
  channel_add_backward(de.data(), dh.data(), B, C, HW);
  const Vec hd = as_double(h0);
  expect_gradient(
      "channel_add de",
      [&](const Vec& v) { return weighted_sum(ref_channel_add(hd, v, B, C, HW), dh); },
      as_double(e), de.data());
  std::vector<float> twice = de;
  channel_add_backward(twice.data(), dh.data(), B, C, HW);
  for (std::size_t i = 0; i < de.size(); ++i)
    CHECK(twice[i] == 2.0f * de[i]);  // += : x + x is exact
}
