// The fused linear kernels on 2 and 3 threads give bit for bit the serial result: the sampling
// forward and the training pair (plain and chained), for every activation.
#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "base/rng.hpp"
#include "kernels/linear.hpp"
#include "support/thread_pool.hpp"

using namespace diffuse;
using kernels::Activation;

namespace {

std::vector<float> normal(std::size_t n, std::uint64_t seed) {
  std::vector<float> v(n);
  Rng(seed).fill_normal(v.data(), n);
  return v;
}

}  // namespace

TEST_CASE("linear_forward and the training pair on 2 and 3 threads equal the serial kernels") {
  const ThreadPool two(2), three(3);
  const Executor* executors[] = {&serial_executor(), &two, &three};
  struct Shape { std::size_t B, in, out; };
  // the reference model's first layer, a hidden layer at batch 4096 (16 blocks of 256 rows), the
  // output layer (narrow forward, few-rows dweight), K past one block with a last block of 45 rows
  for (const Shape s : {Shape{256, 34, 128}, Shape{4096, 128, 128}, Shape{1000, 128, 2}, Shape{301, 300, 45}}) {
    const auto x = normal(s.B * s.in, 1), w = normal(s.out * s.in, 2), bias = normal(s.out, 3);
    const auto dy = normal(s.B * s.out, 4);
    auto dact_below = normal(s.B * s.in, 5);
    kernels::activation_derivative(Activation::silu, dact_below.data(), dact_below.data(), dact_below.size());
    for (const Activation act : {Activation::identity, Activation::relu, Activation::silu, Activation::gelu}) {
      std::vector<std::vector<float>> results;
      for (const Executor* ex : executors) {
        std::vector<float> y_sample(s.B * s.out), y(s.B * s.out), dact(s.B * s.out), dx(s.B * s.in),
            dw(s.out * s.in, 0.0f), db(s.out, 0.0f), dpre(s.B * s.out), dx_chained(s.B * s.in),
            dw_chained(s.out * s.in, 0.0f), db_chained(s.out, 0.0f), dpre_chained(s.B * s.out);
        kernels::linear_forward(act, y_sample.data(), x.data(), w.data(), bias.data(), s.B, s.in, s.out, *ex);
        kernels::linear_forward_keep_derivative(act, y.data(), dact.data(), x.data(), w.data(), bias.data(), s.B,
                                                s.in, s.out, *ex);
        kernels::linear_backward_from_derivative(act, dx.data(), dw.data(), db.data(), dpre.data(), dy.data(),
                                                 dact.data(), x.data(), w.data(), s.B, s.in, s.out, *ex);
        kernels::linear_backward_from_derivative(act, dx_chained.data(), dw_chained.data(), db_chained.data(),
                                                 dpre_chained.data(), dy.data(), dact.data(), x.data(), w.data(), s.B,
                                                 s.in, s.out, *ex, {Activation::silu, dact_below.data()});
        std::vector<float> all;
        for (const auto* v : {&y_sample, &y, &dact, &dx, &dw, &db, &dpre, &dx_chained, &dw_chained, &db_chained,
                              &dpre_chained}) {
          all.insert(all.end(), v->begin(), v->end());
        }
        results.push_back(std::move(all));
      }
      INFO("B=" << s.B << " in=" << s.in << " out=" << s.out << " " << kernels::activations.name(act));
      for (std::size_t e = 1; e < 3; ++e) {
        REQUIRE(results[e].size() == results[0].size());
        CHECK(std::memcmp(results[e].data(), results[0].data(), results[0].size() * sizeof(float)) == 0);
      }
    }
  }
}
