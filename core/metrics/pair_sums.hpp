#pragma once
// Sums of a function of the distance over all pairs of two point sets, or over the distinct pairs
// of one set, in blocks so that each block of the second set stays in cache while every point of
// the first runs over it (kernels/pairwise.hpp does the inner loop). O(n m) time, O((n + m) D)
// memory. Used by the energy distance (f = |a - b|) and MMD (f = exp(-gamma |a - b|^2)).
#include "base/tensor.hpp"

namespace diffuse {

struct PairFunction {
  enum class Kind { distance, rbf } kind = Kind::distance;
  float gamma = 0.0f;  // rbf only: exp(-gamma |a - b|^2)
};

// sum_{i < n} sum_{j < m} f(a_i, b_j)                                     a: (n, D), b: (m, D)
double pair_sum_cross(const Tensor2& a, const Tensor2& b, PairFunction f);
// sum_{i < j < n} f(a_i, a_j): each unordered pair once                              a: (n, D)
double pair_sum_within(const Tensor2& a, PairFunction f);

}  // namespace diffuse
