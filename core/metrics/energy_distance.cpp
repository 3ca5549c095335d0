#include "metrics/energy_distance.hpp"

#include "base/error.hpp"
#include "metrics/pair_sums.hpp"

namespace diffuse {

EnergyDistance energy_distance(const Tensor2& x, const Tensor2& y) {
  const std::size_t n = x.shape(0), m = y.shape(0);
  if (x.shape(1) != y.shape(1) || x.shape(1) == 0) {
    fail("energy distance between points of dimension ", x.shape(1), " and ", y.shape(1),
         ": expected the same dimension, at least 1");
  }
  if (n < 2 || m < 2) {
    fail("energy distance between ", n, " and ", m, " points: expected at least 2 in each set");
  }
  const PairFunction distance{PairFunction::Kind::distance, 0.0f};
  const double dn = static_cast<double>(n), dm = static_cast<double>(m);
  EnergyDistance e;
  e.cross_mean = pair_sum_cross(x, y, distance) / (dn * dm);
  // Each unordered pair once: the mean over ordered pairs i != i' is the same.
  e.x_mean = pair_sum_within(x, distance) / (dn * (dn - 1) / 2);
  e.y_mean = pair_sum_within(y, distance) / (dm * (dm - 1) / 2);
  e.u_statistic = 2 * e.cross_mean - e.x_mean - e.y_mean;
  e.v_statistic = 2 * e.cross_mean - (dn - 1) / dn * e.x_mean - (dm - 1) / dm * e.y_mean;
  return e;
}

}  // namespace diffuse
