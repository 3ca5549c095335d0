#include "kernels/fma_probe.hpp"

#include "kernels/gemm_tile.hpp"  // first: it includes xsimd behind a warning pragma

namespace diffuse::kernels {
namespace {

using detail::Batch;
using detail::lanes;

// As many chains as gemm's micro-tile has accumulators: enough to cover the FMA latency times
// the number of FMA ports on every machine measured, without spilling registers.
constexpr std::size_t chains = detail::tile_rows * detail::tile_vectors;

}  // namespace

std::size_t fma_probe_flops_per_iteration() {
  return 2 * chains * lanes;
}

float fma_probe(std::size_t iterations, float x, float m, float c) {
  Batch acc[chains];
  for (std::size_t i = 0; i < chains; ++i) acc[i] = Batch(x);
  const Batch vm(m), vc(c);
  for (std::size_t it = 0; it < iterations; ++it) {
    for (std::size_t i = 0; i < chains; ++i) acc[i] = detail::fma(acc[i], vm, vc);
  }
  Batch total(0.0f);
  for (std::size_t i = 0; i < chains; ++i) total += acc[i];
  return xsimd::hadd(total);
}

float fma_probe_ref(std::size_t iterations, float x, float m, float c) {
  float one = x;
  for (std::size_t it = 0; it < iterations; ++it) one = one * m + c;
  float total = 0.0f;
  for (std::size_t i = 0; i < chains * lanes; ++i) total += one;
  return total;
}

}  // namespace diffuse::kernels
