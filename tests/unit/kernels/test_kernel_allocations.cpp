// Steady-state kernel calls allocate nothing: after a first call has grown the per-thread scratch
// buffers, gemm on every path and the fused linear kernels must not touch the heap (the training
// and sampling steps promise that; see tests/unit/nn/test_mlp_steady_state.cpp). Counted by
// replacing the global operator new and, with glibc, interposing posix_memalign (xsimd's aligned
// allocator).
#include <catch2/catch.hpp>

#include <vector>

#include "support/allocation_counter.hpp"
#include "base/rng.hpp"
#include "kernels/gemm.hpp"
#include "kernels/gemm_times_derivative.hpp"
#include "kernels/linear.hpp"
#include "kernels/optimizer_kernels.hpp"

using namespace diffuse;
using kernels::Activation;
using kernels::Transpose;

TEST_CASE("gemm, the fused linear kernels and the optimizer kernels allocate nothing in steady state") {
  const std::size_t B = 300, in = 40, out = 70;
  std::vector<float> x(B * in), w(out * in), bias(out), y(B * out), dact(B * out), dy(B * out);
  std::vector<float> dx(B * in), dw(out * in), db(out), dpre(B * out), small(B * 2), m(out * in), v(out * in);
  std::vector<float> dact_below(B * in);
  Rng rng(1);
  for (auto* buffer : {&x, &w, &bias, &dy, &dact_below}) rng.fill_normal(buffer->data(), buffer->size());
  const kernels::AdamStep step{1e-3f, 0.9f, 0.999f, 1e-8f, 0.0f, 0.1f, 0.001f};
  auto one_round = [&] {
    for (const Transpose tb : {Transpose::no, Transpose::yes}) {
      // tiled with A in place: C (B, out) = x (B, in) op(w)
      kernels::gemm(Transpose::no, tb, B, out, in, 1.0f, x.data(), in, w.data(), tb == Transpose::no ? out : in,
                    0.0f, y.data(), out);
      // tiled with A packed: C (in, out) = x^T op(dy), dy seen as (B, out) or (out, B)
      kernels::gemm(Transpose::yes, tb, in, out, B, 1.0f, x.data(), in, dy.data(), tb == Transpose::no ? out : B,
                    0.0f, y.data(), out);
      // dot-product path: C (B, 2) = x op(w), w seen as (in, 2) or (2, in)
      kernels::gemm(Transpose::no, tb, B, 2, in, 1.0f, x.data(), in, w.data(), tb == Transpose::no ? 2 : in, 0.0f,
                    small.data(), 2);
    }
    // few-rows path: C (2, out) += dy^T y, the first two columns of dy (B, out)
    kernels::gemm(Transpose::yes, Transpose::no, 2, out, B, 1.0f, dy.data(), out, y.data(), out, 1.0f, small.data(),
                  out);
    // the sampling forward, and the training pair: plain, in place (dpre == dact), and chained
    // (dx multiplied by the layer below's derivative, as gemm_times_derivative alone)
    kernels::linear_forward(Activation::silu, y.data(), x.data(), w.data(), bias.data(), B, in, out);
    kernels::linear_forward_keep_derivative(Activation::silu, y.data(), dact.data(), x.data(), w.data(), bias.data(),
                                            B, in, out);
    kernels::linear_backward_from_derivative(Activation::silu, dx.data(), dw.data(), db.data(), dpre.data(),
                                             dy.data(), dact.data(), x.data(), w.data(), B, in, out);
    kernels::linear_backward_from_derivative(Activation::silu, dx.data(), dw.data(), db.data(), dact.data(),
                                             dy.data(), dact.data(), x.data(), w.data(), B, in, out, serial_executor(),
                                             {Activation::relu, dact_below.data()});
    kernels::gemm_times_derivative(Activation::gelu, B, in, out, dy.data(), out, w.data(), in, dact_below.data(),
                                   dx.data(), in);
    kernels::sum_rows_accumulate(db.data(), dy.data(), B, out);
    kernels::adam_update(w.data(), dw.data(), m.data(), v.data(), w.size(), step);
  };
  one_round();  // grows the scratch buffers
  const long before = allocations;
  one_round();
  one_round();
  CHECK(allocations - before == 0);
}
