#include "base/rng.hpp"

#include <cmath>

namespace diffuse {
namespace {

constexpr std::uint32_t philox_m0 = 0xD2511F53u;
constexpr std::uint32_t philox_m1 = 0xCD9E8D57u;
constexpr std::uint32_t philox_w0 = 0x9E3779B9u;  // golden ratio
constexpr std::uint32_t philox_w1 = 0xBB67AE85u;  // sqrt(3) - 1

constexpr double two_pow_minus_32 = 1.0 / 4294967296.0;
constexpr float two_pow_minus_24 = 1.0f / 16777216.0f;
constexpr double two_pi = 6.283185307179586476925286766559;

inline void mulhilo(std::uint32_t a, std::uint32_t b, std::uint32_t& hi, std::uint32_t& lo) {
  const std::uint64_t product = static_cast<std::uint64_t>(a) * b;
  hi = static_cast<std::uint32_t>(product >> 32);
  lo = static_cast<std::uint32_t>(product);
}

// Box-Muller on two 32-bit words.
inline void box_muller(std::uint32_t w_radius, std::uint32_t w_angle, double& z0, double& z1) {
  const double u1 = (static_cast<double>(w_radius) + 1.0) * two_pow_minus_32;  // (0, 1]
  const double theta = two_pi * (static_cast<double>(w_angle) * two_pow_minus_32);
  const double radius = std::sqrt(-2.0 * std::log(u1));
  z0 = radius * std::cos(theta);
  z1 = radius * std::sin(theta);
}

template <typename Real>
void fill_normal_impl(Rng& rng, Real* out, std::size_t n) {
  std::size_t i = 0;
  while (i < n) {
    const PhiloxCounter w = rng.next_block();
    double z[4];
    box_muller(w[0], w[1], z[0], z[1]);
    box_muller(w[2], w[3], z[2], z[3]);
    for (int k = 0; k < 4 && i < n; ++k) out[i++] = static_cast<Real>(z[k]);
  }
}

}  // namespace

PhiloxCounter philox4x32_10(PhiloxCounter ctr, PhiloxKey key) {
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      key[0] += philox_w0;
      key[1] += philox_w1;
    }
    std::uint32_t hi0, lo0, hi1, lo1;
    mulhilo(philox_m0, ctr[0], hi0, lo0);
    mulhilo(philox_m1, ctr[2], hi1, lo1);
    ctr = {hi1 ^ ctr[1] ^ key[0], lo1, hi0 ^ ctr[3] ^ key[1], lo0};
  }
  return ctr;
}

Rng::Rng(std::uint64_t seed, std::uint64_t stream, std::uint64_t position)
    : key_{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)},
      seed_(seed),
      stream_(stream),
      position_(position) {}

PhiloxCounter Rng::next_block() {
  const PhiloxCounter counter = {
      static_cast<std::uint32_t>(position_), static_cast<std::uint32_t>(position_ >> 32),
      static_cast<std::uint32_t>(stream_), static_cast<std::uint32_t>(stream_ >> 32)};
  ++position_;
  return philox4x32_10(counter, key_);
}

void Rng::fill_u32(std::uint32_t* out, std::size_t n) {
  std::size_t i = 0;
  while (i < n) {
    const PhiloxCounter w = next_block();
    for (int k = 0; k < 4 && i < n; ++k) out[i++] = w[k];
  }
}

void Rng::fill_uniform(float* out, std::size_t n) {
  std::size_t i = 0;
  while (i < n) {
    const PhiloxCounter w = next_block();
    for (int k = 0; k < 4 && i < n; ++k) out[i++] = static_cast<float>(w[k] >> 8) * two_pow_minus_24;
  }
}

void Rng::fill_normal(float* out, std::size_t n) { fill_normal_impl(*this, out, n); }
void Rng::fill_normal(double* out, std::size_t n) { fill_normal_impl(*this, out, n); }

void Rng::fill_below(std::int32_t* out, std::size_t n, std::uint32_t bound) {
  std::size_t i = 0;
  while (i < n) {
    const PhiloxCounter w = next_block();
    for (int k = 0; k < 4 && i < n; k += 2) {
      const std::uint64_t bits = (static_cast<std::uint64_t>(w[k]) << 32) | w[k + 1];
      // floor(bits * bound / 2^64), computed exactly with a 64x32 -> 96-bit product.
      const std::uint64_t lo = (bits & 0xFFFFFFFFull) * bound;
      const std::uint64_t hi = (bits >> 32) * bound + (lo >> 32);
      out[i++] = static_cast<std::int32_t>(hi >> 32);
    }
  }
}

float Rng::uniform() {
  float value;
  fill_uniform(&value, 1);
  return value;
}

float Rng::normal() {
  float value;
  fill_normal(&value, 1);
  return value;
}

std::uint32_t Rng::below(std::uint32_t bound) {
  std::int32_t value;
  fill_below(&value, 1, bound);
  return static_cast<std::uint32_t>(value);
}

}  // namespace diffuse
