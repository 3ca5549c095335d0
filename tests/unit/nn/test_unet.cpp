// The U-Net as a Network (nn/unet.hpp), beyond its arithmetic (test_unet_torch.cpp checks that
// against PyTorch): rows are independent, so a batch split into inference chunks equals each
// sample run alone; a clone computes the same outputs with workspaces of its own, so two networks
// can run on two threads at once; class labels move the output of a conditional model only; the
// null class K is a valid label and K + 1 is refused.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <memory>
#include <thread>

#include "base/error.hpp"
#include "base/rng.hpp"
#include "nn/unet.hpp"

using namespace diffuse;
using Catch::Contains;

namespace {

UNetConfig small_config(std::size_t classes) {
  UNetConfig c;
  c.block_out_channels = {8, 16};
  c.layers_per_block = 1;
  c.norm_num_groups = 4;
  c.sample_size = 8;
  c.add_attention = true;
  c.classes = classes;
  return c;
}

// A net with PyTorch's initialization; GroupNorm weights and biases jittered so that no parameter
// sits at a special value.
std::unique_ptr<UNet> make_net(const UNetConfig& c, std::uint64_t seed) {
  auto net = std::make_unique<UNet>(c);
  Rng rng(seed);
  net->init_params(rng);
  std::vector<float> noise(net->params().size());
  rng.fill_normal(noise.data(), noise.size());
  for (std::size_t i = 0; i < noise.size(); ++i) net->params()[i] += 0.05f * noise[i];
  return net;
}

struct Inputs {
  Tensor2 x;
  Steps t;
  Labels labels;
};

Inputs random_inputs(const Network& net, std::size_t B, std::uint64_t seed) {
  Rng rng(seed);
  Inputs in{Tensor2::from_shape({B, net.sample_size()}), Steps::from_shape({B}),
            Labels::from_shape({B})};
  rng.fill_normal(in.x.data(), in.x.size());
  rng.fill_below(in.t.data(), B, 1000);
  rng.fill_below(in.labels.data(), B, static_cast<std::uint32_t>(net.classes() + 1));
  return in;
}

Tensor2 row_of(const Tensor2& x, std::size_t b) {
  Tensor2 r = Tensor2::from_shape({1, x.shape(1)});
  std::copy(x.data() + b * x.shape(1), x.data() + (b + 1) * x.shape(1), r.data());
  return r;
}

double max_abs_difference(const Tensor2& a, const Tensor2& b) {
  REQUIRE(a.shape() == b.shape());
  double d = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    d = std::max(d, double(std::abs(a.data()[i] - b.data()[i])));
  return d;
}

double rms(const Tensor2& a) {
  double s = 0;
  for (float v : a) s += double(v) * v;
  return std::sqrt(s / double(a.size()));
}

}  // namespace

// Each row's output is a function of that row alone, and the arithmetic per row does not depend
// on how many rows share a call (the convolution paths are chosen by shape without the batch), so
// whole and row-alone outputs are expected to agree bit for bit. The check allows float rounding
// anyway, bounded as for any two float32 evaluations of the same function in different orders:
// each is within k u32 (|y| + rms(y)) of the exact value, with k the sum of the reduction lengths
// along the longest path (Higham's gamma_n per layer, GroupNorm re-normalizing between them):
// conv_in 9, per resnet 9 Cin + 9 Cout + E + the two groups' sizes, the attention's 3 C + T + T,
// the samplers' 9 C, conv_norm_out and conv_out; for this net under 2^12. Twice that, 2^13 u32
// ~ 5e-4 relative, while a row mixed up with another is off by O(1).
TEST_CASE("inference on a batch equals each sample alone, across chunks") {
  // A net whose inference chunk is small enough for a batch to span several chunks: 32x32 images.
  UNetConfig c = small_config(3);
  c.sample_size = 32;
  const std::unique_ptr<UNet> net_owner = make_net(c, 1);
  UNet& net = *net_owner;
  const std::size_t chunk = net.train_chunk_rows(0);
  INFO("chunk rows " << chunk);
  const std::size_t B = chunk < 64 ? 2 * chunk + 1 : 5;  // the last chunk partial
  const Inputs in = random_inputs(net, B, 2);
  Tensor2 whole;
  net.forward(whole, in.x, in.t, &in.labels, serial_executor());
  REQUIRE(whole.shape(0) == B);
  const double allowed = std::ldexp(1.0, 13 - 24);
  const double scale = rms(whole);
  for (std::size_t b = 0; b < B; ++b) {
    INFO("row " << b);
    Tensor2 alone;
    Steps t{in.t(b)};
    Labels label{in.labels(b)};
    net.forward(alone, row_of(in.x, b), t, &label, serial_executor());
    for (std::size_t d = 0; d < net.sample_size(); ++d) {
      const double y = whole(b, d);
      CHECK(std::abs(alone(0, d) - y) <= allowed * (std::abs(y) + scale));
    }
  }
  // forward may write into its own input.
  Tensor2 in_place = in.x;
  net.forward(in_place, in_place, in.t, &in.labels, serial_executor());
  CHECK(max_abs_difference(in_place, whole) == 0.0);
}

TEST_CASE("a clone computes identical outputs with parameters and workspaces of its own") {
  for (const std::size_t classes : {0, 4}) {
    const std::unique_ptr<UNet> net_owner = make_net(small_config(classes), 3);
    UNet& net = *net_owner;
    const std::unique_ptr<Network> copy = net.clone();
    const UNet* unet = dynamic_cast<const UNet*>(copy.get());
    REQUIRE(unet != nullptr);
    CHECK(unet->config() == net.config());
    CHECK(copy->params() == net.params());
    const Inputs in = random_inputs(net, 3, 4);
    const Labels* labels = classes > 0 ? &in.labels : nullptr;
    Tensor2 a, b;
    net.forward(a, in.x, in.t, labels, serial_executor());
    copy->forward(b, in.x, in.t, labels, serial_executor());
    CHECK(max_abs_difference(a, b) == 0.0);
    // Training the clone leaves the original alone.
    copy->zero_grad();
    copy->forward_train(b, in.x, in.t, labels, serial_executor());
    copy->backward(a, serial_executor());
    CHECK(std::all_of(net.grads().begin(), net.grads().end(), [](float g) { return g == 0.0f; }));
    copy->params()[0] += 1.0f;
    CHECK(net.params()[0] != copy->params()[0]);
  }
}

TEST_CASE("two networks on two threads at once give the sequential results") {
  const std::unique_ptr<UNet> first_owner = make_net(small_config(3), 5);
  UNet& first = *first_owner;
  const std::unique_ptr<Network> second = first.clone();
  const Inputs a = random_inputs(first, 4, 6), b = random_inputs(first, 4, 7);
  // What each computes alone: an inference forward, then a training forward and its gradients.
  const auto work = [](Network& net, const Inputs& in, Tensor2& out, AlignedBuffer& grads) {
    for (int repeat = 0; repeat < 3; ++repeat) {  // long enough for the threads to overlap
      net.forward(out, in.x, in.t, &in.labels, serial_executor());
      Tensor2 train_out;
      net.zero_grad();
      net.forward_train(train_out, in.x, in.t, &in.labels, serial_executor());
      net.backward(out, serial_executor());
    }
    grads = net.grads();
  };
  Tensor2 seq_a, seq_b, par_a, par_b;
  AlignedBuffer seq_ga, seq_gb, par_ga, par_gb;
  work(first, a, seq_a, seq_ga);
  work(*second, b, seq_b, seq_gb);
  std::thread one([&] { work(first, a, par_a, par_ga); });
  std::thread two([&] { work(*second, b, par_b, par_gb); });
  one.join();
  two.join();
  CHECK(max_abs_difference(par_a, seq_a) == 0.0);
  CHECK(max_abs_difference(par_b, seq_b) == 0.0);
  CHECK(par_ga == seq_ga);
  CHECK(par_gb == seq_gb);
  CHECK(max_abs_difference(seq_a, seq_b) > 0.0);  // the two threads really did different work
}

TEST_CASE("class labels change the output of a conditional model only") {
  const Inputs in = random_inputs(UNet(small_config(0)), 2, 8);
  const Steps& t = in.t;
  // Unconditional: its only label is the null class 0, the same as no labels.
  const std::unique_ptr<UNet> plain_owner = make_net(small_config(0), 9);
  UNet& plain = *plain_owner;
  Tensor2 none, zeros;
  plain.forward(none, in.x, t, nullptr, serial_executor());
  Labels null_labels{0, 0};
  plain.forward(zeros, in.x, t, &null_labels, serial_executor());
  CHECK(max_abs_difference(none, zeros) == 0.0);

  // Conditional with K = 3: each label its own output; no labels is the null class 3.
  const std::unique_ptr<UNet> conditional_owner = make_net(small_config(3), 9);
  UNet& conditional = *conditional_owner;
  Tensor2 outs[4], without;
  for (std::int32_t k = 0; k <= 3; ++k) {
    Labels labels{k, k};
    conditional.forward(outs[k], in.x, t, &labels, serial_executor());
  }
  conditional.forward(without, in.x, t, nullptr, serial_executor());
  CHECK(max_abs_difference(without, outs[3]) == 0.0);
  for (int k = 0; k < 4; ++k) {
    for (int l = k + 1; l < 4; ++l) {
      INFO("labels " << k << " and " << l);
      // The class embedding is N(0, 1) per entry: a different row moves the output by O(rms).
      CHECK(max_abs_difference(outs[k], outs[l]) > 1e-3 * rms(outs[k]));
    }
  }
  // A label moves its own row only.
  Labels mixed{1, 3};
  Tensor2 m;
  conditional.forward(m, in.x, t, &mixed, serial_executor());
  for (std::size_t d = 0; d < conditional.sample_size(); ++d) {
    CHECK(m(0, d) == outs[1](0, d));
    CHECK(m(1, d) == outs[3](1, d));
  }
}

TEST_CASE("the null class K is accepted and K + 1 is refused with a clear error") {
  const std::unique_ptr<UNet> conditional_owner = make_net(small_config(3), 10);
  UNet& conditional = *conditional_owner;
  const Inputs in = random_inputs(conditional, 2, 11);
  Tensor2 out;
  Labels null_class{3, 0};
  CHECK_NOTHROW(conditional.forward(out, in.x, in.t, &null_class, serial_executor()));
  CHECK_NOTHROW(conditional.forward_train(out, in.x, in.t, &null_class, serial_executor()));
  Labels too_large{0, 4}, negative{-1, 0};
  CHECK_THROWS_WITH(
      conditional.forward(out, in.x, in.t, &too_large, serial_executor()),
      Contains("label 4 of row 1 is out of range: allowed are 0..3 (3 is the null class)"));
  CHECK_THROWS_WITH(conditional.forward_train(out, in.x, in.t, &too_large, serial_executor()),
                    Contains("label 4 of row 1 is out of range"));
  CHECK_THROWS_WITH(conditional.forward(out, in.x, in.t, &negative, serial_executor()),
                    Contains("label -1 of row 0 is out of range"));
  const std::unique_ptr<UNet> plain_owner = make_net(small_config(0), 10);
  UNet& plain = *plain_owner;
  Labels one{0, 1};
  CHECK_THROWS_WITH(plain.forward(out, in.x, in.t, &one, serial_executor()),
                    Contains("label 1 of row 1") && Contains("only the null class 0"));
  // The bad call left nothing behind: a backward after it refers to the last good forward_train.
  Tensor2 d_out = Tensor2::from_shape({3, conditional.sample_size()});
  CHECK_THROWS_WITH(conditional.backward(d_out, serial_executor()),
                    Contains("last forward_train output was (2, 64)"));
}
