#pragma once
// Gathers a schedule table at each example's timestep, as float32 for the row-wise kernels.
#include <vector>

#include "base/tensor.hpp"

namespace diffuse {

// out(b) = table(t(b)); every t(b) must be a valid index (asserted in debug builds).
std::vector<float> gather_at_steps(const Table& table, const Steps& t);

}  // namespace diffuse
