// Energy distance and RBF MMD^2 between two sets of n = m = 10,000 2D points (the size the CLI
// and the page evaluate), with the SIMD row kernels and, for comparison, their scalar twins.
// Usage: bench_metrics [n] [D]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "base/rng.hpp"
#include "kernels/arch.hpp"
#include "kernels/pairwise.hpp"
#include "metrics/energy_distance.hpp"
#include "metrics/mmd.hpp"

using namespace diffuse;

namespace {

template <typename F>
double seconds(F f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// All n x m pairs through one row kernel: the cross term's work, without the blocking.
template <typename Kernel>
double all_pairs(const Tensor2& x, const std::vector<float>& yt, std::size_t m, Kernel kernel) {
  double sum = 0;
  for (std::size_t i = 0; i < x.shape(0); ++i) sum += kernel(&x(i, 0), yt.data(), m, x.shape(1), m);
  return sum;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t n = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 10000;
  const std::size_t D = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 2;
  Rng rng(1);
  Tensor2 x = Tensor2::from_shape({n, D}), y = Tensor2::from_shape({n, D});
  rng.fill_normal(x.data(), x.size());
  rng.fill_normal(y.data(), y.size());
  std::vector<float> yt(n * D);
  for (std::size_t j = 0; j < n; ++j) {
    for (std::size_t d = 0; d < D; ++d) yt[d * n + j] = y(j, d);
  }
  std::printf("n = m = %zu, D = %zu, SIMD %s\n", n, D, kernels::simd_arch_name().c_str());

  EnergyDistance e;
  std::printf("energy_distance (3 pair sums):        %.3f s\n",
              seconds([&] { e = energy_distance(x, y); }));
  Mmd mmd;
  std::printf("mmd_rbf, median heuristic (1000 pts): %.3f s\n",
              seconds([&] { mmd = mmd_rbf(x, y); }));
  std::printf("  D^2_U = %.6g, MMD^2 = %.6g (h = %.4g)\n", e.u_statistic, mmd.mmd2, mmd.bandwidth);

  double s[4];
  const double t_dist = seconds([&] { s[0] = all_pairs(x, yt, n, kernels::distance_row_sum); });
  const double t_dist_ref =
      seconds([&] { s[1] = all_pairs(x, yt, n, kernels::distance_row_sum_ref); });
  const auto rbf = [](auto... a) { return kernels::rbf_row_sum(a..., 0.5f); };
  const auto rbf_ref = [](auto... a) { return kernels::rbf_row_sum_ref(a..., 0.5f); };
  const double t_rbf = seconds([&] { s[2] = all_pairs(x, yt, n, rbf); });
  const double t_rbf_ref = seconds([&] { s[3] = all_pairs(x, yt, n, rbf_ref); });
  std::printf("n x m distances: SIMD %.3f s, scalar %.3f s (sums %.9g, %.9g)\n", t_dist, t_dist_ref,
              s[0], s[1]);
  std::printf("n x m RBF:       SIMD %.3f s, scalar %.3f s (sums %.9g, %.9g)\n", t_rbf, t_rbf_ref,
              s[2], s[3]);
  return 0;
}
