// ChunkedForward (nn/chunked_forward.hpp): many rows in fixed chunks shared among workers, each
// worker on its own copy of the network. Checked against the network's own forward over all rows
// at once (every row's output is a function of that row alone, and the GEMMs compute each output
// row by the same sequence of multiply-adds whatever the row count, so the bits agree); with
// labels and per-row steps travelling with their rows; with an executor that claims three threads
// and runs its tasks in reverse; and after the network's weights change between calls (the
// workers' copies take the new weights).
#include <catch2/catch.hpp>

#include <cstring>

#include "base/rng.hpp"
#include "nn/chunked_forward.hpp"
#include "nn/model_config.hpp"
#include "support/reverse_executor.hpp"

using namespace diffuse;

namespace {

bool same_bits(const Tensor2& a, const Tensor2& b) {
  return a.shape() == b.shape() &&
         std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

std::unique_ptr<Network> make_mlp(std::size_t classes, std::uint64_t seed) {
  MlpConfig config;
  config.classes = classes;
  std::unique_ptr<Network> network = network_make(config);
  Rng rng(seed);
  network->init_params(rng);
  return network;
}

}  // namespace

TEST_CASE("chunked inference equals the network over all rows, on any executor") {
  for (std::size_t classes : {std::size_t{0}, std::size_t{4}}) {
    INFO("classes " << classes);
    const std::unique_ptr<Network> network = make_mlp(classes, 1);
    const std::size_t R = network->infer_chunk_rows();
    const std::size_t B = 3 * R + 17;  // three full chunks and a short one
    Tensor2 x = Tensor2::from_shape({B, 2});
    Rng(2).fill_normal(x.data(), x.size());
    Steps t = Steps::from_shape({B});
    Rng(3).fill_below(t.data(), B, 1000);
    Labels labels = Labels::from_shape({B});
    Rng(4).fill_below(labels.data(), B, 5);
    const Labels* rows_labels = classes > 0 ? &labels : nullptr;

    Tensor2 whole, whole_at;
    network->forward(whole, x, t, rows_labels, serial_executor());
    network->forward_at(whole_at, x, 417.25, rows_labels, serial_executor());
    ChunkedForward chunked;
    for (int pass = 0; pass < 2; ++pass) {
      Tensor2 out, out_at;
      if (pass == 0) {
        chunked.forward(*network, out, x, t, rows_labels, serial_executor());
        chunked.forward_at(*network, out_at, x, 417.25, rows_labels, serial_executor());
      } else {
        chunked.forward(*network, out, x, t, rows_labels, test::ReverseExecutor());
        chunked.forward_at(*network, out_at, x, 417.25, rows_labels, test::ReverseExecutor());
      }
      INFO((pass == 0 ? "serial" : "three workers, tasks in reverse"));
      CHECK(same_bits(out, whole));
      CHECK(same_bits(out_at, whole_at));
    }
  }
}

TEST_CASE("the workers' copies of the network take its current weights at every call") {
  const std::unique_ptr<Network> network = make_mlp(0, 5);
  const std::size_t B = 4 * network->infer_chunk_rows();
  Tensor2 x = Tensor2::from_shape({B, 2});
  Rng(6).fill_normal(x.data(), x.size());
  ChunkedForward chunked;
  Tensor2 before, after, want;
  chunked.forward_at(*network, before, x, 10, nullptr, test::ReverseExecutor());
  Rng rng(7);
  network->init_params(rng);  // new weights for the network, not for the copies it already made
  chunked.forward_at(*network, after, x, 10, nullptr, test::ReverseExecutor());
  network->forward_at(want, x, 10, nullptr, serial_executor());
  CHECK_FALSE(same_bits(before, after));
  CHECK(same_bits(after, want));
}

TEST_CASE("chunked inference rejects rows the network cannot take") {
  const std::unique_ptr<Network> network = make_mlp(0, 8);
  const std::size_t B = 2 * network->infer_chunk_rows();
  ChunkedForward chunked;
  Tensor2 out;
  const Tensor2 wide = Tensor2::from_shape({B, 3});
  CHECK_THROWS_WITH(chunked.forward_at(*network, out, wide, 1, nullptr, serial_executor()),
                    Catch::Contains("3 columns"));
  const Tensor2 x = Tensor2::from_shape({B, 2});
  const Steps t = Steps::from_shape({B - 1});
  CHECK_THROWS_WITH(chunked.forward(*network, out, x, t, nullptr, serial_executor()),
                    Catch::Contains("steps for"));
}
