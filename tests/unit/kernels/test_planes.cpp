// plane_add (bit for bit: one addition per element) and plane_sums_accumulate (within the derived
// bound) against their twins on every tail length.
// The scalar twins are planes_ref.cpp.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <vector>

#include "base/rng.hpp"
#include "kernels/planes.hpp"

using namespace diffuse;

TEST_CASE("plane_add and plane_sums_accumulate equal their twins for 1 .. 70 pixels per plane") {
  Rng rng(8);
  const double u = 1.0 / (1 << 24);
  for (std::size_t pixels = 1; pixels <= 70; ++pixels) {
    const std::size_t planes = 3;
    std::vector<float> x(planes * pixels), v(planes), s0(planes);
    rng.fill_normal(x.data(), x.size());
    rng.fill_normal(v.data(), planes);
    rng.fill_normal(s0.data(), planes);
    std::vector<float> a = x, b = x;
    kernels::plane_add(a.data(), v.data(), planes, pixels);
    kernels::plane_add_ref(b.data(), v.data(), planes, pixels);
    CHECK(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
    // The vector sum: lanes chains of at most pixels / lanes + 1 additions, log2(lanes) <= 4 more
    // across lanes and one into the prior value, each one rounding of at most the sum of
    // magnitudes: (pixels + 6) u (sum |x| + |prior|).
    std::vector<float> s = s0, r = s0;
    kernels::plane_sums_accumulate(s.data(), x.data(), planes, pixels);
    kernels::plane_sums_accumulate_ref(r.data(), x.data(), planes, pixels);
    for (std::size_t p = 0; p < planes; ++p) {
      double mag = std::abs(s0[p]);
      for (std::size_t i = 0; i < pixels; ++i) mag += std::abs(x[p * pixels + i]);
      INFO("pixels " << pixels << " plane " << p);
      CHECK(std::abs(static_cast<double>(s[p]) - r[p]) <=
            (static_cast<double>(pixels) + 6) * u * mag);
    }
  }
}
