// gemm with a 2- and a 3-thread pool gives bit for bit the serial result: tasks only decide who
// computes a tile of C, never how (core/base/executor.hpp).
#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "kernels/gemm.hpp"
#include "support/gemm_cases.hpp"
#include "support/thread_pool.hpp"

using namespace diffuse;
using namespace diffuse::test;

namespace {

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

void check_threads_agree(GemmCase c, std::uint64_t seed, const ThreadPool& two,
                         const ThreadPool& three) {
  for (const auto& t : transpose_combinations) {
    c.ta = t[0];
    c.tb = t[1];
    const GemmData in(c, seed);
    std::vector<float> serial = in.C, with_two = in.C, with_three = in.C;
    run_gemm(c, in, serial, serial_executor());
    run_gemm(c, in, with_two, two);
    run_gemm(c, in, with_three, three);
    INFO(c.describe());
    CHECK(same_bits(serial, with_two));
    CHECK(same_bits(serial, with_three));
  }
}

}  // namespace

TEST_CASE("gemm on 2 and 3 threads equals serial gemm bit for bit") {
  const ThreadPool two(2), three(3);
  std::uint64_t seed = 50;
  for (const GemmCase& c : gemm_named_shapes()) check_threads_agree(c, ++seed, two, three);
  for (const GemmCase& c : gemm_random_shapes(30, 11)) check_threads_agree(c, ++seed, two, three);
  // The training shapes at batch 4096 and the sampling forward (M = 10,000), where every thread
  // gets several row blocks and blocks of K.
  GemmCase big;
  big.M = 4096;
  big.N = 128;
  big.K = 128;
  check_threads_agree(big, ++seed, two, three);
  big.M = 128;
  big.K = 4096;
  big.beta = 1.0f;
  check_threads_agree(big, ++seed, two, three);
  big.N = 34;  // whole panels plus a column tail (with A transposed)
  check_threads_agree(big, ++seed, two, three);
  big.M = 10000;
  big.N = 128;
  big.K = 34;
  big.beta = 0.0f;
  check_threads_agree(big, ++seed, two, three);
}
