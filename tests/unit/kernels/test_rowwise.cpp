// rows_axpby against its scalar twin for every tail length around the vector width.
#include <catch2/catch.hpp>

#include <vector>

#include "base/rng.hpp"
#include "kernels/arch.hpp"
#include "kernels/rowwise.hpp"

using namespace diffuse;

TEST_CASE("rows_axpby equals rows_axpby_ref for every width and tail") {
  Rng rng(1);
  const std::size_t lanes = kernels::simd_float_lanes();
  for (std::size_t B : {1u, 3u, 17u}) {
    for (std::size_t D = 1; D <= 3 * lanes + 1; ++D) {
      std::vector<float> a(B), c(B), x(B * D), y(B * D), out(B * D), ref(B * D);
      rng.fill_normal(a.data(), B);
      rng.fill_normal(c.data(), B);
      rng.fill_normal(x.data(), B * D);
      rng.fill_normal(y.data(), B * D);
      kernels::rows_axpby(out.data(), a.data(), x.data(), c.data(), y.data(), B, D);
      kernels::rows_axpby_ref(ref.data(), a.data(), x.data(), c.data(), y.data(), B, D);
      for (std::size_t i = 0; i < B * D; ++i) {
        // The SIMD path fuses one multiply-add: at most one rounding apart.
        CHECK(out[i] == Approx(ref[i]).margin(1e-6f * (std::abs(a[i / D] * x[i]) + std::abs(c[i / D] * y[i]))));
      }
    }
  }
}
