#pragma once
// The training loop's one step (seed 004, "The Complete Training Algorithm"; ARCHITECTURE
// lesson 11): draw a batch x_0 (with its labels), timesteps t ~ U{0..T-1} and noise
// eps ~ N(0, I); jump to x_t; predict; loss; backward in reverse order (a chunk of rows at a time:
// diffusion/batch_gradient); clip; Adam; EMA. Nothing else: logging, checkpoints, progress and UI
// live in the caller. Any network (nn/network.hpp) trains the same way.
//
// Flow matching (DiffusionConfig::objective flow, diffusion/flow.hpp): the same draws, with the
// index t giving the level s = shift((t + 1) / T); x_s = (1 - s) x_0 + s eps; the network, given
// s T, learns the velocity eps - x_0.
//
// A learned variance (DiffusionConfig::learned_variance): the hybrid loss L_simple + lambda L_vlb
// (diffusion/hybrid_loss.hpp). With importance-sampled t (TrainConfig::t_sampling), t is uniform
// until the sampler's history of each row's L_t is full for every t, then drawn from its p_t
// (diffusion/timestep_sampler.hpp) with the same stream's bits, each row's loss weighted by
// 1 / (T p_t).
//
// Class-conditional models (classifier-free guidance, Ho & Salimans 2022): each row's label is
// drawn with its row and replaced by the null class K with probability label_dropout, from a
// stream of its own, so the model also learns the unconditional prediction.
//
// Randomness: every step's draws come from counter-based streams keyed by (purpose, step) (see
// base/rng.hpp), so a run is a pure function of (seed, configuration, data) and resuming needs
// only the step number: a resumed run ends with the same weights as an uninterrupted one.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/executor.hpp"
#include "base/tensor.hpp"
#include "data/training_data.hpp"
#include "diffusion/batch_gradient.hpp"
#include "diffusion/diffusion_config.hpp"
#include "diffusion/loss_by_t.hpp"
#include "diffusion/network_denoiser.hpp"
#include "diffusion/schedule.hpp"
#include "diffusion/timestep_sampler.hpp"
#include "diffusion/train_config.hpp"
#include "nn/ema.hpp"
#include "nn/model_config.hpp"
#include "nn/network.hpp"
#include "nn/optimizer.hpp"

namespace diffuse {

struct TrainStepResult {
  std::int64_t step = 0;  // updates done after this call
  double loss = 0;        // the batch loss before the update
  double grad_norm = 0;   // the gradient's global norm before clipping
  float learning_rate = 0;
  bool finite = true;     // false: loss or gradient was NaN/Inf and nothing was updated
};

// What a checkpoint needs to resume a run exactly.
struct TrainerState {
  std::int64_t step = 0;
  AlignedBuffer params;  // (P,) raw weights
  AdamState adam;
  EmaState ema;
  // Importance-sampled t only (empty otherwise): LossSecondMomentSampler's history (T * 10) and
  // counts (T,).
  std::vector<float> t_history;
  std::vector<std::int32_t> t_history_counts;
};

class Trainer {
 public:
  // Validates the setup (train_setup_validate) and the data against the model (its sample shape;
  // a conditional model needs labels of as many classes); draws the initial weights from the
  // seed; the EMA starts as a copy of them.
  Trainer(const ScheduleConfig& schedule, const DiffusionConfig& diffusion,
          const ModelConfig& model, const TrainConfig& train, TrainingData data);

  // One optimization step. If the loss or the gradient is not finite, nothing changes and the
  // result says so (the caller stops and keeps its last good checkpoint).
  TrainStepResult step(const Executor& executor);

  std::int64_t steps_done() const { return state_step_; }
  bool finished() const { return state_step_ >= train_.steps; }

  const ScheduleConfig& schedule_config() const { return schedule_.config; }
  const NoiseSchedule& schedule() const { return schedule_; }
  const DiffusionConfig& diffusion_config() const { return diffusion_; }
  const ModelConfig& model_config() const { return model_config_; }
  const TrainConfig& train_config() const { return train_; }
  const TrainingData& data() const { return data_; }
  const LossByT& loss_by_t() const { return loss_by_t_; }
  const LossSecondMomentSampler& t_sampler() const { return t_sampler_; }
  // (B,) the importance weights 1 / (T p_t) of the last batch's rows (all 1 while t is uniform).
  const std::vector<double>& last_row_weights() const { return row_weights_; }

  const Network& network() const { return *network_; }  // raw weights
  const AlignedBuffer& ema_weights() const { return ema_.weights(); }

  // The batch of the last step, for tests and tracing: x_0 (B, D) (rows of data().samples), t
  // (B,), eps (B, D) and the labels (B,) as trained on, after dropout (empty for an unconditional
  // model), as drawn (also when the step was not finite). Unspecified before the first step.
  const Tensor2& last_x0() const { return x0_; }
  const Steps& last_t() const { return t_; }
  const Tensor2& last_eps() const { return eps_; }
  const Labels& last_labels() const { return labels_; }

  // A denoiser holding the EMA weights (or the raw ones), for sampling and the ELBO.
  std::unique_ptr<NetworkDenoiser> make_denoiser(bool use_ema = true) const;

  TrainerState state() const;
  // Restores a saved state (sizes checked; Error on mismatch).
  void set_state(TrainerState state);
  // Changes the planned number of steps (resuming with a longer or shorter run).
  void set_total_steps(std::int64_t steps);

 private:
  void draw_batch();

  NoiseSchedule schedule_;
  DiffusionConfig diffusion_;
  ModelConfig model_config_;
  TrainConfig train_;
  TrainingData data_;
  std::unique_ptr<Network> network_;
  Adam adam_;
  Ema ema_;
  LossByT loss_by_t_;
  LossSecondMomentSampler t_sampler_;
  std::int64_t state_step_ = 0;

  // Batch buffers, reused every step.
  Tensor2 x0_, eps_, x_t_;  // (B, D)
  Steps t_;                 // (B,)
  Labels labels_;           // (B,) conditional models only
  BatchChunk chunk_;        // forward, loss and backward a chunk of rows at a time
  std::vector<std::int32_t> rows_;                 // (B,) indices into the training set
  std::vector<double> levels_, times_;             // (B,) flow: s of each row and the step s T
  std::vector<double> row_weights_;                // (B,) importance weights of the rows
};

// Stream ids of the trainer's counter-based random draws: (purpose << 40) | step.
enum class TrainStream : std::uint64_t {
  init = 1,
  batch_rows = 2,
  timesteps = 3,
  noise = 4,
  label_dropout = 5,
};
std::uint64_t train_stream(TrainStream purpose, std::int64_t step);

}  // namespace diffuse
