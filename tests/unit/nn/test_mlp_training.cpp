// Training end to end on a fixed batch: the loss falls by orders of magnitude (a smoke test that
// forward, backward, clipping, Adam and the schedule fit together), and a run restored from its
// state (parameters, Adam's k, m, v and the EMA) continues bit for bit.
#include <catch2/catch.hpp>

#include "base/rng.hpp"
#include "training_step.hpp"

using namespace diffuse;
using namespace diffuse::test;

namespace {

struct FixedBatch {
  Tensor2 x, target;  // (B, D)
  Steps t;            // (B,)
  FixedBatch(std::size_t B, std::size_t D, std::uint64_t seed)
      : x(Tensor2::from_shape({B, D})),
        target(Tensor2::from_shape({B, D})),
        t(Steps::from_shape({B})) {
    Rng rng(seed);
    rng.fill_normal(x.data(), x.size());
    rng.fill_normal(target.data(), target.size());
    rng.fill_below(t.data(), B, 1000);
  }
};

MlpConfig tiny(bool residual) {
  MlpConfig c;
  c.time_embed = 8;
  c.hidden = 32;
  c.layers = 3;
  c.residual = residual;
  c.time_projection = residual;
  return c;
}

}  // namespace

TEST_CASE("a tiny model overfits a fixed batch: the loss falls by three orders of magnitude") {
  for (bool residual : {false, true}) {
    INFO((residual ? "residual" : "plain"));
    LrSchedule lr;
    lr.base_lr = 1e-2;
    lr.warmup_steps = 20;
    lr.total_steps = 1500;
    Trainee run(tiny(residual), lr, 1);
    const FixedBatch batch(16, 2, 2);
    const double first = run.step(batch.x, batch.t, batch.target);
    double last = first;
    for (int k = 1; k < 1500; ++k) last = run.step(batch.x, batch.t, batch.target);
    INFO("loss " << first << " -> " << last);
    CHECK(first > 0.5);  // random targets of variance 1
    CHECK(last < 1e-3 * first);
  }
}

TEST_CASE("a training run restored from its state continues bit for bit") {
  LrSchedule lr;
  lr.warmup_steps = 5;
  lr.total_steps = 40;
  const FixedBatch batch(8, 2, 3);
  Trainee run(tiny(true), lr, 4);
  for (int k = 0; k < 15; ++k) run.step(batch.x, batch.t, batch.target);
  const AlignedBuffer params = run.model.params();
  const AdamState adam = run.adam.state();
  const EmaState ema = run.ema.state();
  for (int k = 0; k < 10; ++k) run.step(batch.x, batch.t, batch.target);

  Trainee resumed(tiny(true), lr, 99);  // other initial weights, all overwritten
  resumed.model.params() = params;
  resumed.adam.set_state(adam);
  resumed.ema.set_state(ema);
  for (int k = 0; k < 10; ++k) resumed.step(batch.x, batch.t, batch.target);
  CHECK(resumed.model.params() == run.model.params());
  CHECK(resumed.adam.state().m == run.adam.state().m);
  CHECK(resumed.adam.state().v == run.adam.state().v);
  CHECK(resumed.adam.state().step == 25);
  CHECK(resumed.ema.weights() == run.ema.weights());
}
