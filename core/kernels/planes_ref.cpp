#include "kernels/planes.hpp"

namespace diffuse::kernels {

void plane_add_ref(float* x, const float* v, std::size_t planes, std::size_t pixels) {
  for (std::size_t p = 0; p < planes; ++p) {
    for (std::size_t i = 0; i < pixels; ++i) x[p * pixels + i] += v[p];
  }
}

void plane_sums_accumulate_ref(float* sums, const float* x, std::size_t planes,
                               std::size_t pixels) {
  for (std::size_t p = 0; p < planes; ++p) {
    double s = sums[p];
    for (std::size_t i = 0; i < pixels; ++i) s += x[p * pixels + i];
    sums[p] = static_cast<float>(s);
  }
}

}  // namespace diffuse::kernels
