#pragma once
// The gradient of one training batch's loss (seed 004, "The Complete Training Algorithm", the
// gradient step on || eps - eps_theta(x_t, t) ||^2 or its x0 / v variants), computed in chunks of
// rows: forward, loss and backward for one chunk before the next, each chunk adding its share to
// the model's gradient buffer.
//
// Why chunks: a row's forward pass, its loss gradient and its backward pass involve no other row,
// and the batch gradient is the sum of the rows' contributions, each scaled by 1 / (B D). Done a
// chunk at a time, the activations a chunk's backward reads are the ones its forward has just
// written, still in the cache: the reference model keeps about 1.25 MB of activations for 256
// rows, which fits in a 2 MB L2, against 20 MB for a batch of 4096 that would otherwise make
// every backward pass a trip to L3 or memory.
//
// chunk_rows is the network's (Network::train_chunk_rows), never derived from the executor, so
// results do not depend on the thread count.
//
// Threads: the chunks are also the unit of parallel work. With W = min(executor threads, chunks)
// workers, worker w computes chunks w, w + W, ... on its own copy of the network (the network
// itself for worker 0, clones with the same weights for the others), each chunk's gradient into
// a buffer of its own; the buffers are then added to the network's gradient in chunk order, each
// parameter's sum in the same order whatever W is. So the result is bit-identical for any thread
// count, and the work a thread does between two synchronizations is a whole chunk's forward and
// backward (tens of GEMMs), not one small GEMM (docs/threads.md). The first chunk accumulates
// straight into the network's gradient, as a single chunk (B <= chunk_rows) always does; a single
// chunk gives the executor to the network instead, which splits its large products.
#include <cstddef>
#include <memory>
#include <vector>

#include "base/aligned.hpp"
#include "base/executor.hpp"
#include "base/tensor.hpp"
#include "diffusion/diffusion_config.hpp"
#include "diffusion/loss.hpp"
#include "diffusion/schedule.hpp"
#include "diffusion/parameterization.hpp"
#include "nn/network.hpp"

namespace diffuse {

// One worker's copies of a chunk's rows, reused across calls.
struct ChunkRows {
  Tensor2 x_t, x0, eps, output, grad_output;  // (n, D)
  Steps t;                                    // (n,)
  Labels labels;                              // (n,)
};

// What batch_gradient keeps between calls, so that a steady-state step allocates nothing: each
// worker's rows, the other workers' copies of the network, and the chunks' gradient buffers.
struct BatchChunk {
  std::vector<ChunkRows> rows;                      // [workers]
  std::vector<std::unique_ptr<Network>> replicas;   // [workers - 1]: workers 1..W-1
  std::vector<AlignedBuffer> chunk_grads;           // [chunks - 1]: chunks 1..C-1, (P,) each
  bool cleared = false;  // every chunk_grads buffer is zero (the last call completed)
};

// What the loss of a batch compares the network's output with.
struct BatchObjective {
  Objective objective = Objective::diffusion;
  Prediction prediction = Prediction::eps;  // diffusion: the output's space (loss_evaluate)
  const double* times = nullptr;            // flow: (B,) the network's real-valued steps s T
  // A learned variance (the network's output doubled): the hybrid loss L_simple + vlb_weight L_vlb
  // (diffusion/hybrid_loss.hpp) with the decoder of `levels` (0: continuous data), and each
  // row's loss times row_weights (B,) when given (importance-sampled t).
  bool learned_variance = false;
  double vlb_weight = 0.0;
  int levels = 0;
  const double* row_weights = nullptr;
};

// network.grads() += dL/dparams of the batch (x_t, x0, eps: (B, D), t: (B,), labels: (B,) or
// nullptr), in chunks of at most chunk_rows (>= 1) rows. Diffusion: the output read as the
// objective's prediction, loss_evaluate's loss; flow: the network given objective.times, the
// velocity loss of diffusion/flow.hpp; learned variance: the hybrid loss. Returns the batch's loss
// (the mean over all B D entries) and its per-row losses in row order (and the rows' L_vlb terms
// with a learned variance), exactly as over the whole batch at once. Does not zero the gradient
// first.
LossResult batch_gradient(Network& network, const BatchObjective& objective, const Tensor2& x_t,
                          const Tensor2& x0, const Tensor2& eps, const Steps& t,
                          const Labels* labels, const NoiseSchedule& schedule,
                          const LossConfig& loss, std::size_t chunk_rows, BatchChunk& chunk,
                          const Executor& executor);

}  // namespace diffuse
