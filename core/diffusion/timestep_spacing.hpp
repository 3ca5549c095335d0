#pragma once
// Which K of the T training steps a sampler visits, with diffusers' meanings
// (docs/reference-workload.md, "Timestep spacings"). Lists are descending, as samplers walk them.
//   leading:  k * (T // K) for k = 0..K-1 (steps_offset 0)
//   trailing: round(T - k * T / K) - 1 for k = 0..K-1 (np.round(np.arange(T, 0, -T / K)) - 1);
//             always includes T - 1 (Lin et al. 2024)
//   linspace: round(linspace(0, T - 1, K))
// Rounding is numpy's: half to even. Where np.arange returns K + 1 values for trailing (e.g.
// T = 50, K = 29, whose extra last value rounds to 0 and becomes -1 in diffusers), the list here
// keeps the K values of the formula.
#include <string>
#include <string_view>
#include <vector>

#include "base/enum_names.hpp"

namespace diffuse {

enum class TimestepSpacing { leading, trailing, linspace };

// "leading", "trailing", "linspace"; other names throw Error listing the allowed ones.
// Names (base/enum_names.hpp).
inline const EnumNames<TimestepSpacing> timestep_spacings{
    "timestep spacing",
    {{TimestepSpacing::leading, "leading"},
     {TimestepSpacing::trailing, "trailing"},
     {TimestepSpacing::linspace, "linspace"}}};

// numpy's np.round: to the nearest integer, ties to even.
double round_half_even(double x);

// np.linspace(0, stop, count) (count >= 1): value i is i * stop / (count - 1), the last exactly stop.
std::vector<double> linspace_from_zero(double stop, int count);

// Throws Error unless T >= 1 and 1 <= K <= T.
void timestep_spacing_validate(int T, int K);

// The K timesteps (diffusers' indices in [0, T - 1]), strictly descending.
std::vector<int> timestep_spacing_make(TimestepSpacing spacing, int T, int K);

}  // namespace diffuse
