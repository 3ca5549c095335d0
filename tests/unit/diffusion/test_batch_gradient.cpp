// The chunked batch gradient against the chunks computed one at a time and summed in double, with
// a bound derived from float addition; the loss and per-row losses against loss_evaluate over the
// whole batch; results independent of the executor; labels travel with their rows.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <vector>

#include "base/error.hpp"
#include "base/rng.hpp"
#include "diffusion/batch_gradient.hpp"
#include "diffusion/forward_process.hpp"
#include "nn/model_config.hpp"
#include "support/reverse_executor.hpp"

using namespace diffuse;

namespace {

constexpr double u = 1.0 / (1 << 24);  // float32 unit roundoff

struct Data {
  Tensor2 x0, eps, x_t;
  Steps t;
  Labels labels;  // (B,) in 0..3 (3: the null class of a 3-class model)
};

Data make_data(const NoiseSchedule& s, std::size_t B, std::uint64_t seed) {
  Data d;
  Rng rng(seed);
  d.x0 = Tensor2::from_shape({B, 2});
  d.eps = Tensor2::from_shape({B, 2});
  rng.fill_normal(d.x0.data(), d.x0.size());
  rng.fill_normal(d.eps.data(), d.eps.size());
  d.t = Steps::from_shape({B});
  rng.fill_below(d.t.data(), B, static_cast<std::uint32_t>(s.T));
  d.labels = Labels::from_shape({B});
  rng.fill_below(d.labels.data(), B, 4);
  q_sample(d.x_t, d.x0, d.eps, d.t, s);
  return d;
}

Tensor2 rows(const Tensor2& x, std::size_t r0, std::size_t n) {
  Tensor2 out = Tensor2::from_shape({n, x.shape(1)});
  std::copy(x.data() + r0 * x.shape(1), x.data() + (r0 + n) * x.shape(1), out.data());
  return out;
}

std::unique_ptr<Network> make_model(const MlpConfig& config) {
  std::unique_ptr<Network> model = network_make(config);
  Rng rng(5);
  model->init_params(rng);
  return model;
}

const Labels* labels_for(const Network& model, const Data& d) {
  return model.conditional() ? &d.labels : nullptr;
}

// Plain layers, with and without the time projection (residual layers sum LayerNorm's parameter
// gradients row by row straight into the buffer, so their chunking is no different from the
// whole batch's and the bound below is not the one that applies).
std::vector<MlpConfig> configs() {
  MlpConfig plain;
  MlpConfig projected;
  projected.time_projection = true;
  projected.activation = kernels::Activation::gelu;
  MlpConfig conditional;
  conditional.classes = 3;
  return {plain, projected, conditional};
}

}  // namespace

TEST_CASE("the chunked gradient is the float sum of the chunks' gradients") {
  // Each chunk's gradient enters the buffer as one float addition per parameter (dW: one gemm
  // epilogue with beta = 1, exactly one block of K; db: one rounded add of the chunk's sum), so
  // with c chunks the result differs from the exact sum of the chunks' own float gradients g_k by
  // at most c u sum_k |g_k| (each of the c additions rounds once, relative to a partial sum whose
  // size is at most sum_k |g_k|).
  const NoiseSchedule s = schedule_make({});
  const std::size_t B = 600, chunk_rows = 256;  // chunks of 256, 256, 88
  const Data d = make_data(s, B, 11);
  for (const MlpConfig& config : configs()) {
    INFO("time projection " << config.time_projection << ", classes " << config.classes);
    const std::unique_ptr<Network> chunked_model = make_model(config), single_model = make_model(config);
    Network &chunked = *chunked_model, &single = *single_model;
    BatchChunk scratch;
    chunked.zero_grad();
    const LossResult loss =
        batch_gradient(chunked, BatchObjective{Objective::diffusion, Prediction::eps, nullptr}, d.x_t, d.x0, d.eps, d.t, labels_for(chunked, d), s,
                       LossConfig{}, chunk_rows, scratch, serial_executor());

    const std::size_t P = chunked.grads().size();
    std::vector<double> sum(P, 0.0), abs_sum(P, 0.0);
    std::size_t chunks = 0;
    Tensor2 out, grad_out;
    std::vector<double> per_row;
    for (std::size_t r0 = 0; r0 < B; r0 += chunk_rows, ++chunks) {
      const std::size_t n = std::min(chunk_rows, B - r0);
      const Tensor2 x_t = rows(d.x_t, r0, n), x0 = rows(d.x0, r0, n), eps = rows(d.eps, r0, n);
      Steps t = Steps::from_shape({n});
      std::copy(d.t.data() + r0, d.t.data() + r0 + n, t.data());
      Labels labels = Labels::from_shape({n});
      std::copy(d.labels.data() + r0, d.labels.data() + r0 + n, labels.data());
      single.zero_grad();
      single.forward_train(out, x_t, t, single.conditional() ? &labels : nullptr, serial_executor());
      const LossResult part =
          loss_evaluate(grad_out, out, Prediction::eps, x_t, x0, eps, t, s, LossConfig{}, B);
      single.backward(grad_out, serial_executor());
      per_row.insert(per_row.end(), part.per_row.begin(), part.per_row.end());
      for (std::size_t i = 0; i < P; ++i) {
        sum[i] += single.grads()[i];
        abs_sum[i] += std::abs(single.grads()[i]);
      }
    }
    REQUIRE(chunks == 3);
    std::size_t worst = 0;
    double worst_ratio = 0.0;
    // The class embedding's gradient is accumulated row by row straight into the buffer
    // (nn/embedding.hpp): chunks do not add to it as one sum each, so this bound does not describe
    // it (as LayerNorm's in residual layers). Its rows' labels are checked through the per-row
    // losses below: a row scored with another row's label would have another loss.
    std::size_t skip_begin = P, skip_end = P;
    if (chunked.layout().contains("class_embedding.weight")) {
      const ParamSlice& table = chunked.layout().find("class_embedding.weight");
      skip_begin = table.offset;
      skip_end = table.offset + table.size;
    }
    for (std::size_t i = 0; i < P; ++i) {
      if (i >= skip_begin && i < skip_end) continue;
      const double bound = chunks * u * abs_sum[i] * (1.0 + 1e-6);
      const double error = std::abs(chunked.grads()[i] - sum[i]);
      if (error > bound) FAIL("parameter " << i << ": " << chunked.grads()[i] << " vs " << sum[i] << ", bound " << bound);
      if (abs_sum[i] > 0 && error / (u * abs_sum[i]) > worst_ratio) {
        worst_ratio = error / (u * abs_sum[i]);
        worst = i;
      }
    }
    INFO("worst error " << worst_ratio << " u sum|g_k| at parameter " << worst);
    CHECK(per_row == loss.per_row);  // rows do not see each other: the same forward in any chunk

    // The loss: loss_evaluate over the whole batch, in the same rows' forward values.
    Tensor2 whole_out, whole_grad;
    single.forward_train(whole_out, d.x_t, d.t, labels_for(single, d), serial_executor());
    const LossResult whole = loss_evaluate(whole_grad, whole_out, Prediction::eps, d.x_t, d.x0,
                                           d.eps, d.t, s, LossConfig{});
    CHECK(loss.per_row == whole.per_row);
    // both are sums of the same B positive double terms in different groupings
    CHECK(std::abs(loss.loss - whole.loss) <= 4 * B * std::ldexp(1.0, -53) * whole.loss);
  }
}

TEST_CASE("one chunk is the whole batch's gradient, and chunking does not depend on the executor") {
  const NoiseSchedule s = schedule_make({});
  const std::size_t B = 300;
  const Data d = make_data(s, B, 12);
  const auto a = make_model(MlpConfig{}), b = make_model(MlpConfig{}), c = make_model(MlpConfig{});
  BatchChunk scratch;
  a->zero_grad();
  b->zero_grad();
  c->zero_grad();
  batch_gradient(*a, BatchObjective{Objective::diffusion, Prediction::eps, nullptr}, d.x_t, d.x0, d.eps, d.t, nullptr, s, LossConfig{}, 128,
                 scratch, serial_executor());
  batch_gradient(*b, BatchObjective{Objective::diffusion, Prediction::eps, nullptr}, d.x_t, d.x0, d.eps, d.t, nullptr, s, LossConfig{}, 128,
                 scratch, test::ReverseExecutor());
  CHECK(std::equal(a->grads().begin(), a->grads().end(), b->grads().begin()));

  // chunk_rows >= B: forward_train, loss_evaluate and backward on the batch itself
  batch_gradient(*c, BatchObjective{Objective::diffusion, Prediction::eps, nullptr}, d.x_t, d.x0, d.eps, d.t, nullptr, s, LossConfig{}, B,
                 scratch, serial_executor());
  const auto ref = make_model(MlpConfig{});
  ref->zero_grad();
  Tensor2 out, grad_out;
  ref->forward_train(out, d.x_t, d.t, nullptr, serial_executor());
  loss_evaluate(grad_out, out, Prediction::eps, d.x_t, d.x0, d.eps, d.t, s, LossConfig{});
  ref->backward(grad_out, serial_executor());
  CHECK(std::equal(c->grads().begin(), c->grads().end(), ref->grads().begin()));
}

TEST_CASE("batch_gradient rejects a chunk of zero rows") {
  const NoiseSchedule s = schedule_make({});
  const Data d = make_data(s, 8, 13);
  const auto m = make_model(MlpConfig{});
  BatchChunk scratch;
  CHECK_THROWS_WITH(batch_gradient(*m, BatchObjective{Objective::diffusion, Prediction::eps, nullptr}, d.x_t, d.x0, d.eps, d.t, nullptr, s,
                                   LossConfig{}, 0, scratch, serial_executor()),
                    Catch::Contains("chunk_rows = 0"));
}
