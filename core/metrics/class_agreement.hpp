#pragma once
// How often a classifier's predictions agree with the classes asked for: for class-conditional
// samples, the fraction the classifier labels as the class they were generated for; for held-out
// images with their true labels, the classifier's accuracy. Per class k:
//   agreement_k = #{i : requested_i = k and predicted_i = k} / #{i : requested_i = k}
// and overall: #{i : predicted_i = requested_i} / n (which weights classes by their counts).
#include <cstddef>
#include <vector>

#include "base/tensor.hpp"

namespace diffuse {

struct ClassAgreement {
  std::vector<std::size_t> requested;  // (K,) images asked for (or labelled) as class k
  std::vector<std::size_t> agreed;     // (K,) of those, how many were predicted as k
  std::size_t total = 0;               // n
  std::size_t total_agreed = 0;

  double overall() const;                // total_agreed / total (0 if n = 0)
  double of_class(std::size_t k) const;  // agreed[k] / requested[k] (NaN if none requested)
};

// Throws Error unless both have n entries, every requested class is in 0..K-1 and every prediction
// in 0..K-1 (K >= 1).                                                requested: (n,), predicted:
// (n,)
ClassAgreement class_agreement(const Labels& requested, const Labels& predicted, std::size_t K);

}  // namespace diffuse
