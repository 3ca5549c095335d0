// The fused linear kernels on 2 and 3 threads give bit for bit the serial result.
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

TEST_CASE("linear_forward and linear_backward on 2 and 3 threads equal the serial kernels") {
  const ThreadPool two(2), three(3);
  const Executor* executors[] = {&serial_executor(), &two, &three};
  struct Shape { std::size_t B, in, out; };
  for (const Shape s : {Shape{256, 34, 128}, Shape{4096, 128, 128}, Shape{1000, 128, 2}, Shape{77, 300, 45}}) {
    const auto x = normal(s.B * s.in, 1), w = normal(s.out * s.in, 2), bias = normal(s.out, 3);
    const auto dy = normal(s.B * s.out, 4);
    std::vector<std::vector<float>> results;
    for (const Executor* ex : executors) {
      std::vector<float> y(s.B * s.out), pre(s.B * s.out), dx(s.B * s.in), dw(s.out * s.in, 0.0f), db(s.out, 0.0f),
          dpre(s.B * s.out);
      kernels::linear_forward(Activation::silu, y.data(), pre.data(), x.data(), w.data(), bias.data(), s.B, s.in,
                              s.out, *ex);
      kernels::linear_backward(Activation::silu, dx.data(), dw.data(), db.data(), dpre.data(), dy.data(),
                               pre.data(), x.data(), w.data(), s.B, s.in, s.out, *ex);
      std::vector<float> all;
      for (const auto* v : {&y, &pre, &dx, &dw, &db, &dpre}) all.insert(all.end(), v->begin(), v->end());
      results.push_back(std::move(all));
    }
    INFO("B=" << s.B << " in=" << s.in << " out=" << s.out);
    for (std::size_t e = 1; e < 3; ++e) {
      REQUIRE(results[e].size() == results[0].size());
      CHECK(std::memcmp(results[e].data(), results[0].data(), results[0].size() * sizeof(float)) == 0);
    }
  }
}
