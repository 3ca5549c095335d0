#pragma once
// Shared by the GEMM tests (serial and threaded): one product's operands, filled from a seeded
// stream, and the shapes that exercise every path of the blocked kernel.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "base/executor.hpp"
#include "base/rng.hpp"
#include "kernels/gemm.hpp"

namespace diffuse::test {

using kernels::Transpose;

struct GemmCase {
  Transpose ta = Transpose::no, tb = Transpose::no;
  std::size_t M = 0, N = 0, K = 0;
  std::size_t pad_a = 0, pad_b = 0, pad_c = 0;  // extra row stride beyond the minimum
  float alpha = 1.0f, beta = 0.0f;

  std::size_t lda() const { return (ta == Transpose::no ? K : M) + pad_a; }
  std::size_t ldb() const { return (tb == Transpose::no ? N : K) + pad_b; }
  std::size_t ldc() const { return N + pad_c; }
  std::size_t a_rows() const { return ta == Transpose::no ? M : K; }
  std::size_t b_rows() const { return tb == Transpose::no ? K : N; }

  std::string describe() const {
    std::ostringstream out;
    out << "op(A)" << (ta == Transpose::yes ? "=A^T" : "=A") << " op(B)" << (tb == Transpose::yes ? "=B^T" : "=B")
        << " M=" << M << " N=" << N << " K=" << K << " lda=" << lda() << " ldb=" << ldb()
        << " ldc=" << ldc() << " alpha=" << alpha << " beta=" << beta;
    return out.str();
  }
};

// Operands of one case: A, B uniform on [-1, 1); C uniform, or NaN everywhere when beta = 0 (the
// kernel must not read it). The padding of C (columns N .. ldc-1) holds a sentinel that must
// survive untouched.
struct GemmData {
  std::vector<float> A, B, C;
  static constexpr float sentinel = -12345.0f;

  GemmData(const GemmCase& c, std::uint64_t seed) {
    Rng rng(seed);
    A.resize(std::max<std::size_t>(1, c.a_rows() * c.lda()));
    B.resize(std::max<std::size_t>(1, c.b_rows() * c.ldb()));
    C.resize(std::max<std::size_t>(1, c.M * c.ldc()));
    fill(rng, A);
    fill(rng, B);
    fill(rng, C);
    for (std::size_t i = 0; i < c.M; ++i) {
      for (std::size_t j = 0; j < c.ldc(); ++j) {
        float& x = C[i * c.ldc() + j];
        if (j >= c.N) x = sentinel;
        else if (c.beta == 0.0f) x = std::numeric_limits<float>::quiet_NaN();
      }
    }
  }

  static void fill(Rng& rng, std::vector<float>& v) {
    rng.fill_uniform(v.data(), v.size());
    for (float& x : v) x = 2.0f * x - 1.0f;
  }
};

inline void run_gemm(const GemmCase& c, const GemmData& in, std::vector<float>& C,
                     const Executor& executor) {
  kernels::gemm(c.ta, c.tb, c.M, c.N, c.K, c.alpha, in.A.data(), c.lda(), in.B.data(), c.ldb(), c.beta,
                C.data(), c.ldc(), executor);
}

// Shapes chosen to hit every path: tiny, one short tile in each direction, a tile plus one, the
// reference MLP's layers, K past one block (256), N below one vector (the dot-product path), and
// padded strides. Each is run for every transpose combination by the tests.
inline std::vector<GemmCase> gemm_named_shapes() {
  struct S { std::size_t M, N, K; };
  const S shapes[] = {
      {1, 1, 1},     {1, 1, 7},     {7, 1, 1},     {1, 9, 1},     {3, 5, 1},    {2, 2, 2},
      {9, 33, 17},   {17, 31, 65},  {33, 17, 3},   {65, 40, 1},   {1, 100, 40}, {100, 1, 40},
      {256, 128, 34}, {256, 128, 128}, {256, 2, 128}, {256, 128, 2}, {128, 34, 256},
      {128, 128, 256}, {2, 128, 256}, {37, 130, 300}, {13, 64, 513}, {5, 3, 700},
  };
  std::vector<GemmCase> out;
  for (const S& s : shapes) {
    GemmCase c;
    c.M = s.M;
    c.N = s.N;
    c.K = s.K;
    out.push_back(c);
  }
  return out;
}

// Random shapes from a seeded stream: sizes mixing tiny values and values around the tile and
// block sizes, random padding, alpha and beta (beta = 0 a third of the time).
inline std::vector<GemmCase> gemm_random_shapes(std::size_t count, std::uint64_t seed) {
  const std::size_t sizes[] = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 23, 31, 32, 33, 34, 47, 48, 49,
                               63, 64, 65, 95, 127, 128, 129, 200, 255, 257};
  const std::size_t n_sizes = sizeof(sizes) / sizeof(sizes[0]);
  Rng rng(seed, 1);
  std::vector<GemmCase> out;
  for (std::size_t i = 0; i < count; ++i) {
    GemmCase c;
    c.M = sizes[rng.below(n_sizes)];
    c.N = sizes[rng.below(n_sizes)];
    c.K = sizes[rng.below(n_sizes)];
    c.pad_a = rng.below(3) == 0 ? rng.below(9) : 0;
    c.pad_b = rng.below(3) == 0 ? rng.below(9) : 0;
    c.pad_c = rng.below(3) == 0 ? rng.below(9) : 0;
    const float alphas[] = {1.0f, -1.0f, 0.5f, 2.5f};
    const float betas[] = {0.0f, 1.0f, -0.75f};
    c.alpha = alphas[rng.below(4)];
    c.beta = betas[rng.below(3)];
    out.push_back(c);
  }
  return out;
}

inline const Transpose transpose_combinations[4][2] = {
    {Transpose::no, Transpose::no},
    {Transpose::no, Transpose::yes},
    {Transpose::yes, Transpose::no},
    {Transpose::yes, Transpose::yes},
};

}  // namespace diffuse::test
