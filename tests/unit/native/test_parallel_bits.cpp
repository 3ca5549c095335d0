// Training and sampling on thread pools of 1, 2 and 3 threads give the same bits as serial runs:
// a batch's chunks are computed on separate copies of the network and their gradients added in
// chunk order (diffusion/batch_gradient.hpp), and many rows are inferred in fixed chunks
// (nn/chunked_forward.hpp), so which thread computes what never shows. Real threads here, where
// the core tests use an executor that only pretends (tests/unit/support/reverse_executor.hpp).
#include <catch2/catch.hpp>

#include <cstring>

#include "base/rng.hpp"
#include "data/toy2d.hpp"
#include "diffusion/network_denoiser.hpp"
#include "diffusion/sampler.hpp"
#include "diffusion/trainer.hpp"
#include "nn/model_config.hpp"
#include "support/thread_pool.hpp"

using namespace diffuse;

namespace {

bool same_bits(const AlignedBuffer& a, const AlignedBuffer& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

TrainingData labelled_moons(std::size_t n) {
  Rng rng(3, toy2d_rng_stream);
  const Tensor2 points = toy2d_sample(Toy2d::moons, n, rng);
  Labels labels = Labels::from_shape({n});
  for (std::size_t i = 0; i < n; ++i) labels(i) = points(i, 0) > 0.5f ? 1 : 0;
  return training_data_from_points(points, labels, 2, "moons");
}

struct Setup {
  const char* name;
  DiffusionConfig diffusion;
  MlpConfig model;
  TrainConfig train;
};

std::vector<Setup> setups() {
  TrainConfig train;
  train.batch = 1000;  // 8 chunks of 128 rows, the last of 104
  train.steps = 100;
  train.warmup_steps = 5;
  MlpConfig conditional;
  conditional.classes = 2;
  MlpConfig doubled = conditional;
  doubled.out_dim = 4;  // the prediction and the variance values
  DiffusionConfig learned;
  learned.learned_variance = true;
  TrainConfig hybrid = train;
  hybrid.vlb_weight = 0.001;
  hybrid.t_sampling = TimestepSampling::importance;
  DiffusionConfig flow;
  flow.objective = Objective::flow;
  MlpConfig residual;
  residual.residual = true;
  return {{"default model, conditional", {}, conditional, train},
          {"learned variance, importance-sampled t", learned, doubled, hybrid},
          {"flow matching, residual layers", flow, residual, train}};
}

}  // namespace

TEST_CASE("training steps give the same weights on 1, 2 and 3 threads as serially") {
  const TrainingData data = labelled_moons(2000);
  for (const Setup& s : setups()) {
    INFO(s.name);
    Trainer serial(ScheduleConfig{}, s.diffusion, s.model, s.train, data);
    for (int i = 0; i < 12; ++i) serial.step(serial_executor());
    for (std::size_t threads : {1, 2, 3}) {
      INFO(threads << " threads");
      const ThreadPool pool(threads);
      Trainer trainer(ScheduleConfig{}, s.diffusion, s.model, s.train, data);
      for (int i = 0; i < 12; ++i) trainer.step(pool);
      CHECK(same_bits(trainer.network().params(), serial.network().params()));
      CHECK(same_bits(trainer.ema_weights(), serial.ema_weights()));
    }
  }
}

TEST_CASE("sampling many rows gives the same samples on 1, 2 and 3 threads as serially") {
  NetworkDenoiser denoiser(network_make(MlpConfig{}), Prediction::eps);
  Rng rng(4);
  denoiser.network().init_params(rng);
  const NoiseSchedule schedule = schedule_make(ScheduleConfig{});
  for (SamplerKind kind : {SamplerKind::ddpm, SamplerKind::dpmpp_2m}) {
    SamplerConfig config;
    config.kind = kind;
    config.steps = 20;
    Tensor2 want;
    sample(want, nullptr, denoiser, schedule, config, 3000, 9, serial_executor());
    for (std::size_t threads : {1, 2, 3}) {
      INFO(sampler_kinds.name(kind) << ", " << threads << " threads");
      const ThreadPool pool(threads);
      Tensor2 got;
      sample(got, nullptr, denoiser, schedule, config, 3000, 9, pool);
      REQUIRE(got.shape() == want.shape());
      CHECK(std::memcmp(got.data(), want.data(), got.size() * sizeof(float)) == 0);
    }
  }
}
