#include "diffusion/batch_gradient.hpp"

#include <algorithm>

#include "base/error.hpp"
#include "diffusion/flow.hpp"
#include "diffusion/hybrid_loss.hpp"

namespace diffuse {
namespace {

// dst (n, D) = rows [r0, r0 + n) of src (B, D).
void copy_rows(Tensor2& dst, const Tensor2& src, std::size_t r0, std::size_t n) {
  const std::size_t D = src.shape(1);
  dst.resize({n, D});
  std::copy(src.data() + r0 * D, src.data() + (r0 + n) * D, dst.data());
}

}  // namespace

namespace {

// Forward, loss and backward of rows [r0, r0 + n) of a batch of B rows, held in x_t, x0, eps, t
// and labels (the batch itself or a chunk's copies).
LossResult rows_gradient(Network& network, const BatchObjective& objective, const Tensor2& x_t,
                         const Tensor2& x0, const Tensor2& eps, const Steps& t,
                         const Labels* labels, const NoiseSchedule& schedule,
                         const LossConfig& loss, std::size_t r0, std::size_t B, BatchChunk& chunk,
                         const Executor& executor) {
  if (objective.objective == Objective::flow) {
    network.forward_train_times(chunk.output, x_t, objective.times + r0, labels, executor);
    LossResult result = flow_loss_evaluate(chunk.grad_output, chunk.output, x0, eps, B);
    network.backward(chunk.grad_output, executor);
    return result;
  }
  network.forward_train(chunk.output, x_t, t, labels, executor);
  if (objective.learned_variance) {
    const double* weights = objective.row_weights ? objective.row_weights + r0 : nullptr;
    HybridLossResult hybrid = hybrid_loss_evaluate(
        chunk.grad_output, chunk.output, objective.prediction, x_t, x0, eps, t, schedule, loss,
        objective.vlb_weight, objective.levels, weights, B);
    network.backward(chunk.grad_output, executor);
    LossResult result = std::move(hybrid.simple);
    result.loss = hybrid.loss;
    result.vlb_per_row = std::move(hybrid.vlb);
    return result;
  }
  LossResult result = loss_evaluate(chunk.grad_output, chunk.output, objective.prediction, x_t, x0,
                                    eps, t, schedule, loss, B);
  network.backward(chunk.grad_output, executor);
  return result;
}

}  // namespace

LossResult batch_gradient(Network& network, const BatchObjective& objective, const Tensor2& x_t,
                          const Tensor2& x0, const Tensor2& eps, const Steps& t,
                          const Labels* labels, const NoiseSchedule& schedule,
                          const LossConfig& loss, std::size_t chunk_rows, BatchChunk& chunk,
                          const Executor& executor) {
  if (chunk_rows == 0) fail("batch_gradient: chunk_rows = 0 is invalid: must be >= 1");
  if (objective.objective == Objective::flow && objective.times == nullptr) {
    fail("batch_gradient: the flow objective needs the network's steps");
  }
  const std::size_t B = x_t.shape(0);
  if (B <= chunk_rows) {  // one chunk: the batch's own tensors, nothing copied
    return rows_gradient(network, objective, x_t, x0, eps, t, labels, schedule, loss, 0, B, chunk,
                         executor);
  }
  LossResult result;
  result.per_row.reserve(B);
  for (std::size_t r0 = 0; r0 < B; r0 += chunk_rows) {
    const std::size_t n = std::min(chunk_rows, B - r0);
    copy_rows(chunk.x_t, x_t, r0, n);
    copy_rows(chunk.x0, x0, r0, n);
    copy_rows(chunk.eps, eps, r0, n);
    chunk.t.resize({n});
    std::copy(t.data() + r0, t.data() + r0 + n, chunk.t.data());
    if (labels != nullptr) {
      chunk.labels.resize({n});
      std::copy(labels->data() + r0, labels->data() + r0 + n, chunk.labels.data());
    }
    const LossResult part =
        rows_gradient(network, objective, chunk.x_t, chunk.x0, chunk.eps, chunk.t,
                      labels ? &chunk.labels : nullptr, schedule, loss, r0, B, chunk, executor);
    result.loss += part.loss;
    result.per_row.insert(result.per_row.end(), part.per_row.begin(), part.per_row.end());
    result.vlb_per_row.insert(result.vlb_per_row.end(), part.vlb_per_row.begin(),
                              part.vlb_per_row.end());
  }
  return result;
}

}  // namespace diffuse
