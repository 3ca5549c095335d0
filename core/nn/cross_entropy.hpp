#pragma once
// Softmax cross-entropy of class logits against integer labels, the classifier's loss
// (nn/classifier.hpp), as PyTorch's F.cross_entropy(z, y) with the default mean over rows:
//   logsumexp(z_b) = m_b + log sum_k exp(z_b[k] - m_b),   m_b = max_k z_b[k]
//   L = (1/B) sum_b (logsumexp(z_b) - z_b[y_b])                     (= -mean log softmax(z_b)[y_b])
//   dL/dz_b[k] = (softmax(z_b)[k] - [k == y_b]) / B,   softmax(z_b)[k] = exp(z_b[k] - m_b) / sum
// Subtracting the row maximum keeps every exp argument <= 0 (nothing overflows) and makes one term
// of the sum exactly 1 (the log is finite and >= 0). Each row is computed in float64 from the
// float32 logits; the gradient is rounded to float32 once.
#include <cstddef>
#include <cstdint>

namespace diffuse {

// Returns L. d_logits (B, K) receives dL/dz (skipped if nullptr; it may be logits itself).
// logits (B, K), labels (B,) each in 0..K-1 (debug-asserted: the caller validated them); B, K >= 1.
double cross_entropy_forward_backward(float* d_logits, const float* logits,
                                      const std::int32_t* labels, std::size_t B, std::size_t K);

}  // namespace diffuse
