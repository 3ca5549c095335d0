#include "diffusion/timestep_coefficients.hpp"

#include "base/check.hpp"

namespace diffuse {

std::vector<float> gather_at_steps(const Table& table, const Steps& t) {
  std::vector<float> out(t.size());
  for (std::size_t b = 0; b < t.size(); ++b) {
    DIFFUSE_ASSERT(t(b) >= 0 && static_cast<std::size_t>(t(b)) < table.size());
    out[b] = static_cast<float>(table(static_cast<std::size_t>(t(b))));
  }
  return out;
}

}  // namespace diffuse
