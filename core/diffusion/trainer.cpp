#include "diffusion/trainer.hpp"

#include <cmath>

#include "base/error.hpp"
#include "base/rng.hpp"
#include "diffusion/flow.hpp"
#include "diffusion/forward_process.hpp"

namespace diffuse {

std::uint64_t train_stream(TrainStream purpose, std::int64_t step) {
  return (static_cast<std::uint64_t>(purpose) << 40) | static_cast<std::uint64_t>(step);
}

namespace {

std::string shape_text(const SampleShape& shape) {
  std::string out = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + ")";
}

// The data must be what the model takes: its sample shape, and labels of its classes.
void check_data(const ModelConfig& model, const TrainingData& data) {
  training_data_validate(data);
  const SampleShape shape = model_sample_shape(model);
  if (data.shape != shape) {
    fail("the training data's samples have shape ", shape_text(data.shape),
         " but the model expects ", shape_text(shape));
  }
  const std::size_t K = model_classes(model);
  if (K > 0 && !data.labeled()) {
    fail("the model is class-conditional (", K, " classes) but the training data has no labels");
  }
  if (K > 0 && data.classes != K) {
    fail("the model has ", K, " classes but the training data's labels have ", data.classes);
  }
}

std::unique_ptr<Network> initialized_network(const ScheduleConfig& schedule,
                                             const DiffusionConfig& diffusion,
                                             const ModelConfig& model, const TrainConfig& train,
                                             const TrainingData& data) {
  train_setup_validate(schedule, diffusion, model, train);
  check_data(model, data);
  std::unique_ptr<Network> out = network_make(model);
  Rng rng(train.seed, train_stream(TrainStream::init, 0));
  out->init_params(rng);
  return out;
}

}  // namespace

Trainer::Trainer(const ScheduleConfig& schedule, const DiffusionConfig& diffusion,
                 const ModelConfig& model, const TrainConfig& train, TrainingData data)
    : schedule_(schedule_make(schedule)),
      diffusion_(diffusion),
      model_config_(model),
      train_(train),
      data_(std::move(data)),
      network_(initialized_network(schedule, diffusion, model, train, data_)),
      adam_(train.optimizer, network_->params().size()),
      ema_(train.ema_decay, network_->params().data(), network_->params().size()),
      loss_by_t_(schedule.timesteps, std::min(schedule.timesteps, 20)),
      t_sampler_(schedule.timesteps) {
  const std::size_t B = train_.batch, D = network_->sample_size();
  x0_ = Tensor2::from_shape({B, D});
  eps_ = Tensor2::from_shape({B, D});
  t_ = Steps::from_shape({B});
  if (network_->conditional()) labels_ = Labels::from_shape({B});
  rows_.resize(B);
  row_weights_.assign(B, 1.0);
}

namespace {

// n uniforms in [0, 1) with 53 bits each, from 2 n 32-bit draws of rng (27 + 26 bits).
void fill_uniform53(double* out, std::size_t n, Rng& rng) {
  std::vector<std::uint32_t> bits(2 * n);
  rng.fill_u32(bits.data(), bits.size());
  for (std::size_t i = 0; i < n; ++i) {
    const double high = bits[2 * i] >> 5, low = bits[2 * i + 1] >> 6;
    out[i] = (high * 67108864.0 + low) / 9007199254740992.0;  // (a 2^26 + b) / 2^53
  }
}

}  // namespace

void Trainer::draw_batch() {
  const std::size_t B = train_.batch, D = network_->sample_size();
  const auto N = static_cast<std::uint32_t>(data_.size());
  Rng(train_.seed, train_stream(TrainStream::batch_rows, state_step_)).fill_below(rows_.data(), B, N);
  Rng timesteps(train_.seed, train_stream(TrainStream::timesteps, state_step_));
  if (train_.t_sampling == TimestepSampling::importance && t_sampler_.warmed_up()) {
    std::vector<double> u(B);
    fill_uniform53(u.data(), B, timesteps);
    t_sampler_.draw(t_, row_weights_, u.data());
  } else {
    timesteps.fill_below(t_.data(), B, static_cast<std::uint32_t>(schedule_.T));
    row_weights_.assign(B, 1.0);
  }
  Rng(train_.seed, train_stream(TrainStream::noise, state_step_)).fill_normal(eps_.data(), eps_.size());
  for (std::size_t b = 0; b < B; ++b) {
    const float* row = data_.samples.data() + static_cast<std::size_t>(rows_[b]) * D;
    std::copy(row, row + D, x0_.data() + b * D);
  }
  if (network_->conditional()) {
    // Each row's label, or the null class K with probability label_dropout.
    std::vector<float> u(B);
    Rng(train_.seed, train_stream(TrainStream::label_dropout, state_step_)).fill_uniform(u.data(), B);
    const auto null_class = static_cast<std::int32_t>(network_->classes());
    for (std::size_t b = 0; b < B; ++b) {
      labels_(b) = u[b] < train_.label_dropout ? null_class : data_.labels(static_cast<std::size_t>(rows_[b]));
    }
  }
}

TrainStepResult Trainer::step(const Executor& executor) {
  TrainStepResult result;
  draw_batch();
  BatchObjective objective{diffusion_.objective, diffusion_.prediction, nullptr};
  if (diffusion_.learned_variance) {
    objective.learned_variance = true;
    objective.vlb_weight = train_.vlb_weight;
    objective.levels = data_.normalization.levels;
    if (train_.t_sampling == TimestepSampling::importance) objective.row_weights = row_weights_.data();
  }
  if (diffusion_.objective == Objective::flow) {
    // diffusion/flow.hpp: x_s = (1 - s) x_0 + s eps at s = shift((t + 1) / T), network step s T.
    const std::size_t B = t_.size();
    levels_.resize(B);
    times_.resize(B);
    for (std::size_t b = 0; b < B; ++b) {
      levels_[b] = flow_train_level(t_(b), schedule_.T, diffusion_.flow_shift);
      times_[b] = levels_[b] * schedule_.T;
    }
    flow_interpolate(x_t_, x0_, eps_, levels_.data());
    objective.times = times_.data();
  } else {
    q_sample(x_t_, x0_, eps_, t_, schedule_);  // seed 002 section 6: the closed-form jump
  }

  network_->zero_grad();
  const LossResult loss = batch_gradient(
      *network_, objective, x_t_, x0_, eps_, t_,
      network_->conditional() ? &labels_ : nullptr, schedule_, train_.loss,
      network_->train_chunk_rows(train_.batch), chunk_, executor);
  result.loss = loss.loss;
  result.grad_norm = clip_grad_norm(network_->grads().data(), network_->grads().size(), train_.grad_clip);
  result.learning_rate = lr_schedule_at(train_.lr(), state_step_);
  if (!std::isfinite(result.loss) || !std::isfinite(result.grad_norm)) {
    result.finite = false;
    result.step = state_step_;
    return result;
  }
  adam_.step(network_->params().data(), network_->grads().data(), result.learning_rate);
  ema_.update(network_->params().data());
  loss_by_t_.add(t_, loss.per_row);
  if (train_.t_sampling == TimestepSampling::importance) t_sampler_.add(t_, loss.vlb_per_row);
  result.step = ++state_step_;
  return result;
}

std::unique_ptr<NetworkDenoiser> Trainer::make_denoiser(bool use_ema) const {
  std::unique_ptr<Network> network = network_->clone();
  const AlignedBuffer& source = use_ema ? ema_.weights() : network_->params();
  std::copy(source.begin(), source.end(), network->params().begin());
  return std::make_unique<NetworkDenoiser>(std::move(network), diffusion_.prediction);  // flow:
  // the sampler reads the output as the velocity (SamplerConfig::flow)
}

TrainerState Trainer::state() const {
  TrainerState out{state_step_, network_->params(), adam_.state(), ema_.state(), {}, {}};
  if (train_.t_sampling == TimestepSampling::importance) {
    out.t_history = t_sampler_.history();
    out.t_history_counts = t_sampler_.counts();
  }
  return out;
}

void Trainer::set_state(TrainerState state) {
  if (state.params.size() != network_->params().size()) {
    fail("saved weights have ", state.params.size(), " values but the model has ",
         network_->params().size());
  }
  if (state.step < 0) fail("saved step = ", state.step, " is invalid: must be >= 0");
  if (train_.t_sampling == TimestepSampling::importance) {
    t_sampler_.set_state(std::move(state.t_history), std::move(state.t_history_counts));
  } else if (!state.t_history.empty() || !state.t_history_counts.empty()) {
    fail("saved state has a timestep sampler's history but the run samples t uniformly");
  }
  adam_.set_state(std::move(state.adam));
  ema_.set_state(std::move(state.ema));
  std::copy(state.params.begin(), state.params.end(), network_->params().begin());
  state_step_ = state.step;
}

void Trainer::set_total_steps(std::int64_t steps) {
  TrainConfig changed = train_;
  changed.steps = steps;
  train_config_validate(changed);
  train_ = changed;
}

}  // namespace diffuse
