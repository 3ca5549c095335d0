#pragma once
// One point against many: the inner loops of the energy distance and of MMD (core/metrics), each
// with its scalar twin (*_ref, same signature).
//
//   distance_row_sum(p, Y, ld, D, m)        = sum_{j < m} |p - y_j|
//   rbf_row_sum(p, Y, ld, D, m, gamma)      = sum_{j < m} exp(-gamma |p - y_j|^2)
//
// p is one point (D,); Y holds the other points column-major, coordinate d of point j at
// Y[d * ld + j] (ld >= m), so that the loop over j is contiguous. Squared distances, square roots
// and exponentials are float32; the SIMD version sums each lane in float over at most 16 vectors
// before adding to a float64 total, the twin sums in float64 throughout.
#include <cstddef>

namespace diffuse::kernels {

double distance_row_sum(const float* p, const float* Y, std::size_t ld, std::size_t D,
                        std::size_t m);
double distance_row_sum_ref(const float* p, const float* Y, std::size_t ld, std::size_t D,
                            std::size_t m);

double rbf_row_sum(const float* p, const float* Y, std::size_t ld, std::size_t D, std::size_t m,
                   float gamma);
double rbf_row_sum_ref(const float* p, const float* Y, std::size_t ld, std::size_t D, std::size_t m,
                       float gamma);

}  // namespace diffuse::kernels
