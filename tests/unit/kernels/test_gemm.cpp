// gemm against the naive double-precision gemm_ref on named and random shapes, for all four
// transpose combinations, including alpha/beta, padded strides, beta = 0 with NaN in C, and the
// degenerate sizes (M, N or K = 0).
// gemm.cpp's parts are all exercised through it: the blocked driver (gemm_driver.hpp), packing
// (gemm_pack.cpp), the micro-tile (gemm_tile.hpp), narrow shapes (gemm_small.cpp), column sums
// (gemm_columns.cpp) and the explicit FMAs (simd_fma.hpp); the twin is gemm_ref.cpp.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/gemm.hpp"
#include "support/gemm_cases.hpp"

using namespace diffuse;
using namespace diffuse::test;

namespace {

constexpr double unit_roundoff = 1.0 / (1 << 24);  // u = 2^-24 for float32

// Checks C (from gemm) against Cref (from gemm_ref) elementwise.
//
// Tolerance, derived rather than tuned: gemm sums K products in float32, each step one rounding
// (an fma, or a multiply and an add without FMA hardware: two), so by the standard bound for
// recursive summation |fl(sum) - sum| <= gamma_2K * S with gamma_n = n u / (1 - n u),
// u = 2^-24, and S = sum_k |op(A)(i,k) op(B)(k,j)|. Scaling by alpha, adding beta * C0, and adding
// each later block of 256 k's into C cost a few more roundings of at most u * (|alpha| S + |beta
// C0|) each. gemm_ref rounds the double result once (u |C|). So
//   |C - Cref| <= (2K + 2 * blocks + 4) u (|alpha| S + |beta C0|),
// which a wrong index or a missing term (an error of order |a b| ~ S / K or more) exceeds.
void check_against_ref(const GemmCase& c, const GemmData& in, const std::vector<float>& C) {
  std::vector<float> ref = in.C;
  kernels::gemm_ref(c.ta, c.tb, c.M, c.N, c.K, c.alpha, in.A.data(), c.lda(), in.B.data(), c.ldb(),
                    c.beta, ref.data(), c.ldc());
  const double blocks = std::ceil(static_cast<double>(c.K) / 256.0);
  const double factor = (2.0 * c.K + 2.0 * blocks + 4.0) * unit_roundoff;
  std::size_t bad = 0;
  std::string first_bad;
  for (std::size_t i = 0; i < c.M; ++i) {
    for (std::size_t j = 0; j < c.ldc(); ++j) {
      const float got = C[i * c.ldc() + j];
      if (j >= c.N) {  // padding: never written
        if (std::memcmp(&got, &GemmData::sentinel, sizeof got) != 0 && bad++ == 0) {
          first_bad = "padding C(" + std::to_string(i) + "," + std::to_string(j) + ") overwritten";
        }
        continue;
      }
      double S = 0;
      for (std::size_t k = 0; k < c.K; ++k) {
        const float a = c.ta == Transpose::no ? in.A[i * c.lda() + k] : in.A[k * c.lda() + i];
        const float b = c.tb == Transpose::no ? in.B[k * c.ldb() + j] : in.B[j * c.ldb() + k];
        S += std::abs(static_cast<double>(a) * b);
      }
      const double c0 = c.beta == 0.0f ? 0.0 : std::abs(static_cast<double>(c.beta) * in.C[i * c.ldc() + j]);
      const double tol = factor * (std::abs(c.alpha) * S + c0);
      const float want = ref[i * c.ldc() + j];
      if (!(std::abs(static_cast<double>(got) - want) <= tol) && bad++ == 0) {
        first_bad = "C(" + std::to_string(i) + "," + std::to_string(j) + ") = " + std::to_string(got) +
                    ", reference " + std::to_string(want) + ", tolerance " + std::to_string(tol);
      }
    }
  }
  INFO(c.describe());
  INFO(first_bad);
  CHECK(bad == 0);
}

void check_case(const GemmCase& c, std::uint64_t seed) {
  const GemmData in(c, seed);
  std::vector<float> C = in.C;
  run_gemm(c, in, C, serial_executor());
  check_against_ref(c, in, C);
}

}  // namespace

TEST_CASE("gemm equals gemm_ref on named shapes, every transpose combination") {
  std::uint64_t seed = 100;
  for (GemmCase c : gemm_named_shapes()) {
    for (const auto& t : transpose_combinations) {
      c.ta = t[0];
      c.tb = t[1];
      for (const float beta : {0.0f, 1.0f}) {
        c.beta = beta;
        c.alpha = beta == 0.0f ? 1.0f : -0.5f;
        check_case(c, ++seed);
      }
    }
  }
}

TEST_CASE("gemm equals gemm_ref on 60 random shapes with padding, alpha and beta") {
  std::uint64_t seed = 1000;
  for (GemmCase c : gemm_random_shapes(60, 7)) {
    for (const auto& t : transpose_combinations) {
      c.ta = t[0];
      c.tb = t[1];
      check_case(c, ++seed);
    }
  }
}

TEST_CASE("gemm with beta = 0 overwrites NaN in C and leaves the padding alone") {
  for (const auto& t : transpose_combinations) {
    GemmCase c;
    c.ta = t[0];
    c.tb = t[1];
    c.M = 19;
    c.N = 37;
    c.K = 11;
    c.pad_c = 5;
    c.beta = 0.0f;
    const GemmData in(c, 3);  // C is NaN wherever it is not padding
    std::vector<float> C = in.C;
    run_gemm(c, in, C, serial_executor());
    for (std::size_t i = 0; i < c.M; ++i) {
      for (std::size_t j = 0; j < c.N; ++j) REQUIRE(std::isfinite(C[i * c.ldc() + j]));
    }
    check_against_ref(c, in, C);
  }
}

TEST_CASE("gemm with K = 0 scales C by beta, and with M or N = 0 touches nothing") {
  for (const float beta : {0.0f, 2.0f}) {
    GemmCase c;
    c.M = 5;
    c.N = 6;
    c.K = 0;
    c.beta = beta;
    const GemmData in(c, 4);
    std::vector<float> C = in.C;
    run_gemm(c, in, C, serial_executor());
    for (std::size_t i = 0; i < c.M * c.N; ++i) {
      CHECK(C[i] == (beta == 0.0f ? 0.0f : beta * in.C[i]));
    }
  }
  float C[4] = {1, 2, 3, 4};
  const float A[4] = {1, 1, 1, 1};
  kernels::gemm(Transpose::no, Transpose::no, 0, 2, 2, 1.0f, A, 2, A, 2, 0.0f, C, 2);
  kernels::gemm(Transpose::no, Transpose::no, 2, 0, 2, 1.0f, A, 2, A, 2, 0.0f, C, 2);
  CHECK(C[0] == 1.0f);
  CHECK(C[3] == 4.0f);
}

TEST_CASE("gemm accumulates into C with beta = 1 exactly like one longer product") {
  // dW += dY^T X over two half-batches equals one product over the whole batch, to rounding.
  const std::size_t out = 24, in = 10, batch = 64;
  GemmCase whole;
  whole.ta = Transpose::yes;
  whole.M = out;
  whole.N = in;
  whole.K = batch;
  whole.beta = 1.0f;
  const GemmData data(whole, 9);
  std::vector<float> C = data.C;
  // first half then second half of the K rows of A (stored K x M) and B (K x N)
  kernels::gemm(Transpose::yes, Transpose::no, out, in, batch / 2, 1.0f, data.A.data(), out,
                data.B.data(), in, 1.0f, C.data(), in);
  kernels::gemm(Transpose::yes, Transpose::no, out, in, batch / 2, 1.0f, data.A.data() + batch / 2 * out,
                out, data.B.data() + batch / 2 * in, in, 1.0f, C.data(), in);
  check_against_ref(whole, data, C);
}
