#pragma once
// The training step as the trainer runs it (ARCHITECTURE lesson 11): forward, loss, backward,
// clip, Adam, EMA, nothing else. Here the loss is a plain MSE against fixed targets.
#include <cstddef>

#include "base/tensor.hpp"
#include "nn/ema.hpp"
#include "nn/lr_schedule.hpp"
#include "nn/mlp.hpp"
#include "nn/optimizer.hpp"

namespace diffuse::test {

struct Trainee {
  Mlp model;
  Adam adam;
  Ema ema;
  LrSchedule schedule;
  Tensor2 out, d_out;  // (B, D), kept across steps

  Trainee(const MlpConfig& config, const LrSchedule& lr, std::uint64_t seed)
      : model(config),
        adam(OptimizerConfig{}, model.params().size()),
        ema(0.999, initialized(model, seed), model.params().size()),
        schedule(lr) {}

  // The model's parameters drawn from the seed (before the EMA copies them).
  static const float* initialized(Mlp& m, std::uint64_t seed) {
    Rng rng(seed);
    m.init_params(rng);
    return m.params().data();
  }

  // One step on (x (B, D), t (B,)) towards target (B, D); returns the loss before the update.
  double step(const Tensor2& x, const Steps& t, const Tensor2& target) {
    model.zero_grad();
    model.forward_train(out, x, t, nullptr, serial_executor());
    const double loss = mse(target);
    model.backward(d_out, serial_executor());
    clip_grad_norm(model.grads().data(), model.grads().size(), 1.0);
    adam.step(model.params().data(), model.grads().data(),
              lr_schedule_at(schedule, adam.state().step));
    ema.update(model.params().data());
    return loss;
  }

  // L = mean (out - target)^2 and d_out = dL/dout = 2 (out - target) / (B D).
  double mse(const Tensor2& target) {
    d_out.resize({out.shape(0), out.shape(1)});
    const double scale = 2.0 / static_cast<double>(out.size());
    double sum = 0;
    for (std::size_t i = 0; i < out.size(); ++i) {
      const double diff = double(out.data()[i]) - target.data()[i];
      sum += diff * diff;
      d_out.data()[i] = static_cast<float>(scale * diff);
    }
    return sum / static_cast<double>(out.size());
  }
};

}  // namespace diffuse::test
