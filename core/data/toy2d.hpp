#pragma once
// The seven 2D toy data sets, exactly as docs/reference-workload.md ("2D data sets") defines them.
// Every point is drawn independently; U is uniform, N normal.
//
//   moons         upper moon (cos a, sin a) or lower moon (1 - cos a, 1/2 - sin a), probability
//                 1/2 each, a ~ U[0, pi), plus N(0, 0.05^2) per coordinate
//   circles       radius 1 or 1/2 (probability 1/2 each), angle ~ U[0, 2 pi), plus N(0, 0.03^2)
//   gaussians8    centre k ~ U{0..7} at 2 (cos(2 pi k / 8), sin(2 pi k / 8)), plus N(0, 0.1^2 I)
//   gaussians25   centre uniform on the grid {-2, -1, 0, 1, 2}^2, plus N(0, 0.05^2 I)
//   swissroll     s = 1.5 pi (1 + 2u), u ~ U[0, 1); (s cos s, s sin s) / 5, plus N(0, 0.1^2)
//   checkerboard  x ~ U[-2, 2), y ~ U[0, 1) - 2b + (floor(x) mod 2), b ~ U{0, 1} (mod is the
//                 non-negative remainder): the dark squares of a 4x4 board on [-2, 2)^2
//   spirals       r = sqrt(u) 3 pi, u ~ U[0, 1); arm 1 (-r cos r, r sin r), arm 2 its negation
//                 (probability 1/2 each); plus N(0, 0.1^2); all divided by 3 (noise included,
//                 so the noise of the result has standard deviation 0.1 / 3)
//
// Draws come from the one Rng in a fixed order (documented per set in toy2d.cpp), in bulk: the
// discrete choices for all n points, then the uniforms, then the normals. The same seed gives the
// same points natively and in WebAssembly.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/enum_names.hpp"
#include "base/rng.hpp"
#include "base/tensor.hpp"

namespace diffuse {

enum class Toy2d { moons, circles, gaussians8, gaussians25, swissroll, checkerboard, spirals };

// The stream id for drawing a training set from a run's seed: Rng(seed, toy2d_rng_stream). Every
// caller that draws "the data set of seed S" uses it, so `diffuse data --seed S` writes exactly
// the points that a training run with seed S draws.
inline constexpr std::uint64_t toy2d_rng_stream = 0x64617461;  // "data"

// Names as in the spec: "moons", "circles", ... Unknown names throw an Error listing the allowed
// ones.
// Names (base/enum_names.hpp).
inline const EnumNames<Toy2d> toy2d_sets{"data set",
                                         {{Toy2d::moons, "moons"},
                                          {Toy2d::circles, "circles"},
                                          {Toy2d::gaussians8, "gaussians8"},
                                          {Toy2d::gaussians25, "gaussians25"},
                                          {Toy2d::swissroll, "swissroll"},
                                          {Toy2d::checkerboard, "checkerboard"},
                                          {Toy2d::spirals, "spirals"}}};

// Class labels: the discrete choice that picked a point's component, for the sets that have one:
// moons (0 the upper moon, 1 the lower), circles (0 radius 1, 1 radius 1/2), gaussians8 (the
// centre k), gaussians25 (the grid cell k), spirals (0 the first arm, 1 the negated one). The
// labels cost no draws: points are the same with or without them.
std::size_t toy2d_classes(Toy2d set);  // K, or 0 for a set without labels

// n points of a data set (n, 2); with labels also each point's class (n,) (Error for a set
// without labels).
Tensor2 toy2d_sample(Toy2d set, std::size_t n, Rng& rng, Labels* labels = nullptr);
Tensor2 toy2d_sample(std::string_view name, std::size_t n, Rng& rng, Labels* labels = nullptr);

}  // namespace diffuse
