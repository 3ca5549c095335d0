#pragma once
// Carving one allocation (an arena) into named, 64-byte-aligned float buffers: a first pass with
// no base only counts, the second hands out pointers. A network's workspace sizes its arena once
// per batch size, so a steady-state step allocates nothing.
//
//   for (int pass = 0; pass < 2; ++pass) {
//     ArenaCarver carve(pass == 0 ? nullptr : arena.data());
//     h = carve.take(B * H);  ...
//     if (pass == 0) arena.resize(carve.used());
//   }
#include <cstddef>

#include "base/aligned.hpp"

namespace diffuse {

class ArenaCarver {
 public:
  explicit ArenaCarver(float* base) : base_(base) {}

  // n floats, rounded up to a whole number of 64-byte lines; nullptr while counting.
  float* take(std::size_t n) {
    float* p = base_ == nullptr ? nullptr : base_ + used_;
    used_ += round_up(n);
    return p;
  }
  std::size_t used() const { return used_; }

  static std::size_t round_up(std::size_t n) {
    constexpr std::size_t line = simd_alignment / sizeof(float);
    return (n + line - 1) / line * line;
  }

 private:
  float* base_;
  std::size_t used_ = 0;
};

}  // namespace diffuse
