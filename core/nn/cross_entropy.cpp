#include "nn/cross_entropy.hpp"

#include <algorithm>
#include <cmath>

#include "base/check.hpp"

namespace diffuse {

double cross_entropy_forward_backward(float* d_logits, const float* logits,
                                      const std::int32_t* labels, std::size_t B, std::size_t K) {
  DIFFUSE_ASSERT(B >= 1 && K >= 1);
  const double inv_B = 1.0 / static_cast<double>(B);
  double total = 0.0;
  for (std::size_t b = 0; b < B; ++b) {
    const float* z = logits + b * K;
    const auto y = static_cast<std::size_t>(labels[b]);
    DIFFUSE_ASSERT(labels[b] >= 0 && y < K);
    const double m = *std::max_element(z, z + K);
    double sum = 0.0;
    for (std::size_t k = 0; k < K; ++k) sum += std::exp(static_cast<double>(z[k]) - m);
    total += m + std::log(sum) - static_cast<double>(z[y]);
    if (d_logits != nullptr) {
      float* d = d_logits + b * K;  // may alias z: each z[k] is read before d[k] is written
      for (std::size_t k = 0; k < K; ++k) {
        const double p = std::exp(static_cast<double>(z[k]) - m) / sum;
        d[k] = static_cast<float>((p - (k == y ? 1.0 : 0.0)) * inv_B);
      }
    }
  }
  return total * inv_B;
}

}  // namespace diffuse
