#pragma once
// Loss versus timestep. The batch loss mixes timesteps (early steps are hard to predict in eps
// space, late ones easy) and hides progress; tracking it per bucket of t shows which part of the
// chain the model has learned.
#include <cstddef>
#include <vector>

#include "base/tensor.hpp"

namespace diffuse {

class LossByT {
 public:
  // T timesteps split into `buckets` equal ranges; each bucket keeps an exponential moving
  // average of its batch means with factor `smoothing` per batch that touches it, bias-corrected
  // as in Adam so that the first values are not pulled towards 0.
  LossByT(int T, int buckets = 20, double smoothing = 0.95);

  // per_row (B,): the unweighted loss of each example at its step t (B,).
  void add(const Steps& t, const std::vector<double>& per_row);

  int buckets() const { return static_cast<int>(sums_.size()); }
  int bucket_of(int t) const;
  // The first step of bucket k (buckets cover [start(k), start(k + 1))).
  int bucket_start(int k) const;
  // The smoothed loss of each bucket; NaN where no example has landed yet.
  std::vector<double> values() const;
  std::vector<std::size_t> counts() const { return counts_; }
  void reset();

 private:
  int T_;
  double smoothing_;
  std::vector<double> sums_;            // (buckets,) running average, not yet bias-corrected
  std::vector<std::size_t> updates_;    // (buckets,) batches that touched the bucket
  std::vector<std::size_t> counts_;     // (buckets,) examples seen
};

}  // namespace diffuse
