#pragma once
// Inference of many rows, in fixed chunks of rows shared among an executor's workers: each worker
// runs the whole network on a chunk with a copy of its own (the network itself for worker 0,
// clones given the network's current weights at every call for the others), so a thread
// synchronizes once per chunk of the whole network, not once per GEMM (docs/threads.md).
//
// Every row's output is a function of that row alone, and the chunks are fixed
// (Network::infer_chunk_rows, never the thread count) and each computed serially, so the output
// is bit-identical for any thread count. A batch of at most one chunk goes to the network in one
// call with the executor, which may split its large products.
#include <cstddef>
#include <memory>
#include <vector>

#include "base/executor.hpp"
#include "base/tensor.hpp"
#include "nn/network.hpp"

namespace diffuse {

class ChunkedForward {
 public:
  // network.forward(out, x, t, labels) in chunks: out (B, O) for x (B, D), t (B,).
  void forward(Network& network, Tensor2& out, const Tensor2& x, const Steps& t,
               const Labels* labels, const Executor& executor);
  // network.forward_at(out, x, t, labels) in chunks, every row at step t.
  void forward_at(Network& network, Tensor2& out, const Tensor2& x, double t,
                  const Labels* labels, const Executor& executor);

 private:
  // One worker's copies of a chunk's rows, reused across calls.
  struct Rows {
    Tensor2 x, out;
    Steps t;
    Labels labels;
  };

  // Runs forward_chunk(net, rows, r0, n) for every chunk; worker w computes chunks w, w + W, ...
  template <typename ForwardChunk>
  void run(Network& network, Tensor2& out, const Tensor2& x, const Labels* labels,
           const Executor& executor, const ForwardChunk& forward_chunk);

  std::vector<Rows> rows_;                          // [workers]
  std::vector<std::unique_ptr<Network>> replicas_;  // [workers - 1]: workers 1..W-1
};

}  // namespace diffuse
