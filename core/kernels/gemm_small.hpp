#pragma once
// Internal to core/kernels: the path for products too narrow for the tiled kernel. With N smaller
// than one vector (a network's output layer, N = D = 2), a tile of C would leave most lanes idle,
// so each element of C is a dot product vectorized along K instead.
#include <cstddef>

#include "base/executor.hpp"
#include "kernels/gemm.hpp"

namespace diffuse::kernels::detail {

// Whether gemm takes the dot-product path: op(A) rows contiguous (A not transposed) and N below
// one vector. Depends on the shape only, never on the executor.
bool gemm_small_applies(Transpose trans_a, Transpose trans_b, std::size_t M, std::size_t N,
                        std::size_t K);

// Same contract as gemm, for shapes where gemm_small_applies.
void gemm_small(Transpose trans_a, Transpose trans_b, std::size_t M, std::size_t N, std::size_t K,
                float alpha, const float* A, std::size_t lda, const float* B, std::size_t ldb,
                float beta, float* C, std::size_t ldc, const Executor& executor);

}  // namespace diffuse::kernels::detail
