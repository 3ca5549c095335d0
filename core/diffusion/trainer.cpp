#include "diffusion/trainer.hpp"

#include <cmath>

#include "base/error.hpp"
#include "base/rng.hpp"
#include "diffusion/forward_process.hpp"

namespace diffuse {

std::uint64_t train_stream(TrainStream purpose, std::int64_t step) {
  return (static_cast<std::uint64_t>(purpose) << 40) | static_cast<std::uint64_t>(step);
}

TrainingData training_data_from_points(const Tensor2& raw, const std::string& source) {
  TrainingData data;
  data.normalization = normalization_fit(raw);
  data.points = normalization_apply(data.normalization, raw);
  data.source = source;
  return data;
}

namespace {

MlpDenoiser initialized_model(const ScheduleConfig& schedule, const MlpConfig& model,
                              const TrainConfig& train) {
  train_setup_validate(schedule, model, train);
  MlpDenoiser out(model);
  Rng rng(train.seed, train_stream(TrainStream::init, 0));
  out.init_params(rng);
  return out;
}

}  // namespace

Trainer::Trainer(const ScheduleConfig& schedule, const MlpConfig& model, const TrainConfig& train,
                 TrainingData data)
    : schedule_(schedule_make(schedule)),
      train_(train),
      data_(std::move(data)),
      model_(initialized_model(schedule, model, train)),
      adam_(train.optimizer, model_.params().size()),
      ema_(train.ema_decay, model_.params().data(), model_.params().size()),
      loss_by_t_(schedule.timesteps, std::min(schedule.timesteps, 20)) {
  if (data_.points.dimension() != 2 || data_.points.shape(1) != model.data_dim) {
    fail("the training data has ", data_.points.shape(1), " columns but the model expects D = ",
         model.data_dim);
  }
  if (data_.points.shape(0) < 1) fail("the training data is empty");
  const std::size_t B = train_.batch, D = model.data_dim;
  x0_ = Tensor2::from_shape({B, D});
  eps_ = Tensor2::from_shape({B, D});
  t_ = Steps::from_shape({B});
  rows_.resize(B);
}

void Trainer::draw_batch() {
  const std::size_t B = train_.batch, D = model_.data_dim();
  const auto N = static_cast<std::uint32_t>(data_.points.shape(0));
  Rng(train_.seed, train_stream(TrainStream::batch_rows, state_step_)).fill_below(rows_.data(), B, N);
  Rng(train_.seed, train_stream(TrainStream::timesteps, state_step_))
      .fill_below(t_.data(), B, static_cast<std::uint32_t>(schedule_.T));
  Rng(train_.seed, train_stream(TrainStream::noise, state_step_)).fill_normal(eps_.data(), eps_.size());
  for (std::size_t b = 0; b < B; ++b) {
    const float* row = data_.points.data() + static_cast<std::size_t>(rows_[b]) * D;
    std::copy(row, row + D, x0_.data() + b * D);
  }
}

TrainStepResult Trainer::step(const Executor& executor) {
  TrainStepResult result;
  draw_batch();
  q_sample(x_t_, x0_, eps_, t_, schedule_);  // seed 002 section 6: the closed-form jump

  model_.zero_grad();
  const LossResult loss = batch_gradient(model_, x_t_, x0_, eps_, t_, schedule_, train_.loss,
                                         train_chunk_rows, chunk_, executor);
  result.loss = loss.loss;
  result.grad_norm = clip_grad_norm(model_.grads().data(), model_.grads().size(), train_.grad_clip);
  result.learning_rate = lr_schedule_at(train_.lr(), state_step_);
  if (!std::isfinite(result.loss) || !std::isfinite(result.grad_norm)) {
    result.finite = false;
    result.step = state_step_;
    return result;
  }
  adam_.step(model_.params().data(), model_.grads().data(), result.learning_rate);
  ema_.update(model_.params().data());
  loss_by_t_.add(t_, loss.per_row);
  result.step = ++state_step_;
  return result;
}

std::unique_ptr<MlpDenoiser> Trainer::make_denoiser(bool use_ema) const {
  auto out = std::make_unique<MlpDenoiser>(model_.config());
  const AlignedBuffer& source = use_ema ? ema_.weights() : model_.params();
  std::copy(source.begin(), source.end(), out->params().begin());
  return out;
}

TrainerState Trainer::state() const {
  return {state_step_, model_.params(), adam_.state(), ema_.state()};
}

void Trainer::set_state(TrainerState state) {
  if (state.params.size() != model_.params().size()) {
    fail("saved weights have ", state.params.size(), " values but the model has ",
         model_.params().size());
  }
  if (state.step < 0) fail("saved step = ", state.step, " is invalid: must be >= 0");
  adam_.set_state(std::move(state.adam));
  ema_.set_state(std::move(state.ema));
  std::copy(state.params.begin(), state.params.end(), model_.params().begin());
  state_step_ = state.step;
}

void Trainer::set_total_steps(std::int64_t steps) {
  TrainConfig changed = train_;
  changed.steps = steps;
  train_config_validate(changed);
  train_ = changed;
}

}  // namespace diffuse
