#include "diffusion/loss_by_t.hpp"

#include <cmath>
#include <limits>

#include "base/check.hpp"
#include "base/error.hpp"

namespace diffuse {

LossByT::LossByT(int T, int buckets, double smoothing) : T_(T), smoothing_(smoothing) {
  if (T < 1) fail("T = ", T, " is invalid for loss-by-t tracking: must be >= 1");
  if (buckets < 1 || buckets > T) fail("buckets = ", buckets, " is invalid: must be in [1, T = ", T, "]");
  if (!(smoothing >= 0 && smoothing < 1)) fail("smoothing = ", smoothing, " is invalid: must be in [0, 1)");
  sums_.assign(buckets, 0.0);
  updates_.assign(buckets, 0);
  counts_.assign(buckets, 0);
}

int LossByT::bucket_of(int t) const {
  DIFFUSE_ASSERT(t >= 0 && t < T_);
  return static_cast<int>(static_cast<long long>(t) * buckets() / T_);
}

int LossByT::bucket_start(int k) const {
  // The smallest t with floor(t * K / T) >= k, i.e. ceil(k T / K).
  return static_cast<int>((static_cast<long long>(k) * T_ + buckets() - 1) / buckets());
}

void LossByT::add(const Steps& t, const std::vector<double>& per_row) {
  const int K = buckets();
  std::vector<double> batch_sum(K, 0.0);
  std::vector<std::size_t> batch_count(K, 0);
  for (std::size_t b = 0; b < t.size(); ++b) {
    const int k = bucket_of(t(b));
    batch_sum[k] += per_row[b];
    ++batch_count[k];
  }
  for (int k = 0; k < K; ++k) {
    if (batch_count[k] == 0) continue;
    const double mean = batch_sum[k] / static_cast<double>(batch_count[k]);
    sums_[k] = smoothing_ * sums_[k] + (1.0 - smoothing_) * mean;
    ++updates_[k];
    counts_[k] += batch_count[k];
  }
}

std::vector<double> LossByT::values() const {
  std::vector<double> out(sums_.size(), std::numeric_limits<double>::quiet_NaN());
  for (std::size_t k = 0; k < sums_.size(); ++k) {
    if (updates_[k] == 0) continue;
    out[k] = sums_[k] / (1.0 - std::pow(smoothing_, static_cast<double>(updates_[k])));
  }
  return out;
}

void LossByT::reset() {
  std::fill(sums_.begin(), sums_.end(), 0.0);
  std::fill(updates_.begin(), updates_.end(), 0);
  std::fill(counts_.begin(), counts_.end(), 0);
}

}  // namespace diffuse
