// The MLP network: the spec's parameter names, shapes and count; PyTorch's init; the float32
// forward against the float64 reference; forward, forward_at and forward_train agreeing; the whole
// model's backward against central differences for every configuration variant, class-conditional
// ones included; input errors.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <set>

#include "base/error.hpp"
#include "layer_check.hpp"
#include "nn/mlp.hpp"

using namespace diffuse;
using namespace diffuse::test;
using kernels::Activation;

namespace {

struct Batch {
  Tensor2 x;                     // (B, D)
  Steps t;                       // (B,)
  std::vector<std::int32_t> tv;  // t as a vector for the reference
  Labels labels;                 // (B,) in 0..K (K the null class); empty if unconditional
  std::vector<std::int32_t> lv;  // the labels as a vector for the reference

  const Labels* label_ptr() const { return labels.size() ? &labels : nullptr; }
};

// K > 0: labels drawn in 0..K, so the null class K is among them.
Batch random_batch(std::size_t B, std::size_t D, std::uint64_t seed, std::size_t K = 0) {
  Rng rng(seed);
  Batch b{Tensor2::from_shape({B, D}), Steps::from_shape({B}), {}, {}, {}};
  rng.fill_normal(b.x.data(), B * D);
  rng.fill_below(b.t.data(), B, 1000);
  b.tv.assign(b.t.begin(), b.t.end());
  if (K > 0) {
    b.labels = Labels::from_shape({B});
    rng.fill_below(b.labels.data(), B, static_cast<std::uint32_t>(K + 1));
    b.lv.assign(b.labels.begin(), b.labels.end());
  }
  return b;
}

Vec model_reference(const Mlp& m, const Batch& b, double* min_abs_pre = nullptr) {
  return ref_mlp_forward(m.config(), m.layout(), to_double(m.params().data(), m.params().size()),
                         Vec(b.x.begin(), b.x.end()), b.tv, min_abs_pre,
                         b.labels.size() ? &b.lv : nullptr);
}

std::vector<float> as_vector(const Tensor2& t) {
  return std::vector<float>(t.begin(), t.end());
}

// Small variants of every structural option (prediction does not change the network).
MlpConfig small(bool residual, bool projection, std::size_t x_embed, Activation act) {
  MlpConfig c;
  c.data_dim = 2;
  c.time_embed = 8;
  c.hidden = 12;
  c.layers = 3;
  c.residual = residual;
  c.time_projection = projection;
  c.x_embed = x_embed;
  c.activation = act;
  return c;
}

std::vector<MlpConfig> variants() {
  std::vector<MlpConfig> out;
  for (Activation act : {Activation::silu, Activation::relu, Activation::gelu}) {
    out.push_back(small(false, false, 0, act));  // plain
    out.push_back(small(true, false, 0, act));   // residual
  }
  out.push_back(small(false, true, 0, Activation::silu));   // time projection
  out.push_back(small(false, false, 4, Activation::silu));  // x embedding
  out.push_back(small(true, true, 4, Activation::gelu));    // everything at once
  MlpConfig one = small(false, true, 0, Activation::silu);  // a single hidden layer
  one.layers = 1;
  out.push_back(one);
  MlpConfig conditional = small(false, false, 0, Activation::silu);  // class-conditional
  conditional.classes = 3;
  out.push_back(conditional);
  MlpConfig conditional_all = small(true, true, 4, Activation::gelu);  // with everything else
  conditional_all.classes = 2;
  out.push_back(conditional_all);
  MlpConfig doubled = small(true, true, 0, Activation::silu);  // a learned variance's 2 D outputs
  doubled.out_dim = 2 * doubled.data_dim;
  out.push_back(doubled);
  return out;
}

std::string describe(const MlpConfig& c) {
  return kernels::activations.name(c.activation) + (c.residual ? " residual" : " plain") +
         (c.time_projection ? " +time_proj" : "") +
         (c.x_embed ? " +x_embed " + std::to_string(c.x_embed) : "") + " layers " +
         std::to_string(c.layers) + (c.classes ? " classes " + std::to_string(c.classes) : "") +
         (c.out_dim ? " out_dim " + std::to_string(c.out_dim) : "");
}

}  // namespace

// The spec's table gives these shapes; its sum 34*128 + 128 + 2*(128*128 + 128) + 128*2 + 2 is
// 37,762 (the "37,634" printed beside it leaves out layers.0.bias).
TEST_CASE("the reference model has the spec's names and shapes: 37,762 parameters") {
  const Mlp m{MlpConfig{}};
  const std::vector<std::pair<std::string, std::vector<std::size_t>>> expected = {
      {"layers.0.weight", {128, 34}},  {"layers.0.bias", {128}},
      {"layers.1.weight", {128, 128}}, {"layers.1.bias", {128}},
      {"layers.2.weight", {128, 128}}, {"layers.2.bias", {128}},
      {"output.weight", {2, 128}},     {"output.bias", {2}}};
  const auto& slices = m.layout().slices();
  REQUIRE(slices.size() == expected.size());
  std::size_t end = 0;
  for (std::size_t i = 0; i < slices.size(); ++i) {
    CHECK(slices[i].name == expected[i].first);
    CHECK(slices[i].shape == expected[i].second);
    CHECK(slices[i].offset % 16 == 0);  // 64-byte aligned
    CHECK(slices[i].offset >= end);     // in order, no overlap
    end = slices[i].offset + slices[i].size;
  }
  CHECK(m.layout().count() == 34 * 128 + 128 + 2 * (128 * 128 + 128) + 128 * 2 + 2);
  CHECK(m.layout().count() == 37762);
  CHECK(m.layout().total() == end);
  CHECK(m.params().size() == m.layout().total());
  CHECK(m.grads().size() == m.layout().total());
}

TEST_CASE("optional modules add time_proj.* and norms.1.. exactly as the spec names them") {
  MlpConfig c;
  c.time_projection = true;
  c.residual = true;
  c.x_embed = 16;
  const ParamLayout layout = mlp_param_layout(c);
  std::vector<std::string> names;
  for (const auto& s : layout.slices()) names.push_back(s.name);
  CHECK(names == std::vector<std::string>{"time_proj.weight", "time_proj.bias", "layers.0.weight",
                                          "layers.0.bias", "layers.1.weight", "layers.1.bias",
                                          "layers.2.weight", "layers.2.bias", "norms.1.weight",
                                          "norms.1.bias", "norms.2.weight", "norms.2.bias",
                                          "output.weight", "output.bias"});
  CHECK(layout.find("time_proj.weight").shape == std::vector<std::size_t>{32, 32});
  CHECK(layout.find("layers.0.weight").shape == std::vector<std::size_t>{128, 2 * 16 + 32});
  CHECK(layout.find("norms.2.bias").shape == std::vector<std::size_t>{128});
  CHECK(layout.count() ==
        32 * 32 + 32 + 128 * 64 + 128 + 2 * (128 * 128 + 128) + 4 * 128 + 2 * 128 + 2);
}

TEST_CASE("init_params follows PyTorch's defaults and is reproducible from the seed") {
  MlpConfig c;
  c.residual = true;
  c.time_projection = true;
  Mlp m(c);
  Rng rng(5);
  m.init_params(rng);
  for (const auto& s : m.layout().slices()) {
    INFO(s.name);
    const float* v = m.params().data() + s.offset;
    if (s.name.rfind("norms.", 0) == 0) {
      const float want = s.name.find(".weight") != std::string::npos ? 1.0f : 0.0f;
      CHECK(std::all_of(v, v + s.size, [&](float x) { return x == want; }));
      continue;
    }
    const std::string module = s.name.substr(0, s.name.rfind('.'));
    const double bound = 1.0 / std::sqrt(double(m.layout().find(module + ".weight").shape[1]));
    double lo = INFINITY, hi = -INFINITY, sum = 0;
    for (std::size_t i = 0; i < s.size; ++i) {
      lo = std::min(lo, double(v[i]));
      hi = std::max(hi, double(v[i]));
      sum += v[i];
    }
    CHECK(lo >= -bound);
    CHECK(hi <= bound);
    // n draws of U(-a, a) reach within 2a ln(1000) / n of each end with probability 0.999, and
    // their mean is within 5 sigma = 5 a / sqrt(3 n) of 0.
    const double n = double(s.size);
    CHECK(hi >= bound * (1 - 2 * std::log(1000.0) / n));
    CHECK(lo <= -bound * (1 - 2 * std::log(1000.0) / n));
    CHECK(std::abs(sum / n) <= 5 * bound / std::sqrt(3 * n));
  }
  // The alignment gaps stay zero; the same seed gives the same weights, another seed others.
  std::set<std::size_t> used;
  for (const auto& s : m.layout().slices()) {
    for (std::size_t i = 0; i < s.size; ++i) used.insert(s.offset + i);
  }
  for (std::size_t i = 0; i < m.params().size(); ++i) {
    if (!used.count(i)) CHECK(m.params()[i] == 0.0f);
  }
  Mlp same(c), other(c);
  Rng rng_same(5), rng_other(6);
  same.init_params(rng_same);
  other.init_params(rng_other);
  CHECK(same.params() == m.params());
  CHECK(other.params() != m.params());
}

TEST_CASE("forward equals the float64 reference, and forward equals forward_train") {
  for (const MlpConfig& c : variants()) {
    INFO(describe(c));
    Mlp m(c);
    Rng rng(7);
    m.init_params(rng);
    const Batch b = random_batch(9, c.data_dim, 8, c.classes);
    Tensor2 train_out, predict_out;
    m.forward_train(train_out, b.x, b.t, b.label_ptr(), serial_executor());
    m.forward(predict_out, b.x, b.t, b.label_ptr(), serial_executor());
    // Per layer, sums of <= 40 terms of magnitude <= ~1 and a few roundings; 4 layers deep with
    // gains ~1: k = 4 x 48 roundings on a scale of 4.
    expect_close(as_vector(train_out), model_reference(m, b), 4.0, 4 * 48);
    // The same operations on the same values in other buffers: bit for bit.
    CHECK(as_vector(predict_out) == as_vector(train_out));
  }
}

TEST_CASE("forward_at equals forward with a constant t, for every variant") {
  for (const MlpConfig& c : variants()) {
    INFO(describe(c));
    Mlp m(c);
    Rng rng(9);
    m.init_params(rng);
    for (int t : {0, 1, 500, 999}) {
      Batch b = random_batch(7, c.data_dim, 10, c.classes);
      b.t.fill(t);
      std::fill(b.tv.begin(), b.tv.end(), t);
      Tensor2 at, rows;
      m.forward_at(at, b.x, t, b.label_ptr(), serial_executor());
      m.forward(rows, b.x, b.t, b.label_ptr(), serial_executor());
      // Only the first layer's sum is split differently (x part + shared time part): the same
      // bound as against the reference.
      expect_close(as_vector(at), model_reference(m, b), 4.0, 4 * 48);
      expect_close(as_vector(at), Vec(rows.begin(), rows.end()), 4.0, 4 * 48);
    }
  }
}

TEST_CASE("the whole model's backward matches central differences for every variant") {
  for (const MlpConfig& c : variants()) {
    INFO(describe(c));
    Mlp m(c);
    Rng rng(11);
    m.init_params(rng);
    const Batch b = random_batch(6, c.data_dim, 12, c.classes);
    double closest = 0;
    model_reference(m, b, &closest);
    if (c.activation == Activation::relu) REQUIRE(closest > 1e-4);  // off ReLU's kink
    Tensor2 out, d_out = Tensor2::from_shape({6, mlp_out_dim(c)});
    Rng(13).fill_normal(d_out.data(), d_out.size());
    const std::vector<float> w = as_vector(d_out);
    m.zero_grad();
    m.forward_train(out, b.x, b.t, b.label_ptr(), serial_executor());
    m.backward(d_out, serial_executor());
    Vec theta = to_double(m.params().data(), m.params().size());
    const Vec x(b.x.begin(), b.x.end());
    for (const ParamSlice& s : m.layout().slices()) {
      const Vec slice(theta.begin() + s.offset, theta.begin() + s.offset + s.size);
      auto loss = [&](const Vec& v) {
        Vec full = theta;
        std::copy(v.begin(), v.end(), full.begin() + s.offset);
        return weighted_sum(
            ref_mlp_forward(c, m.layout(), full, x, b.tv, nullptr, b.labels.size() ? &b.lv : nullptr),
            w);
      };
      expect_gradient(s.name, loss, slice, m.grads().data() + s.offset);
    }
  }
}

TEST_CASE("backward accumulates into grads, zero_grad clears, forward leaves the cache alone") {
  const MlpConfig c = small(true, true, 0, Activation::silu);
  Mlp m(c);
  Rng rng(14);
  m.init_params(rng);
  const Batch b = random_batch(5, 2, 15), other = random_batch(11, 2, 16);
  Tensor2 out, d_out = Tensor2::from_shape({5, 2}), scratch;
  Rng(17).fill_normal(d_out.data(), d_out.size());
  m.forward_train(out, b.x, b.t, b.label_ptr(), serial_executor());
  m.backward(d_out, serial_executor());
  const AlignedBuffer once = m.grads();
  m.forward(scratch, other.x, other.t, nullptr, serial_executor());  // other buffers, other batch size
  m.forward_at(scratch, other.x, 3, nullptr, serial_executor());
  m.backward(d_out, serial_executor());
  // Adding the same sums again: row-by-row accumulations (LayerNorm's dweight, dbias) round on the
  // way, so up to B roundings of the running sum's magnitude.
  for (std::size_t i = 0; i < once.size(); ++i) {
    CHECK(m.grads()[i] ==
          Approx(2 * once[i]).margin(8 * 5 * std::ldexp(std::abs(once[i]) + 1, -24)));
  }
  m.zero_grad();
  CHECK(std::all_of(m.grads().begin(), m.grads().end(), [](float g) { return g == 0.0f; }));
  // A new batch size in training re-sizes the cache and stays correct.
  m.forward_train(out, other.x, other.t, nullptr, serial_executor());
  expect_close(as_vector(out), model_reference(m, other), 4.0, 4 * 48);
}

TEST_CASE("the model rejects mismatched inputs with a message naming the sizes") {
  Mlp m{MlpConfig{}};
  Tensor2 out, x = Tensor2::from_shape({4, 3});
  Steps t = Steps::from_shape({4});
  t.fill(1);
  CHECK_THROWS_WITH(m.forward(out, x, t, nullptr, serial_executor()),
                    Catch::Contains("3 values per sample") && Catch::Contains("have 2"));
  Tensor2 x2 = Tensor2::from_shape({4, 2});
  x2.fill(0.5f);
  Steps t5 = Steps::from_shape({5});
  CHECK_THROWS_WITH(m.forward_train(out, x2, t5, nullptr, serial_executor()),
                    Catch::Contains("4 rows") && Catch::Contains("5 timesteps"));
  CHECK_THROWS_WITH(m.backward(x2, serial_executor()), Catch::Contains("before forward_train"));
  m.forward_train(out, x2, t, nullptr, serial_executor());
  Tensor2 wrong = Tensor2::from_shape({3, 2});
  CHECK_THROWS_WITH(m.backward(wrong, serial_executor()), Catch::Contains("(3, 2)"));
  CHECK_THROWS_AS(Mlp(MlpConfig{0}), Error);
  Labels two = Labels::from_shape({4});
  two.fill(0);
  CHECK_NOTHROW(m.forward(out, x2, t, &two, serial_executor()));  // the null class of K = 0
  two(2) = 1;
  CHECK_THROWS_WITH(m.forward(out, x2, t, &two, serial_executor()),
                    Catch::Contains("label 1 of row 2") && Catch::Contains("unconditional"));
}

TEST_CASE("an empty batch gives an empty output") {
  Mlp m{MlpConfig{}};
  Tensor2 out, x = Tensor2::from_shape({0, 2});
  Steps t = Steps::from_shape({0});
  m.forward(out, x, t, nullptr, serial_executor());
  CHECK(out.shape(0) == 0);
  m.forward_at(out, x, 5, nullptr, serial_executor());
  CHECK(out.shape(0) == 0);
}

TEST_CASE("a cloned model predicts the same with its own buffers") {
  MlpConfig c = small(true, true, 4, Activation::silu);
  Mlp m(c);
  Rng rng(18);
  m.init_params(rng);
  const Batch b = random_batch(6, 2, 19);
  Tensor2 a, out_copy;
  m.forward(a, b.x, b.t, b.label_ptr(), serial_executor());  // m's buffers exist before the copy
  const std::unique_ptr<Network> copy = m.clone();
  copy->forward(out_copy, b.x, b.t, b.label_ptr(), serial_executor());
  CHECK(as_vector(out_copy) == as_vector(a));
  copy->params()[0] += 1.0f;  // the copy owns its parameters
  m.forward(a, b.x, b.t, b.label_ptr(), serial_executor());
  CHECK(as_vector(out_copy) == as_vector(a));
}

TEST_CASE("out may be the same tensor as x_t") {
  Mlp m(small(true, true, 4, Activation::silu));
  Rng rng(20);
  m.init_params(rng);
  const Batch b = random_batch(5, 2, 21);
  Tensor2 want_rows, want_at, want_train, x;
  m.forward(want_rows, b.x, b.t, b.label_ptr(), serial_executor());
  m.forward_at(want_at, b.x, 42, b.label_ptr(), serial_executor());
  m.forward_train(want_train, b.x, b.t, b.label_ptr(), serial_executor());
  x = b.x;
  m.forward(x, x, b.t, nullptr, serial_executor());
  CHECK(as_vector(x) == as_vector(want_rows));
  x = b.x;
  m.forward_at(x, x, 42, nullptr, serial_executor());
  CHECK(as_vector(x) == as_vector(want_at));
  x = b.x;
  m.forward_train(x, x, b.t, nullptr, serial_executor());
  CHECK(as_vector(x) == as_vector(want_train));
}

TEST_CASE("a conditional MLP adds class_embedding[label] to the time features; no labels is the null class") {
  MlpConfig c = small(false, false, 0, Activation::silu);
  c.classes = 4;
  const ParamLayout layout = mlp_param_layout(c);
  CHECK(layout.slices().back().name == "class_embedding.weight");
  CHECK(layout.slices().back().shape == std::vector<std::size_t>{5, 8});  // K + 1 rows of E
  Mlp m(c);
  Rng rng(22);
  m.init_params(rng);
  // torch.nn.Embedding's init: N(0, 1), drawn after every other slice (the unconditional draws
  // are unchanged by classes).
  Mlp plain(small(false, false, 0, Activation::silu));
  Rng rng_plain(22);
  plain.init_params(rng_plain);
  const ParamSlice& table = m.layout().find("class_embedding.weight");
  for (const ParamSlice& s : plain.layout().slices()) {
    const ParamSlice& same = m.layout().find(s.name);
    CHECK(std::equal(plain.params().begin() + s.offset, plain.params().begin() + s.offset + s.size,
                     m.params().begin() + same.offset));
  }
  double sum = 0, sum_sq = 0;
  for (std::size_t i = 0; i < table.size; ++i) {
    sum += m.params()[table.offset + i];
    sum_sq += double(m.params()[table.offset + i]) * m.params()[table.offset + i];
  }
  CHECK(sum_sq / table.size > 0.3);  // 40 draws of N(0, 1): variance far from 0
  // Different labels give different outputs; nullptr equals labels all K.
  const Batch b = random_batch(6, 2, 23);
  Labels null_rows = Labels::from_shape({6}), zeros = Labels::from_shape({6});
  null_rows.fill(4);
  zeros.fill(0);
  Tensor2 none, nulls, zero;
  m.forward(none, b.x, b.t, nullptr, serial_executor());
  m.forward(nulls, b.x, b.t, &null_rows, serial_executor());
  m.forward(zero, b.x, b.t, &zeros, serial_executor());
  CHECK(as_vector(none) == as_vector(nulls));
  CHECK(as_vector(none) != as_vector(zero));
  Labels bad = zeros;
  bad(3) = 5;
  CHECK_THROWS_WITH(m.forward(none, b.x, b.t, &bad, serial_executor()),
                    Catch::Contains("label 5 of row 3") && Catch::Contains("0..4") &&
                        Catch::Contains("null class"));
}
