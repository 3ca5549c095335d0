// ArenaCarver (base/arena.hpp): the counting pass (no base) and the handing-out pass give the
// same offsets, every buffer starts on a 64-byte line of an aligned arena, the buffers never
// overlap and all fit in the counted size, and round_up is the next multiple of 16 floats for
// every remainder. The expected offsets are computed here by stepping in whole lines, not by
// calling round_up.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "base/aligned.hpp"
#include "base/arena.hpp"

using namespace diffuse;

namespace {

constexpr std::size_t line_floats = 64 / sizeof(float);  // 16 floats to a 64-byte line

// The smallest multiple of 16 at least n, by counting lines one at a time.
std::size_t lines_for(std::size_t n) {
  std::size_t floats = 0;
  while (floats < n) floats += line_floats;
  return floats;
}

// Every remainder modulo 16, zero-sized and one-line requests, and a few larger ones.
const std::vector<std::size_t> requests = {5, 16, 0, 1, 17, 31, 32, 33, 100, 15, 2,    3, 4,
                                           6, 7,  8, 9, 10, 11, 12, 13, 14,  47, 1000, 65};

}  // namespace

TEST_CASE("round_up is the next multiple of 16 floats for every remainder") {
  for (std::size_t n = 0; n <= 4 * line_floats + 1; ++n) {
    INFO("n = " << n << ", remainder " << n % line_floats);
    CHECK(ArenaCarver::round_up(n) == lines_for(n));
  }
  CHECK(ArenaCarver::round_up(0) == 0);
  CHECK(ArenaCarver::round_up(1) == 16);
  CHECK(ArenaCarver::round_up(16) == 16);
  CHECK(ArenaCarver::round_up(17) == 32);
  CHECK(ArenaCarver::round_up(1000001) == 1000016);
}

TEST_CASE("the counting pass and the handing-out pass agree on every offset") {
  ArenaCarver count(nullptr);
  std::vector<std::size_t> expected;  // offset of each buffer, by whole lines
  std::size_t at = 0;
  for (std::size_t n : requests) {
    CHECK(count.take(n) == nullptr);  // counting hands out nothing
    expected.push_back(at);
    at += lines_for(n);
  }
  CHECK(count.used() == at);

  AlignedBuffer arena(count.used());
  ArenaCarver carve(arena.data());
  for (std::size_t k = 0; k < requests.size(); ++k) {
    const float* p = carve.take(requests[k]);
    CHECK(static_cast<std::size_t>(p - arena.data()) == expected[k]);
  }
  CHECK(carve.used() == count.used());
}

TEST_CASE("buffers are 64-byte aligned, inside the arena and never overlap") {
  ArenaCarver count(nullptr);
  for (std::size_t n : requests) count.take(n);
  AlignedBuffer arena(count.used(), -1.0f);
  REQUIRE(reinterpret_cast<std::uintptr_t>(arena.data()) % simd_alignment == 0);

  ArenaCarver carve(arena.data());
  std::vector<float*> buffers;
  for (std::size_t n : requests) buffers.push_back(carve.take(n));
  for (std::size_t k = 0; k < buffers.size(); ++k) {
    INFO("buffer " << k << " of " << requests[k] << " floats");
    CHECK(reinterpret_cast<std::uintptr_t>(buffers[k]) % simd_alignment == 0);
    CHECK(buffers[k] >= arena.data());
    CHECK(buffers[k] + requests[k] <= arena.data() + arena.size());
  }
  // Fill each buffer with its index in order; a later buffer overlapping an earlier one would
  // overwrite part of it.
  for (std::size_t k = 0; k < buffers.size(); ++k) {
    for (std::size_t i = 0; i < requests[k]; ++i) buffers[k][i] = static_cast<float>(k);
  }
  for (std::size_t k = 0; k < buffers.size(); ++k) {
    for (std::size_t i = 0; i < requests[k]; ++i) {
      INFO("buffer " << k << " element " << i);
      REQUIRE(buffers[k][i] == static_cast<float>(k));
    }
  }
  // Pairwise: [p_a, p_a + n_a) and [p_b, p_b + n_b) are disjoint for non-empty buffers.
  for (std::size_t a = 0; a < buffers.size(); ++a) {
    for (std::size_t b = a + 1; b < buffers.size(); ++b) {
      if (requests[a] == 0 || requests[b] == 0) continue;
      INFO("buffers " << a << " and " << b);
      CHECK((buffers[a] + requests[a] <= buffers[b] || buffers[b] + requests[b] <= buffers[a]));
    }
  }
}
