#include <cmath>

#include "kernels/pairwise.hpp"

namespace diffuse::kernels {
namespace {

float squared_distance(const float* p, const float* Y, std::size_t ld, std::size_t D,
                       std::size_t j) {
  float d2 = 0.0f;
  for (std::size_t d = 0; d < D; ++d) {
    const float diff = p[d] - Y[d * ld + j];
    d2 += diff * diff;
  }
  return d2;
}

}  // namespace

double distance_row_sum_ref(const float* p, const float* Y, std::size_t ld, std::size_t D,
                            std::size_t m) {
  double sum = 0.0;
  for (std::size_t j = 0; j < m; ++j) sum += std::sqrt(squared_distance(p, Y, ld, D, j));
  return sum;
}

double rbf_row_sum_ref(const float* p, const float* Y, std::size_t ld, std::size_t D, std::size_t m,
                       float gamma) {
  double sum = 0.0;
  for (std::size_t j = 0; j < m; ++j) sum += std::exp(-gamma * squared_distance(p, Y, ld, D, j));
  return sum;
}

}  // namespace diffuse::kernels
