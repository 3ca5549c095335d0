#include "diffusion/timestep_spacing.hpp"

#include <algorithm>
#include <cmath>

#include "base/check.hpp"
#include "base/error.hpp"

namespace diffuse {

// Independent of the FPU rounding mode.
double round_half_even(double x) {
  const double floor = std::floor(x);
  const double fraction = x - floor;
  double rounded = floor;
  if (fraction > 0.5 || (fraction == 0.5 && std::fmod(floor, 2.0) != 0.0)) rounded = floor + 1.0;
  return rounded;
}

std::vector<double> linspace_from_zero(double stop, int count) {
  DIFFUSE_ASSERT(count >= 1);
  std::vector<double> values(static_cast<std::size_t>(count), 0.0);
  const double step = count > 1 ? stop / (count - 1) : 0.0;
  for (int i = 0; i < count; ++i) values[static_cast<std::size_t>(i)] = i * step;
  if (count > 1) values.back() = stop;
  return values;
}

void timestep_spacing_validate(int T, int K) {
  if (T < 1) fail("timesteps T = ", T, " is invalid: must be at least 1");
  if (K < 1 || K > T) fail("steps = ", K, " is invalid: must be in [1, T] = [1, ", T, "]");
}

std::vector<int> timestep_spacing_make(TimestepSpacing spacing, int T, int K) {
  timestep_spacing_validate(T, K);
  std::vector<int> steps(static_cast<std::size_t>(K));
  switch (spacing) {
    case TimestepSpacing::leading: {
      const int stride = T / K;
      for (int k = 0; k < K; ++k) steps[static_cast<std::size_t>(k)] = (K - 1 - k) * stride;
      break;
    }
    case TimestepSpacing::trailing: {
      // As np.arange(T, 0, -T / K): value k is T + k * delta with delta = (T + step) - T.
      const double step = -static_cast<double>(T) / K;
      const double delta = (static_cast<double>(T) + step) - static_cast<double>(T);
      for (int k = 0; k < K; ++k) {
        steps[static_cast<std::size_t>(k)] = static_cast<int>(round_half_even(T + k * delta)) - 1;
      }
      break;
    }
    case TimestepSpacing::linspace: {
      // As np.linspace(0, T - 1, K), reversed to descend.
      const std::vector<double> values = linspace_from_zero(T - 1, K);
      for (int i = 0; i < K; ++i) {
        steps[static_cast<std::size_t>(K - 1 - i)] =
            static_cast<int>(round_half_even(values[static_cast<std::size_t>(i)]));
      }
      break;
    }
    default:
      fail("unknown timestep spacing ", static_cast<int>(spacing),
           ": allowed are leading, trailing, linspace");
  }
  for (std::size_t k = 0; k < steps.size(); ++k) {
    DIFFUSE_ASSERT(steps[k] >= 0 && steps[k] < T);
    DIFFUSE_ASSERT(k == 0 || steps[k] < steps[k - 1]);
  }
  return steps;
}

}  // namespace diffuse
