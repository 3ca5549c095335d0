// The FMA probe computes what its twin computes where the arithmetic is exact (so the loop the
// benchmarks time is the loop it claims to be), and reports its operation count.
#include <catch2/catch.hpp>

#include "kernels/arch.hpp"
#include "kernels/fma_probe.hpp"

using namespace diffuse;

TEST_CASE("fma_probe equals its twin on exact arithmetic and counts 2 flops per lane and chain") {
  // m = 1, c = 0.5: x + iterations / 2, exact in float for these sizes; the sum over
  // chains * lanes <= 256 copies of an integer-and-a-half below 2^10 is exact too.
  for (const std::size_t iterations :
       {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{1000}}) {
    CHECK(kernels::fma_probe(iterations, 3.0f, 1.0f, 0.5f) ==
          kernels::fma_probe_ref(iterations, 3.0f, 1.0f, 0.5f));
  }
  const std::size_t per_iteration = kernels::fma_probe_flops_per_iteration();
  CHECK(per_iteration % (2 * kernels::simd_float_lanes()) == 0);
  CHECK(kernels::fma_probe(5, 1.0f, 1.0f, 0.0f) == static_cast<float>(per_iteration / 2));
}
