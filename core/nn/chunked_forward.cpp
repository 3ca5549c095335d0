#include "nn/chunked_forward.hpp"

#include <algorithm>

#include "base/error.hpp"

namespace diffuse {

template <typename ForwardChunk>
void ChunkedForward::run(Network& network, Tensor2& out, const Tensor2& x, const Labels* labels,
                         const Executor& executor, const ForwardChunk& forward_chunk) {
  const std::size_t B = x.shape(0), D = x.shape(1), O = network.output_size();
  const std::size_t R = network.infer_chunk_rows();
  if (R == 0) fail("ChunkedForward: the network's infer_chunk_rows is 0");
  if (D != network.sample_size()) {
    fail("ChunkedForward: x has ", D, " columns, the network takes ", network.sample_size());
  }
  if (labels != nullptr && labels->size() != B) {
    fail("ChunkedForward: ", labels->size(), " labels for ", B, " rows");
  }
  const std::size_t chunks = (B + R - 1) / R;
  const std::size_t workers = std::min(std::max<std::size_t>(executor.concurrency(), 1), chunks);
  rows_.resize(std::max(rows_.size(), workers));
  while (replicas_.size() + 1 < workers) replicas_.push_back(network.clone());
  for (std::size_t w = 1; w < workers; ++w) {  // the weights of this call
    std::copy(network.params().begin(), network.params().end(), replicas_[w - 1]->params().begin());
  }
  out.resize({B, O});
  executor.run(workers, [&](std::size_t w) {
    Network& net = w == 0 ? network : *replicas_[w - 1];
    Rows& rows = rows_[w];
    for (std::size_t c = w; c < chunks; c += workers) {
      const std::size_t r0 = c * R, n = std::min(R, B - r0);
      rows.x.resize({n, D});
      std::copy(x.data() + r0 * D, x.data() + (r0 + n) * D, rows.x.data());
      if (labels != nullptr) {
        rows.labels.resize({n});
        std::copy(labels->data() + r0, labels->data() + r0 + n, rows.labels.data());
      }
      forward_chunk(net, rows, r0, n);
      std::copy(rows.out.data(), rows.out.data() + n * O, out.data() + r0 * O);
    }
  });
}

void ChunkedForward::forward(Network& network, Tensor2& out, const Tensor2& x, const Steps& t,
                             const Labels* labels, const Executor& executor) {
  if (x.shape(0) <= network.infer_chunk_rows()) {
    network.forward(out, x, t, labels, executor);
    return;
  }
  if (t.size() != x.shape(0)) {
    fail("ChunkedForward: ", t.size(), " steps for ", x.shape(0), " rows");
  }
  run(network, out, x, labels, executor,
      [&](Network& net, Rows& rows, std::size_t r0, std::size_t n) {
        rows.t.resize({n});
        std::copy(t.data() + r0, t.data() + r0 + n, rows.t.data());
        net.forward(rows.out, rows.x, rows.t, labels ? &rows.labels : nullptr, serial_executor());
      });
}

void ChunkedForward::forward_at(Network& network, Tensor2& out, const Tensor2& x, double t,
                                const Labels* labels, const Executor& executor) {
  if (x.shape(0) <= network.infer_chunk_rows()) {
    network.forward_at(out, x, t, labels, executor);
    return;
  }
  run(network, out, x, labels, executor,
      [&](Network& net, Rows& rows, std::size_t, std::size_t) {
        net.forward_at(rows.out, rows.x, t, labels ? &rows.labels : nullptr, serial_executor());
      });
}

}  // namespace diffuse
