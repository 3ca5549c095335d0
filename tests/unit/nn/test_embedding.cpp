// Sinusoidal embeddings against the spec's formula written out independently, plus the values the
// spec states outright (frequencies from 1 down to 1e-4, emb(0) = [0..., 1...]).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "nn/embedding.hpp"
#include "reference_nn.hpp"

using namespace diffuse;

TEST_CASE("time embedding follows the spec: sin then cos, frequencies 1 .. 1e-4") {
  const std::size_t E = 32, half = 16;
  const std::vector<double> t = {0, 1, 17, 999};
  std::vector<float> emb(t.size() * E);
  time_embedding_forward(emb.data(), t.data(), t.size(), E);
  for (std::size_t j = 0; j < half; ++j) {  // t = 0: sin 0, cos 0
    CHECK(emb[j] == 0.0f);
    CHECK(emb[half + j] == 1.0f);
  }
  // f_0 = 1 and f_{half-1} = 1e-4 exactly as the spec says.
  CHECK(emb[3 * E + 0] == Approx(std::sin(999.0)).margin(1e-7));
  CHECK(emb[3 * E + half] == Approx(std::cos(999.0)).margin(1e-7));
  CHECK(emb[3 * E + half - 1] == Approx(std::sin(999.0 * 1e-4)).margin(1e-7));
  CHECK(emb[3 * E + E - 1] == Approx(std::cos(999.0 * 1e-4)).margin(1e-7));
  for (std::size_t r = 0; r < t.size(); ++r) {
    const auto ref = diffuse::test::ref_sinusoidal(t[r], E);
    for (std::size_t j = 0; j < E; ++j) {
      // One rounding of a value in [-1, 1], plus libm's last-bit differences at angles ~1000.
      CHECK(emb[r * E + j] == Approx(ref[j]).margin(1e-7));
    }
  }
}

TEST_CASE("x embedding gives each coordinate its own block of width W at scale 25") {
  const std::size_t B = 2, D = 3, W = 8;
  const std::vector<float> x = {0.0f, 0.5f, -1.25f, 2.0f, 0.01f, -0.3f};
  std::vector<float> emb(B * D * W);
  x_embedding_forward(emb.data(), x.data(), B, D, W);
  for (std::size_t i = 0; i < B * D; ++i) {
    const auto ref = diffuse::test::ref_sinusoidal(25.0f * x[i], W);
    for (std::size_t j = 0; j < W; ++j) CHECK(emb[i * W + j] == Approx(ref[j]).margin(1e-7));
  }
  CHECK(emb[1 * W + 0] == Approx(std::sin(12.5)).margin(1e-7));  // row 0, coordinate 1, f_0 = 1
}

TEST_CASE("the time embedding cache gives the uncached rows bit for bit, in any order") {
  const std::size_t E = 32;
  TimeEmbeddingCache cache(E);
  // Downward (a sampler), upward (growth one row at a time), repeats, and steps outside the
  // cached range, which are computed each time.
  // Fractional steps (Euler and Heun's interpolated ones) are computed each time too.
  const std::vector<double> t = {999, 0, 1, 2, 3, 500, 999, 1000, 4,   -1, -7,
                                 TimeEmbeddingCache::cached_step_limit,
                                 TimeEmbeddingCache::cached_step_limit - 1, 2000000000, 7,
                                 978.4285888671875, 0.5, 3.25};
  std::vector<float> cached(t.size() * E), direct(t.size() * E);
  for (int pass = 0; pass < 2; ++pass) {  // the second pass reads rows filled by the first
    cache.embed(cached.data(), t.data(), t.size());
    time_embedding_forward(direct.data(), t.data(), t.size(), E);
    for (std::size_t i = 0; i < cached.size(); ++i) {
      INFO("pass " << pass << ", row " << i / E << " (t = " << t[i / E] << "), column " << i % E);
      REQUIRE(std::memcmp(&cached[i], &direct[i], sizeof(float)) == 0);
    }
  }
}

TEST_CASE("diffusers' timestep embedding takes real t as float32: cos first, denominator half") {
  // get_timestep_embedding(flip_sin_to_cos=True, downscale_freq_shift=0) written out in float64
  // from the float32 t, frequencies exp(-ln(10000) i / half).
  const std::size_t E = 16, half = 8;
  const std::vector<double> t = {0.0, 3.0, 749.25, 978.4285888671875, 12.3456789};
  std::vector<float> emb(t.size() * E);
  timestep_embedding_diffusers(emb.data(), t.data(), t.size(), E);
  for (std::size_t r = 0; r < t.size(); ++r) {
    const double v = static_cast<float>(t[r]);  // diffusers' timesteps are float32 tensors
    for (std::size_t i = 0; i < half; ++i) {
      const double angle = v * std::exp(-std::log(10000.0) * static_cast<double>(i) / half);
      // float32 arithmetic on angles up to ~1000: a few ulps of the angle, ~1e-4 absolute.
      CHECK(emb[r * E + i] == Approx(std::cos(angle)).margin(2e-4));
      CHECK(emb[r * E + half + i] == Approx(std::sin(angle)).margin(2e-4));
    }
  }
  // A fractional step is not its neighbours.
  CHECK(emb[2 * E + 0] != emb[1 * E + 0]);
}
