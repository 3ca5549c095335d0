// The trainer: a resumed run ends bit-identical to an uninterrupted one; a non-finite step
// changes nothing; training lowers the loss; invalid setups are rejected by name.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "base/rng.hpp"
#include "data/toy2d.hpp"
#include "diffusion/trainer.hpp"

using namespace diffuse;

namespace {

TrainingData moons(std::size_t n, std::uint64_t seed) {
  Rng rng(seed, toy2d_rng_stream);
  return training_data_from_points(toy2d_sample("moons", n, rng), "moons");
}

MlpConfig small_model() {
  MlpConfig m;
  m.hidden = 32;
  m.layers = 2;
  m.time_embed = 16;
  return m;
}

TrainConfig short_run(std::int64_t steps) {
  TrainConfig t;
  t.steps = steps;
  t.batch = 64;
  t.warmup_steps = 10;
  t.seed = 7;
  return t;
}

}  // namespace

TEST_CASE("a run interrupted and resumed ends with the same weights as an uninterrupted one") {
  ScheduleConfig schedule;
  schedule.timesteps = 100;
  Trainer straight(schedule, small_model(), short_run(60), moons(500, 1));
  while (!straight.finished()) REQUIRE(straight.step(serial_executor()).finite);

  Trainer first(schedule, small_model(), short_run(60), moons(500, 1));
  for (int i = 0; i < 25; ++i) first.step(serial_executor());
  const TrainerState saved = first.state();

  Trainer resumed(schedule, small_model(), short_run(60), moons(500, 1));
  resumed.set_state(saved);
  while (!resumed.finished()) REQUIRE(resumed.step(serial_executor()).finite);

  CHECK(resumed.steps_done() == 60);
  const bool same_params = resumed.model().params() == straight.model().params();
  const bool same_ema = resumed.ema_weights() == straight.ema_weights();
  const bool same_m = resumed.state().adam.m == straight.state().adam.m;
  CHECK(same_params);
  CHECK(same_ema);
  CHECK(same_m);
}

TEST_CASE("a non-finite step leaves every weight and the step count unchanged") {
  ScheduleConfig schedule;
  schedule.timesteps = 50;
  TrainConfig train = short_run(100);
  train.grad_clip = 0;  // let the blow-up happen
  train.learning_rate = 1e30;
  train.warmup_steps = 0;
  Trainer trainer(schedule, small_model(), train, moons(200, 2));
  TrainStepResult r;
  int guard = 0;
  do {
    const TrainerState before = trainer.state();
    r = trainer.step(serial_executor());
    if (!r.finite) {
      const bool unchanged = trainer.model().params() == before.params;
      CHECK(unchanged);
      CHECK(trainer.steps_done() == before.step);
    }
  } while (r.finite && ++guard < 100);
  CHECK_FALSE(r.finite);  // a learning rate of 1e30 must blow up within 100 steps
}

TEST_CASE("training lowers the eps loss on moons") {
  ScheduleConfig schedule;
  Trainer trainer(schedule, small_model(), short_run(800), moons(2000, 3));
  // At initialization the prediction is near 0, so the eps loss is near E||eps||^2 / D = 1.
  double first = 0, last = 0;
  for (int i = 0; i < 50; ++i) first += trainer.step(serial_executor()).loss / 50;
  while (trainer.steps_done() < 750) trainer.step(serial_executor());
  for (int i = 0; i < 50; ++i) last += trainer.step(serial_executor()).loss / 50;
  CHECK(first > 0.7);
  // A trained 2D denoiser's eps loss averaged over t sits far below 1 (the batch mean at
  // B = 64 fluctuates by about 0.1 around it).
  CHECK(last < 0.6);
  CHECK(last < 0.75 * first);
}

TEST_CASE("setups that cannot work are rejected with the reason") {
  ScheduleConfig zero_snr;
  zero_snr.zero_terminal_snr = true;
  CHECK_THROWS_WITH(Trainer(zero_snr, small_model(), short_run(10), moons(100, 4)),
                    Catch::Matchers::Contains("zero terminal SNR"));
  MlpConfig wide = small_model();
  wide.data_dim = 3;
  CHECK_THROWS_WITH(Trainer(ScheduleConfig{}, wide, short_run(10), moons(100, 4)),
                    Catch::Matchers::Contains("D = 3"));
  TrainConfig bad = short_run(10);
  bad.learning_rate = -1;
  CHECK_THROWS_WITH(Trainer(ScheduleConfig{}, small_model(), bad, moons(100, 4)),
                    Catch::Matchers::Contains("learning rate = -1"));
}

TEST_CASE("training configuration survives a JSON round trip") {
  TrainConfig c = short_run(123);
  c.seed = 18446744073709551615ull;
  c.loss.weighting = LossWeighting::min_snr;
  c.optimizer.kind = OptimizerKind::adamw;
  c.optimizer.weight_decay = 0.01f;
  const TrainConfig back = train_config_from_json(train_config_to_json(c));
  CHECK(back.seed == c.seed);
  CHECK(back.steps == 123);
  CHECK(back.loss.weighting == LossWeighting::min_snr);
  CHECK(back.optimizer.kind == OptimizerKind::adamw);
  CHECK(back.optimizer.weight_decay == 0.01f);
  auto json = train_config_to_json(c);
  json["batch"] = "many";
  CHECK_THROWS_WITH(train_config_from_json(json), Catch::Matchers::Contains("batch"));
  json.erase("batch");
  CHECK_THROWS_WITH(train_config_from_json(json), Catch::Matchers::Contains("missing field 'batch'"));
}
