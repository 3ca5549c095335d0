#pragma once
// A counter-based random number generator: Philox-4x32-10 (Salmon et al., "Parallel random
// numbers: as easy as 1, 2, 3", SC 2011), with our own uniform and Gaussian transforms so that the
// native and the WebAssembly builds draw the same numbers for the same seed (never
// std::normal_distribution: libstdc++ and libc++ differ).
//
// A stream is (seed, stream id); its state is a 64-bit block position. Every draw consumes whole
// 128-bit blocks, so how many blocks a fill uses depends only on its length. That makes a saved
// state (three integers) enough to resume exactly, and lets callers give independent streams to
// independent purposes (batch indices, timesteps, noise) instead of sharing one sequence.
#include <array>
#include <cstddef>
#include <cstdint>

namespace diffuse {

using PhiloxCounter = std::array<std::uint32_t, 4>;
using PhiloxKey = std::array<std::uint32_t, 2>;

// The bijection itself: ten rounds of Philox-4x32 on one counter under one key.
PhiloxCounter philox4x32_10(PhiloxCounter counter, PhiloxKey key);

struct RngState {
  std::uint64_t seed = 0;
  std::uint64_t stream = 0;
  std::uint64_t position = 0;  // blocks consumed so far
};

class Rng {
 public:
  explicit Rng(std::uint64_t seed, std::uint64_t stream = 0, std::uint64_t position = 0);
  explicit Rng(const RngState& state) : Rng(state.seed, state.stream, state.position) {}

  RngState state() const { return {seed_, stream_, position_}; }

  // The next 128-bit block: four 32-bit words.
  PhiloxCounter next_block();

  void fill_u32(std::uint32_t* out, std::size_t n);
  // Uniform on [0, 1) with 24 random bits (every float32 value k * 2^-24 equally likely).
  void fill_uniform(float* out, std::size_t n);
  // Standard normal by Box-Muller, computed in float64 and rounded. One block gives four values:
  // u1 = (w0 + 1) / 2^32 in (0, 1], theta = 2 pi w1 / 2^32; likewise w2, w3. Tails are exact out
  // to |z| = sqrt(2 ln 2^32) = 6.66.
  void fill_normal(float* out, std::size_t n);
  void fill_normal(double* out, std::size_t n);
  // Integers uniform on {0, ..., bound - 1} (1 <= bound <= 2^31 - 1) from 64 random bits each by
  // multiply-shift; the bias is below bound / 2^64.
  void fill_below(std::int32_t* out, std::size_t n, std::uint32_t bound);

  float uniform();
  float normal();
  std::uint32_t below(std::uint32_t bound);

 private:
  PhiloxKey key_;
  std::uint64_t seed_;
  std::uint64_t stream_;
  std::uint64_t position_;
};

}  // namespace diffuse
