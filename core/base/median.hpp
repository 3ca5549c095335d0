#pragma once
// The median of a non-empty list of numbers (the mean of the two middle values for an even count),
// in linear time: used by the metrics' bandwidth heuristic and by every benchmark or measurement
// that reports a median of repetitions.
#include <algorithm>
#include <vector>

#include "base/check.hpp"

namespace diffuse {

// Reorders `values`.
inline double median_in_place(std::vector<double>& values) {
  DIFFUSE_ASSERT(!values.empty());
  const std::size_t mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + mid, values.end());
  const double upper = values[mid];
  if (values.size() % 2 == 1) return upper;
  const double lower = *std::max_element(values.begin(), values.begin() + mid);
  return 0.5 * (lower + upper);
}

inline double median(std::vector<double> values) { return median_in_place(values); }

}  // namespace diffuse
