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
// results do not depend on the thread count. Chunking changes only the order of float additions into the gradient (each chunk's sum is
// added once); batch_gradient with chunk_rows >= B is the unchunked computation.
#include <cstddef>

#include "base/executor.hpp"
#include "base/tensor.hpp"
#include "diffusion/diffusion_config.hpp"
#include "diffusion/loss.hpp"
#include "diffusion/schedule.hpp"
#include "diffusion/parameterization.hpp"
#include "nn/network.hpp"

namespace diffuse {

// Per-chunk copies of the batch's rows, reused across calls (a steady-state step allocates nothing).
struct BatchChunk {
  Tensor2 x_t, x0, eps, output, grad_output;  // (n, D)
  Steps t;                                    // (n,)
  Labels labels;                              // (n,)
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
