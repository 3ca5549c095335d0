// The Network interface (nn/network.hpp), through a stand-in network written here: parameters and
// gradients share the layout in 64-byte aligned buffers (aligned.hpp), zero_grad clears, the default forward_at is forward with every row at
// one t, and check_batch refuses mismatched inputs and labels outside 0..K.
#include <catch2/catch.hpp>

#include <cstdint>

#include "base/error.hpp"
#include "nn/network.hpp"

using namespace diffuse;
using Catch::Contains;

namespace {

// out = x * scale + t + label (label: the null class K without labels).
class Affine final : public Network {
 public:
  explicit Affine(std::size_t classes) : Network({1, 2, 2}, classes, layout(), 4) {}
  static ParamLayout layout() {
    ParamLayout l;
    l.add("scale", {1});
    return l;
  }
  void init_params(Rng&) override { params()[0] = 2.0f; }
  void forward_train_times(Tensor2& out, const Tensor2& x, const double* t, const Labels* labels,
                           const Executor& executor) override {
    Steps steps = Steps::from_shape({x.shape(0)});
    for (std::size_t b = 0; b < x.shape(0); ++b) steps(b) = static_cast<std::int32_t>(t[b]);
    forward(out, x, steps, labels, executor);
  }
  void backward(const Tensor2&, const Executor&) override { grads()[0] += 1.0f; }
  std::size_t train_chunk_rows(std::size_t) const override { return 64; }
  void forward(Tensor2& out, const Tensor2& x, const Steps& t, const Labels* labels,
               const Executor&) override {
    const std::size_t B = check_batch("affine", x, t.size(), labels);
    out.resize({B, 4});
    for (std::size_t b = 0; b < B; ++b) {
      const float label = labels ? static_cast<float>((*labels)(b)) : static_cast<float>(classes());
      for (std::size_t d = 0; d < 4; ++d) out(b, d) = x(b, d) * param(0)[0] + static_cast<float>(t(b)) + label;
    }
  }
  std::unique_ptr<Network> clone() const override { return std::make_unique<Affine>(classes()); }
};

}  // namespace

TEST_CASE("a network's shape, classes, parameters and gradients") {
  Affine net(3);
  CHECK(net.sample_shape() == SampleShape{1, 2, 2});
  CHECK(net.sample_size() == 4);
  CHECK(net.classes() == 3);
  CHECK(net.conditional());
  CHECK(net.params().size() == net.layout().total());
  CHECK(net.grads().size() == net.layout().total());
  CHECK(reinterpret_cast<std::uintptr_t>(net.params().data()) % simd_alignment == 0);
  CHECK(reinterpret_cast<std::uintptr_t>(net.grads().data()) % simd_alignment == 0);
  net.backward(Tensor2(), serial_executor());
  CHECK(net.grads()[0] == 1.0f);
  net.zero_grad();
  CHECK(net.grads()[0] == 0.0f);
  CHECK_FALSE(Affine(0).conditional());
}

TEST_CASE("the default forward_at is forward with every row at one step") {
  Affine net(2);
  Rng rng(1);
  net.init_params(rng);
  Tensor2 x = Tensor2::from_shape({3, 4});
  x.fill(0.5f);
  Labels labels{0, 1, 2};
  Tensor2 at;
  net.forward_at(at, x, 7, &labels, serial_executor());
  CHECK(at(0, 0) == 0.5f * 2 + 7 + 0);
  CHECK(at(2, 3) == 0.5f * 2 + 7 + 2);
}

TEST_CASE("check_batch refuses mismatched inputs and labels outside 0..K") {
  Affine net(2);
  Tensor2 out, x = Tensor2::from_shape({3, 4}), narrow = Tensor2::from_shape({3, 2});
  Steps t{1, 2, 3}, short_t{1, 2};
  CHECK_THROWS_WITH(net.forward(out, narrow, t, nullptr, serial_executor()),
                    Contains("2 values per sample") && Contains("have 4"));
  CHECK_THROWS_WITH(net.forward(out, x, short_t, nullptr, serial_executor()), Contains("3 rows of x but 2 timesteps"));
  Labels two{0, 1}, bad{0, 3, 1};
  CHECK_THROWS_WITH(net.forward(out, x, t, &two, serial_executor()), Contains("3 rows of x but 2 labels"));
  CHECK_THROWS_WITH(net.forward(out, x, t, &bad, serial_executor()),
                    Contains("label 3 of row 1") && Contains("0..2") && Contains("null class"));
}
