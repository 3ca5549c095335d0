// No allocation in the steady-state training step or sampling step: after a first step has sized
// every buffer, further steps of the same batch size must not touch the heap. Counted by replacing
// the global operator new (std::vector, std::function, strings) and, with glibc, interposing
// posix_memalign (xsimd's aligned allocator, behind every AlignedBuffer and xtensor container).
// The buffers are the MLP's arena (mlp_workspace.cpp).
#include <catch2/catch.hpp>

#include "support/allocation_counter.hpp"
#include "base/rng.hpp"
#include "training_step.hpp"

using namespace diffuse;
using namespace diffuse::test;

TEST_CASE("the counter sees aligned and ordinary allocations") {
  const long before = allocations;
  { AlignedBuffer b(100); }
  { std::vector<int> v(3); }
#if defined(__GLIBC__)
  CHECK(allocations - before == 2);
#else
  CHECK(allocations - before >= 1);
#endif
}

TEST_CASE("steady-state training and sampling steps allocate nothing") {
  MlpConfig c;  // the reference model, and the variant with every option
  MlpConfig full = c;
  full.residual = true;
  full.time_projection = true;
  full.x_embed = 8;
  for (const MlpConfig& config : {c, full}) {
    LrSchedule lr;
    Trainee run(config, lr, 1);
    const std::size_t B = 64;
    Tensor2 x = Tensor2::from_shape({B, 2}), target = Tensor2::from_shape({B, 2}), sample;
    Steps t = Steps::from_shape({B});
    Rng rng(2);
    rng.fill_normal(x.data(), x.size());
    rng.fill_normal(target.data(), target.size());
    rng.fill_below(t.data(), B, 1000);
    run.step(x, t, target);                                   // sizes the training buffers
    run.model.forward_at(sample, x, 999, nullptr, serial_executor());  // sizes the inference buffers
    run.model.forward(sample, x, t, nullptr, serial_executor());
    const long before = allocations;
    for (int k = 0; k < 3; ++k) {
      run.step(x, t, target);
      run.model.forward_at(sample, x, 999 - k, nullptr, serial_executor());
      run.model.forward(sample, x, t, nullptr, serial_executor());
    }
    CHECK(allocations - before == 0);
  }
}
