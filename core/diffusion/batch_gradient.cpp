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

// Forward, loss and backward of rows [r0, r0 + n) of a batch of B rows, held in x_t, x0, eps, t
// and labels (the batch itself or a chunk's copies), with output and grad_output as scratch.
LossResult rows_gradient(Network& network, const BatchObjective& objective, const Tensor2& x_t,
                         const Tensor2& x0, const Tensor2& eps, const Steps& t,
                         const Labels* labels, const NoiseSchedule& schedule,
                         const LossConfig& loss, std::size_t r0, std::size_t B, Tensor2& output,
                         Tensor2& grad_output, const Executor& executor) {
  if (objective.objective == Objective::flow) {
    network.forward_train_times(output, x_t, objective.times + r0, labels, executor);
    LossResult result = flow_loss_evaluate(grad_output, output, x0, eps, B);
    network.backward(grad_output, executor);
    return result;
  }
  network.forward_train(output, x_t, t, labels, executor);
  if (objective.learned_variance) {
    const double* weights = objective.row_weights ? objective.row_weights + r0 : nullptr;
    HybridLossResult hybrid = hybrid_loss_evaluate(
        grad_output, output, objective.prediction, x_t, x0, eps, t, schedule, loss,
        objective.vlb_weight, objective.levels, weights, B);
    network.backward(grad_output, executor);
    LossResult result = std::move(hybrid.simple);
    result.loss = hybrid.loss;
    result.vlb_per_row = std::move(hybrid.vlb);
    return result;
  }
  LossResult result = loss_evaluate(grad_output, output, objective.prediction, x_t, x0,
                                    eps, t, schedule, loss, B);
  network.backward(grad_output, executor);
  return result;
}

// dst (P,) += the chunks' gradient buffers in chunk order, over the parameters [p0, p1), zeroing
// each buffer once read (ready for the next call's accumulation). Blocked, so that a block of dst
// stays in registers or L1 while every buffer is added to it: each buffer is read once, dst read
// and written once, and each parameter's sum still runs in chunk order.
void add_and_clear(float* dst, std::vector<AlignedBuffer>& chunk_grads, std::size_t chunks,
                   std::size_t p0, std::size_t p1) {
  constexpr std::size_t block = 512;
  float sum[block];
  for (std::size_t q0 = p0; q0 < p1; q0 += block) {
    const std::size_t n = std::min(block, p1 - q0);
    std::copy(dst + q0, dst + q0 + n, sum);
    for (std::size_t c = 0; c < chunks; ++c) {
      float* src = chunk_grads[c].data() + q0;
      for (std::size_t i = 0; i < n; ++i) sum[i] += src[i];
      std::fill(src, src + n, 0.0f);
    }
    std::copy(sum, sum + n, dst + q0);
  }
}

// Lends a buffer to a network as its gradient for a scope (nothing when null): swapped in and
// back, so no gradient is copied.
class LentGradients {
 public:
  LentGradients(Network& network, AlignedBuffer* buffer) : network_(network), buffer_(buffer) {
    if (buffer_ != nullptr) buffer_->swap(network_.grads());
  }
  ~LentGradients() {
    if (buffer_ != nullptr) buffer_->swap(network_.grads());
  }
  LentGradients(const LentGradients&) = delete;
  LentGradients& operator=(const LentGradients&) = delete;

 private:
  Network& network_;
  AlignedBuffer* buffer_;
};

// Copies rows [r0, r0 + n) of the batch into rows.
void copy_chunk(ChunkRows& rows, const Tensor2& x_t, const Tensor2& x0, const Tensor2& eps,
                const Steps& t, const Labels* labels, std::size_t r0, std::size_t n) {
  copy_rows(rows.x_t, x_t, r0, n);
  copy_rows(rows.x0, x0, r0, n);
  copy_rows(rows.eps, eps, r0, n);
  rows.t.resize({n});
  std::copy(t.data() + r0, t.data() + r0 + n, rows.t.data());
  if (labels != nullptr) {
    rows.labels.resize({n});
    std::copy(labels->data() + r0, labels->data() + r0 + n, rows.labels.data());
  }
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
  if (chunk.rows.empty()) chunk.rows.resize(1);
  if (B <= chunk_rows) {  // one chunk: the batch's own tensors, nothing copied
    ChunkRows& rows = chunk.rows[0];
    return rows_gradient(network, objective, x_t, x0, eps, t, labels, schedule, loss, 0, B,
                         rows.output, rows.grad_output, executor);
  }
  const std::size_t chunks = (B + chunk_rows - 1) / chunk_rows;
  const std::size_t workers = std::min(std::max<std::size_t>(executor.concurrency(), 1), chunks);
  const std::size_t P = network.params().size();
  chunk.rows.resize(std::max(chunk.rows.size(), workers));
  while (chunk.replicas.size() + 1 < workers) chunk.replicas.push_back(network.clone());
  for (std::size_t w = 1; w < workers; ++w) {  // the weights of this step
    std::copy(network.params().begin(), network.params().end(),
              chunk.replicas[w - 1]->params().begin());
  }
  // The chunks' buffers start at zero: new ones, and any an interrupted call left unread (the
  // reduction below zeroes each buffer it reads).
  if (chunk.chunk_grads.size() < chunks - 1 || !chunk.cleared ||
      chunk.chunk_grads[0].size() != P) {
    chunk.chunk_grads.resize(std::max(chunk.chunk_grads.size(), chunks - 1));
    for (AlignedBuffer& g : chunk.chunk_grads) g.assign(P, 0.0f);
  }
  chunk.cleared = false;
  std::vector<LossResult> parts(chunks);
  executor.run(workers, [&](std::size_t w) {
    Network& net = w == 0 ? network : *chunk.replicas[w - 1];
    ChunkRows& rows = chunk.rows[w];
    for (std::size_t c = w; c < chunks; c += workers) {
      const std::size_t r0 = c * chunk_rows, n = std::min(chunk_rows, B - r0);
      // Chunk c >= 1 accumulates into a zeroed buffer of its own, lent to net for the chunk.
      AlignedBuffer* own = c == 0 ? nullptr : &chunk.chunk_grads[c - 1];
      const LentGradients lent(net, own);
      copy_chunk(rows, x_t, x0, eps, t, labels, r0, n);
      parts[c] = rows_gradient(net, objective, rows.x_t, rows.x0, rows.eps, rows.t,
                               labels ? &rows.labels : nullptr, schedule, loss, r0, B, rows.output,
                               rows.grad_output, serial_executor());
    }
  });
  // network.grads() += chunks 1..C-1 in chunk order, the parameters split among the workers.
  float* grads = network.grads().data();
  const std::size_t slice = (P + workers - 1) / workers;
  executor.run(workers, [&](std::size_t w) {
    const std::size_t p0 = std::min(P, w * slice), p1 = std::min(P, p0 + slice);
    add_and_clear(grads, chunk.chunk_grads, chunks - 1, p0, p1);
  });
  chunk.cleared = true;
  LossResult result;
  result.per_row.reserve(B);
  for (const LossResult& part : parts) {
    result.loss += part.loss;
    result.per_row.insert(result.per_row.end(), part.per_row.begin(), part.per_row.end());
    result.vlb_per_row.insert(result.vlb_per_row.end(), part.vlb_per_row.begin(),
                              part.vlb_per_row.end());
  }
  return result;
}

}  // namespace diffuse
