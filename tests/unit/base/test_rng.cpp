// Philox-4x32-10 against the published known-answer vectors (Random123, kat_vectors), then the
// transforms' determinism and moments with tolerances derived from the sample size.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <vector>

#include "base/rng.hpp"
#include "support/golden.hpp"
#include "support/statistics.hpp"

using namespace diffuse;

TEST_CASE("philox4x32_10 matches the Random123 known-answer vectors") {
  CHECK(philox4x32_10({0, 0, 0, 0}, {0, 0}) ==
        PhiloxCounter{0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u});
  CHECK(philox4x32_10({0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu},
                      {0xffffffffu, 0xffffffffu}) ==
        PhiloxCounter{0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu});
  CHECK(philox4x32_10({0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u},
                      {0xa4093822u, 0x299f31d0u}) ==
        PhiloxCounter{0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u});
}

TEST_CASE("Rng is deterministic per (seed, stream) and resumes from its state") {
  Rng a(42), b(42), other_seed(43), other_stream(42, 1);
  std::vector<float> xa(37), xb(37), xc(37), xd(37);
  a.fill_normal(xa.data(), xa.size());
  b.fill_normal(xb.data(), xb.size());
  other_seed.fill_normal(xc.data(), xc.size());
  other_stream.fill_normal(xd.data(), xd.size());
  CHECK(xa == xb);
  CHECK(xa != xc);
  CHECK(xa != xd);

  // A fill of n consumes ceil(n / 4) blocks, so a saved state continues the same sequence.
  Rng first(7);
  std::vector<float> head(10), tail(10), whole(20);
  first.fill_uniform(head.data(), 8);
  const RngState saved = first.state();
  CHECK(saved.position == 2);
  Rng resumed(saved);
  resumed.fill_uniform(tail.data(), 8);
  Rng straight(7);
  straight.fill_uniform(whole.data(), 16);
  for (int i = 0; i < 8; ++i) {
    CHECK(whole[i] == head[i]);
    CHECK(whole[8 + i] == tail[i]);
  }
}

TEST_CASE("Rng's first draws equal the golden values shared with the WebAssembly test") {
  // tests/reference/rng_golden.json is also read by tests/wasm/rng.test.mjs: native and WASM
  // must draw the same numbers for the same seed.
  const auto golden = test::load_rng_golden();
  for (const auto& g : golden) {
    Rng rng(g.seed, g.stream);
    std::vector<std::uint32_t> u32(g.u32.size());
    rng.fill_u32(u32.data(), u32.size());
    CHECK(u32 == g.u32);
    Rng rng_uniform(g.seed, g.stream);
    std::vector<float> uniform(g.uniform.size());
    rng_uniform.fill_uniform(uniform.data(), uniform.size());
    CHECK(uniform == g.uniform);
    Rng rng_normal(g.seed, g.stream);
    std::vector<float> normal(g.normal.size());
    rng_normal.fill_normal(normal.data(), normal.size());
    CHECK(normal == g.normal);
  }
}

TEST_CASE("uniform draws have the moments of U[0, 1)") {
  const std::size_t n = 1 << 20;
  std::vector<float> u(n);
  Rng(2024).fill_uniform(u.data(), n);
  double sum = 0, sum2 = 0;
  for (float x : u) {
    REQUIRE(x >= 0.0f);
    REQUIRE(x < 1.0f);
    sum += x;
  }
  const double mean = sum / n;
  for (float x : u) sum2 += (x - mean) * (x - mean);
  const double variance = sum2 / (n - 1);
  CHECK(std::abs(mean - 0.5) < test::mean_tolerance(1.0 / 12.0, n));
  // Var of (x - 1/2)^2 for U[0,1) is 1/80 - 1/144 = 1/180.
  CHECK(std::abs(variance - 1.0 / 12.0) < test::mean_tolerance(1.0 / 180.0, n));
}

TEST_CASE("normal draws have the moments of N(0, 1)") {
  const std::size_t n = 1 << 20;
  std::vector<double> z(n);
  Rng(99, 3).fill_normal(z.data(), n);
  double m1 = 0, m2 = 0, m3 = 0, m4 = 0;
  for (double x : z) {
    m1 += x;
    m2 += x * x;
    m3 += x * x * x;
    m4 += x * x * x * x;
  }
  m1 /= n;
  m2 /= n;
  m3 /= n;
  m4 /= n;
  // For N(0,1): Var(z) = 1, Var(z^2) = 2, Var(z^3) = 15, Var(z^4) = 96.
  CHECK(std::abs(m1) < test::mean_tolerance(1.0, n));
  CHECK(std::abs(m2 - 1.0) < test::mean_tolerance(2.0, n));
  CHECK(std::abs(m3) < test::mean_tolerance(15.0, n));
  CHECK(std::abs(m4 - 3.0) < test::mean_tolerance(96.0, n));

  // The tail mass beyond 3 sigma: P(|z| > 3) = 0.0026998, a binomial proportion.
  std::size_t beyond = 0;
  for (double x : z) beyond += std::abs(x) > 3.0;
  const double p = 0.0026997960632601866;
  CHECK(std::abs(double(beyond) / n - p) < test::mean_tolerance(p * (1 - p), n));
}

TEST_CASE("below(bound) is uniform over 0..bound-1 (chi-square)") {
  for (std::uint32_t bound : {1u, 2u, 7u, 1000u}) {
    const std::size_t n = 200000;
    std::vector<std::int32_t> k(n);
    Rng(5, bound).fill_below(k.data(), n, bound);
    std::vector<double> counts(bound, 0.0);
    for (auto v : k) {
      REQUIRE(v >= 0);
      REQUIRE(static_cast<std::uint32_t>(v) < bound);
      counts[v] += 1;
    }
    if (bound == 1) continue;
    const double expected = double(n) / bound;
    double chi2 = 0;
    for (double c : counts) chi2 += (c - expected) * (c - expected) / expected;
    // chi-square with k = bound - 1 degrees of freedom: mean k, variance 2k.
    const double dof = bound - 1.0;
    CHECK(chi2 < dof + test::z_bound * std::sqrt(2.0 * dof));
  }
}
