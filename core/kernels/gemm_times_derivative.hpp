#pragma once
// The input gradient of a layer, turned into the layer below's pre-activation gradient in the
// same pass: for a chain  pre_1 -> act -> h -> Linear (weight W) -> ...  backward gives
// dL/dh = dpre_2 W and then dL/dpre_1 = dL/dh * act'(pre_1). Multiplying in the GEMM's epilogue,
// while each tile of dL/dh is in registers, saves the pass that would read dL/dh and act'(pre_1)
// and write dL/dpre_1 (at a batch of 256 and more, a trip to L2 or L3 for every element).
//
//   C (M, N) = (A B) * act'(pre)   elementwise, with dact (M, N) = act'(pre) as kept by the
//                                  training forward (linear_forward_keep_derivative)
// A (M, K) and B (K, N) row-major, not transposed, with row strides lda and ldb; dact shares C's
// row stride ldc. Bit for bit gemm(no, no, M, N, K, 1, A, lda, B, ldb, 0, C, ldc) followed by
// C * dact as the training backward multiplies (relu: C where dact > 0, else 0; identity: C
// unchanged, dact not read and may be nullptr). C must not overlap A, B or dact. Results do not
// depend on the executor's thread count.
#include <cstddef>

#include "base/executor.hpp"
#include "kernels/activation.hpp"

namespace diffuse::kernels {

void gemm_times_derivative(Activation act, std::size_t M, std::size_t N, std::size_t K,
                           const float* A, std::size_t lda, const float* B, std::size_t ldb,
                           const float* dact, float* C, std::size_t ldc,
                           const Executor& executor = serial_executor());

}  // namespace diffuse::kernels
