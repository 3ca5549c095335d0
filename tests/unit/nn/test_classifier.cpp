// The image classifier: parameter names and shapes (PyTorch's); forward and features against a
// float64 forward written from the definition (reference_nn.hpp's layers); backward against
// central differences of it, with every activation and one to three hidden layers; the
// accumulation and error rules; inference equal to training's forward and independent of the
// executor; the inputs as the diffusion models see the pixels; predictions.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "data/normalization.hpp"
#include "layer_check.hpp"
#include "nn/classifier.hpp"
#include "nn/cross_entropy.hpp"
#include "support/reverse_executor.hpp"

using namespace diffuse;
using namespace diffuse::test;

namespace {

ClassifierConfig small_config(std::size_t layers, kernels::Activation act) {
  ClassifierConfig c;
  c.shape = {1, 2, 3};  // D = 6
  c.levels = 5;
  c.classes = 4;
  c.hidden = 5;
  c.layers = layers;
  c.activation = act;
  return c;
}

// The classifier in float64 from the definition: h_l = act(h_{l-1} W_l^T + b_l), logits = h_L
// W_out^T + b_out. Returns the logits (B, K) or, with want_features, h_L (B, H); min_abs_pre, if
// given, receives the smallest |pre-activation| (ReLU's kink).
Vec ref_classifier(const ClassifierConfig& c, const ParamLayout& layout, const Vec& theta,
                   const Vec& x, std::size_t B, bool want_features = false,
                   double* min_abs_pre = nullptr) {
  auto off = [&](const std::string& name) { return layout.find(name).offset; };
  const std::size_t D = classifier_input_size(c), H = c.hidden;
  Vec h = x;
  double closest = INFINITY;
  for (std::size_t l = 0; l < c.layers; ++l) {
    const std::string name = "layers." + std::to_string(l);
    const Vec pre = ref_linear(h, theta, theta, B, l == 0 ? D : H, H, off(name + ".weight"),
                               off(name + ".bias"));
    closest = std::min(closest, min_abs(pre));
    h = ref_activation(c.activation, pre);
  }
  if (min_abs_pre != nullptr) *min_abs_pre = closest;
  if (want_features) return h;
  return ref_linear(h, theta, theta, B, H, c.classes, off("output.weight"), off("output.bias"));
}

Tensor2 tensor(const std::vector<float>& v, std::size_t rows, std::size_t cols) {
  Tensor2 t = Tensor2::from_shape({rows, cols});
  std::copy(v.begin(), v.end(), t.begin());
  return t;
}

std::vector<float> values(const Tensor2& t) {
  return std::vector<float>(t.begin(), t.end());
}

Classifier random_classifier(const ClassifierConfig& c, std::uint64_t seed) {
  Classifier net(c);
  Rng rng(seed);
  net.init_params(rng);
  return net;
}

const kernels::Activation activations[] = {kernels::Activation::relu, kernels::Activation::silu,
                                           kernels::Activation::gelu};

}  // namespace

TEST_CASE("classifier_param_layout: PyTorch's names and shapes in buffer order") {
  ClassifierConfig c;
  c.shape = {1, 8, 8};
  c.hidden = 32;
  c.layers = 3;
  c.classes = 10;
  const ParamLayout layout = classifier_param_layout(c);
  const std::vector<std::string> names = {"layers.0.weight", "layers.0.bias",   "layers.1.weight",
                                          "layers.1.bias",   "layers.2.weight", "layers.2.bias",
                                          "output.weight",   "output.bias"};
  const std::vector<std::vector<std::size_t>> shapes = {{32, 64}, {32}, {32, 32}, {32},
                                                        {32, 32}, {32}, {10, 32}, {10}};
  REQUIRE(layout.slices().size() == names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    CHECK(layout.slices()[i].name == names[i]);
    CHECK(layout.slices()[i].shape == shapes[i]);
  }
  CHECK(layout.count() == 32 * 64 + 32 + 2 * (32 * 32 + 32) + 10 * 32 + 10);
}

TEST_CASE("classifier init_params: every Linear ~ U(-1/sqrt(in), 1/sqrt(in)), drawn in order") {
  const ClassifierConfig c = small_config(2, kernels::Activation::relu);
  Classifier net(c);
  Rng rng(7);
  net.init_params(rng);
  // The same draws by hand: fill_uniform for each weight then bias, in layout order.
  Rng again(7);
  for (const ParamSlice& s : net.layout().slices()) {
    const std::size_t in = s.name.rfind("layers.0", 0) == 0 ? 6 : 5;
    std::vector<float> u(s.size);
    again.fill_uniform(u.data(), s.size);
    const double bound = 1.0 / std::sqrt(static_cast<double>(in));
    for (std::size_t i = 0; i < s.size; ++i) {
      INFO(s.name << "[" << i << "]");
      CHECK(net.params()[s.offset + i] == static_cast<float>((2.0 * u[i] - 1.0) * bound));
    }
  }
}

TEST_CASE("Classifier forward and features equal the float64 definition") {
  const std::size_t B = 7;
  for (std::size_t layers : {1u, 2u, 3u}) {
    for (kernels::Activation act : activations) {
      INFO(layers << " layers, " << kernels::activations.name(act));
      const ClassifierConfig c = small_config(layers, act);
      Classifier net = random_classifier(c, 10 + layers);
      Rng rng(20);
      const std::vector<float> x = random_floats(rng, B * 6);
      const Vec theta = to_double(net.params().data(), net.params().size());
      Tensor2 logits, train_logits, features;
      net.forward(logits, tensor(x, B, 6), serial_executor());
      net.forward_train(train_logits, tensor(x, B, 6), serial_executor());
      net.features(features, tensor(x, B, 6), serial_executor());
      // Each value is a chain of `layers` + 1 sums of at most 7 products (|x| <~ 3, |w| <= 0.45):
      // a few dozen roundings relative to a magnitude of ~10.
      expect_close(values(logits), ref_classifier(c, net.layout(), theta, as_double(x), B), 10.0,
                   64.0);
      expect_close(values(features), ref_classifier(c, net.layout(), theta, as_double(x), B, true),
                   10.0, 64.0);
      CHECK(values(train_logits) == values(logits));  // the same kernels, bit for bit
    }
  }
}

TEST_CASE("Classifier backward matches central differences of the float64 definition") {
  const std::size_t B = 7;
  for (std::size_t layers : {1u, 2u, 3u}) {
    for (kernels::Activation act : activations) {
      INFO(layers << " layers, " << kernels::activations.name(act));
      const ClassifierConfig c = small_config(layers, act);
      Classifier net = random_classifier(c, 30 + layers);
      Rng rng(40 + layers);
      const std::vector<float> x = random_floats(rng, B * 6);
      const std::vector<float> dy = random_floats(rng, B * c.classes);
      const Vec theta = to_double(net.params().data(), net.params().size());
      double closest = 0.0;
      ref_classifier(c, net.layout(), theta, as_double(x), B, false, &closest);
      if (act == kernels::Activation::relu) REQUIRE(closest > 1e-4);  // no kink within a step
      Tensor2 logits;
      net.zero_grad();
      net.forward_train(logits, tensor(x, B, 6), serial_executor());
      net.backward(tensor(dy, B, c.classes), serial_executor());
      expect_gradient(
          "classifier params",
          [&](const Vec& v) {
            return weighted_sum(ref_classifier(c, net.layout(), v, as_double(x), B), dy);
          },
          theta, net.grads().data());
    }
  }
}

TEST_CASE("Classifier backward with the cross-entropy: the loss's gradient") {
  const std::size_t B = 6;
  const ClassifierConfig c = small_config(2, kernels::Activation::silu);
  Classifier net = random_classifier(c, 50);
  Rng rng(51);
  const std::vector<float> x = random_floats(rng, B * 6);
  const std::vector<std::int32_t> y = {0, 3, 1, 1, 2, 3};
  Tensor2 logits;
  net.zero_grad();
  net.forward_train(logits, tensor(x, B, 6), serial_executor());
  Tensor2 d_logits = Tensor2::from_shape(logits.shape());
  cross_entropy_forward_backward(d_logits.data(), logits.data(), y.data(), B, c.classes);
  net.backward(d_logits, serial_executor());
  // The loss from the definition: -mean log softmax, no max subtraction (logits are small).
  auto loss = [&](const Vec& v) {
    const Vec z = ref_classifier(c, net.layout(), v, as_double(x), B);
    double total = 0.0;
    for (std::size_t b = 0; b < B; ++b) {
      double sum = 0.0;
      for (std::size_t k = 0; k < c.classes; ++k) sum += std::exp(z[b * c.classes + k]);
      total += std::log(sum) - z[b * c.classes + static_cast<std::size_t>(y[b])];
    }
    return total / B;
  };
  expect_gradient("classifier cross-entropy", loss,
                  to_double(net.params().data(), net.params().size()), net.grads().data());
}

TEST_CASE("Classifier backward accumulates, and checks its call order and shapes") {
  const ClassifierConfig c = small_config(2, kernels::Activation::relu);
  Classifier net = random_classifier(c, 60);
  Tensor2 x = Tensor2::from_shape({3, 6}), logits;
  Rng rng(61);
  rng.fill_normal(x.data(), x.size());
  CHECK_THROWS_WITH(net.backward(Tensor2::from_shape({3, 4}), serial_executor()),
                    Catch::Contains("before forward_train"));
  net.zero_grad();
  net.forward_train(logits, x, serial_executor());
  Tensor2 dy = Tensor2::from_shape({3, 4});
  rng.fill_normal(dy.data(), dy.size());
  net.backward(dy, serial_executor());
  const std::vector<float> once(net.grads().begin(), net.grads().end());
  net.backward(dy, serial_executor());
  for (std::size_t i = 0; i < once.size(); ++i) CHECK(net.grads()[i] == 2.0f * once[i]);
  CHECK_THROWS_WITH(net.backward(Tensor2::from_shape({2, 4}), serial_executor()),
                    Catch::Contains("d_logits is (2, 4)"));
  CHECK_THROWS_WITH(net.forward(logits, Tensor2::from_shape({3, 5}), serial_executor()),
                    Catch::Contains("x has 5 values per image, the classifier takes 6"));
  CHECK_THROWS_WITH(net.forward_train(logits, Tensor2::from_shape({0, 6}), serial_executor()),
                    Catch::Contains("empty"));
}

TEST_CASE("Classifier inference: chunks of rows, any executor, the same bits") {
  // 1,100 rows span three chunks of 512; each chunk's rows must be what a forward of that chunk
  // alone gives, and a splitting executor must change nothing.
  ClassifierConfig c = small_config(2, kernels::Activation::gelu);
  c.hidden = 40;
  Classifier net = random_classifier(c, 70);
  const std::size_t B = 1100;
  Tensor2 x = Tensor2::from_shape({B, 6});
  Rng rng(71);
  rng.fill_normal(x.data(), x.size());
  Tensor2 all, reversed, features, reversed_features;
  net.forward(all, x, serial_executor());
  net.forward(reversed, x, ReverseExecutor());
  net.features(features, x, serial_executor());
  net.features(reversed_features, x, ReverseExecutor());
  CHECK(values(all) == values(reversed));
  CHECK(values(features) == values(reversed_features));
  const std::size_t first = 1024, rows = B - first;  // the last, short chunk
  Tensor2 tail = Tensor2::from_shape({rows, 6}), tail_logits;
  std::copy(x.begin() + first * 6, x.end(), tail.begin());
  net.forward(tail_logits, tail, serial_executor());
  CHECK(std::vector<float>(all.begin() + first * 4, all.end()) == values(tail_logits));
  Tensor2 empty;
  net.forward(empty, Tensor2::from_shape({0, 6}), serial_executor());
  CHECK(empty.shape(0) == 0);
}

namespace {

ImageSet tiny_images() {
  ImageSet set;
  set.count = 3;
  set.height = 2;
  set.width = 3;
  set.levels = 5;
  set.classes = 4;
  set.pixels = {0, 1, 2, 3, 4, 0, 4, 4, 4, 4, 4, 4, 2, 2, 2, 1, 1, 1};
  set.labels = {0, 3, 2};
  return set;
}

}  // namespace

TEST_CASE("classifier_inputs: each pixel as normalization_apply of its level") {
  const ClassifierConfig c = small_config(1, kernels::Activation::relu);
  const ImageSet set = tiny_images();
  const Tensor2 x = classifier_inputs(c, set);
  REQUIRE(x.shape(0) == 3);
  REQUIRE(x.shape(1) == 6);
  Tensor2 raw = Tensor2::from_shape({3, 6});
  for (std::size_t i = 0; i < raw.size(); ++i) raw.data()[i] = set.pixels[i];
  const Tensor2 expected = normalization_apply(normalization_levels(5), raw);
  CHECK(values(x) == values(expected));
  // 2 x / (L - 1) - 1: level 0 is -1, level 4 is 1, level 1 is -0.5 (all exact).
  CHECK(x(0, 0) == -1.0f);
  CHECK(x(0, 4) == 1.0f);
  CHECK(x(0, 1) == -0.5f);
  Tensor2 rows;
  const std::int32_t pick[] = {2, 0};
  classifier_inputs_rows(rows, c, set, pick, 2);
  CHECK(std::vector<float>(rows.begin(), rows.begin() + 6) ==
        std::vector<float>(x.begin() + 12, x.end()));
  CHECK(std::vector<float>(rows.begin() + 6, rows.end()) ==
        std::vector<float>(x.begin(), x.begin() + 6));
}

TEST_CASE("classifier_check_images: the images must be the classifier's") {
  const ClassifierConfig c = small_config(1, kernels::Activation::relu);
  ImageSet set = tiny_images();
  CHECK_NOTHROW(classifier_check_images(c, set, "tiny"));
  set.levels = 6;
  CHECK_THROWS_WITH(classifier_check_images(c, set, "tiny"),
                    "tiny: pixels of 6 levels, but the classifier takes 5");
  set = tiny_images();
  set.classes = 5;
  CHECK_THROWS_WITH(classifier_check_images(c, set, "tiny"),
                    "tiny: labels of 5 classes, but the classifier has 4");
  set = tiny_images();
  set.height = 3;
  set.width = 2;
  CHECK_NOTHROW(classifier_check_images(c, set, "tiny"));  // 6 pixels either way
  set.width = 3;
  set.count = 2;  // 2 x 9 = 18 pixels
  set.labels = {0, 3};
  CHECK_THROWS_WITH(classifier_check_images(c, set, "tiny"),
                    "tiny: images of 1 x 3 x 3 = 9 pixels, but the classifier takes 6");
  set = tiny_images();
  set.pixels[0] = 5;  // >= levels: the set itself is invalid
  CHECK_THROWS_AS(classifier_check_images(c, set, "tiny"), Error);
}

TEST_CASE("classifier_predictions: the largest logit, the first on a tie, never NaN") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Tensor2 logits = tensor({0.1f, 0.3f, 0.2f,   //
                                 2.0f, 2.0f, 1.0f,   //
                                 nan, -5.0f, -6.0f,  //
                                 -1.0f, nan, -0.5f},
                                4, 3);
  const Labels p = classifier_predictions(logits);
  CHECK(p(0) == 1);
  CHECK(p(1) == 0);
  CHECK(p(2) == 1);
  CHECK(p(3) == 2);
}
