#include "commands/train_options.hpp"

#include <iostream>

#include "base/error.hpp"
#include "cli.hpp"
#include "commands/image_defaults.hpp"
#include "data/toy2d.hpp"
#include "diffusion/flow.hpp"
#include "support/arguments.hpp"
#include "support/checkpoint_file.hpp"
#include "support/datasets.hpp"
#include "support/image_datasets.hpp"
#include "support/thread_pool.hpp"

namespace diffuse::cli {
namespace {

// Flags that may accompany --resume: they say how long and where to run, not what to train.
const char* const resume_flags[] = {"--resume",  "--steps", "--stop-at", "--save-every",
                                    "--threads", "--quiet", "--out"};

// A last alpha_bar above this leaves visible signal in x_{T-1}, so sampling from N(0, I) starts
// from a distribution the model never saw (Lin et al. 2024).
constexpr double terminal_alpha_bar_warning = 1e-2;

// The core configs' defaults, the one place they are defined.
void set_defaults(TrainOptions& o) {
  const ScheduleConfig s;
  const TrainConfig t;
  const DiffusionConfig d;
  o.train_size = static_cast<std::int64_t>(t.train_size);
  o.seed = std::to_string(t.seed);
  o.label_dropout = t.label_dropout;
  o.prediction = predictions.name(d.prediction);
  o.objective = objectives.name(d.objective);
  o.shift = d.flow_shift;
  o.schedule = schedule_kinds.name(s.kind);
  o.timesteps = s.timesteps;
  o.beta_start = s.beta_start;
  o.beta_end = s.beta_end;
  o.zero_snr = s.zero_terminal_snr;
  o.steps = t.steps;
  o.batch = static_cast<std::int64_t>(t.batch);
  o.warmup = t.warmup_steps;
  o.lr = t.learning_rate;
  o.grad_clip = t.grad_clip;
  o.ema = t.ema_decay;
  o.weight_decay = t.optimizer.weight_decay;
  o.adam_beta1 = t.optimizer.beta1;
  o.adam_beta2 = t.optimizer.beta2;
  o.adam_eps = t.optimizer.eps;
  o.optimizer = optimizer_kinds.name(t.optimizer.kind);
  o.lr_schedule = lr_schedule_kinds.name(t.lr_schedule);
  o.loss_weighting = loss_weightings.name(t.loss.weighting);
  o.snr_gamma = t.loss.snr_gamma;
  o.vlb_weight = t.vlb_weight;
  o.t_sampling = timestep_samplings.name(t.t_sampling);
}

void add_data_options(CLI::App& c, TrainOptions& o) {
  c.add_option("--dataset", o.dataset, "Training data: " + dataset_help())
      ->group("Data")
      ->type_name("NAME|FILE");
  c.add_option("--train-size", o.train_size,
               "Points drawn for a generated data set (a CSV file's points and an image data set's "
               "training split are all used)")
      ->check(int_range(train_size_range))
      ->capture_default_str()
      ->group("Data");
  c.add_option("--seed", o.seed, "Seed of the data draw, initialization, batches and noise")
      ->check(seed_text())
      ->capture_default_str()
      ->group("Data")
      ->type_name("UINT");
  c.add_flag("--conditional", o.conditional,
             "Class-conditional model with classifier-free guidance: labels from the data set "
             "(gaussians8/25: the component; moons, circles, spirals: the moon, ring or arm; "
             "digits, fashion: the digit or garment; a CSV file: its label column)")
      ->group("Data");
  c.add_option("--label-dropout", o.label_dropout,
               "With --conditional: the probability that a training label becomes the null class")
      ->check(number_range(label_dropout_range))
      ->capture_default_str()
      ->group("Data");
}

void add_schedule_options(CLI::App& c, TrainOptions& o) {
  c.add_option("--schedule", o.schedule, "Noise schedule: " + join_names(schedule_kinds.names()))
      ->check(one_of(schedule_kinds.names()))
      ->capture_default_str()
      ->group("Schedule")
      ->type_name("NAME");
  c.add_option("--timesteps,-T", o.timesteps, "Number of diffusion steps T")
      ->check(int_range(schedule_timesteps_range))
      ->capture_default_str()
      ->group("Schedule");
  c.add_option("--beta-start", o.beta_start, "First beta (linear, scaled_linear, sigmoid)")
      ->check(number_range(schedule_beta_range))
      ->capture_default_str()
      ->group("Schedule");
  c.add_option("--beta-end", o.beta_end, "Last beta (linear, scaled_linear, sigmoid)")
      ->check(number_range(schedule_beta_range))
      ->capture_default_str()
      ->group("Schedule");
  c.add_flag("--zero-snr", o.zero_snr,
             "Rescale to zero terminal SNR (Lin et al. 2024); needs --prediction v or x0")
      ->group("Schedule");
}

void add_optimizer_options(CLI::App& c, TrainOptions& o) {
  c.add_option("--optimizer", o.optimizer, "adam | adamw (decoupled weight decay)")
      ->check(one_of(optimizer_kinds.names()))
      ->capture_default_str()
      ->group("Training")
      ->type_name("NAME");
  c.add_option("--weight-decay", o.weight_decay, "AdamW's decoupled weight decay")
      ->check(number_range(weight_decay_range))
      ->capture_default_str()
      ->group("Training");
  c.add_option("--adam-beta1", o.adam_beta1, "Adam's beta1")
      ->check(number_range(adam_beta_range))
      ->capture_default_str()
      ->group("Training");
  c.add_option("--adam-beta2", o.adam_beta2, "Adam's beta2")
      ->check(number_range(adam_beta_range))
      ->capture_default_str()
      ->group("Training");
  c.add_option("--adam-eps", o.adam_eps, "Adam's epsilon")
      ->check(positive_number())
      ->capture_default_str()
      ->group("Training");
  c.add_option("--grad-clip", o.grad_clip, "Clip the gradient's global L2 norm to this; 0: off")
      ->check(number_range(grad_clip_range))
      ->capture_default_str()
      ->group("Training");
  c.add_option("--ema", o.ema, "EMA decay of the sampling weights (with diffusers' warm-up)")
      ->check(number_range(ema_decay_range))
      ->capture_default_str()
      ->group("Training");
}

void add_training_options(CLI::App& c, TrainOptions& o) {
  c.add_option("--steps", o.steps,
               "Total optimizer updates of the run (with --resume: the new total)")
      ->check(int_range(train_steps_range))
      ->capture_default_str()
      ->group("Training");
  c.add_option("--batch", o.batch, "Batch size B")
      ->check(int_range(train_batch_range))
      ->capture_default_str()
      ->group("Training");
  c.add_option("--lr", o.lr, "Peak learning rate")
      ->check(positive_number())
      ->capture_default_str()
      ->group("Training");
  c.add_option("--lr-schedule", o.lr_schedule, "cosine (decay to 0 at --steps) | constant")
      ->check(one_of(lr_schedule_kinds.names()))
      ->capture_default_str()
      ->group("Training")
      ->type_name("NAME");
  c.add_option("--warmup", o.warmup,
               "Linear warm-up updates from learning rate 0 (default: at most --steps)")
      ->check(int_range(train_warmup_range))
      ->capture_default_str()
      ->group("Training");
  add_optimizer_options(c, o);
  c.add_option("--loss", o.loss,
               "Space of the squared error: eps | x0 | v (default: the prediction's)")
      ->check(one_of(predictions.names()))
      ->group("Training")
      ->type_name("NAME");
  c.add_option("--loss-weighting", o.loss_weighting, "none | min_snr (Hang et al. 2023)")
      ->check(one_of(loss_weightings.names()))
      ->capture_default_str()
      ->group("Training")
      ->type_name("NAME");
  c.add_option("--snr-gamma", o.snr_gamma, "gamma of min_snr weighting")
      ->check(positive_number())
      ->capture_default_str()
      ->group("Training");
  c.add_flag("--learn-variance", o.learn_variance,
             "Improved DDPM's learned variance: the network's output doubles, trained with "
             "L_simple + lambda L_vlb (diffusers' variance_type learned_range)")
      ->group("Training");
  c.add_option("--vlb-weight", o.vlb_weight, "lambda of the hybrid loss (with --learn-variance)")
      ->check(number_range(vlb_weight_range))
      ->capture_default_str()
      ->group("Training");
  c.add_option("--t-sampling", o.t_sampling,
               "uniform | importance (t ~ p_t from the L_vlb history; with --learn-variance)")
      ->check(one_of(timestep_samplings.names()))
      ->capture_default_str()
      ->group("Training")
      ->type_name("NAME");
}

void add_run_options(CLI::App& c, TrainOptions& o) {
  c.add_option("--out", o.out, "Checkpoint to write, .safetensors (atomically; may equal --resume)")
      ->required()
      ->group("Run")
      ->type_name("FILE");
  c.add_option("--resume", o.resume, "Continue the run saved in this checkpoint exactly")
      ->group("Run")
      ->type_name("FILE");
  o.threads = static_cast<std::int64_t>(ThreadPool::hardware_threads());
  c.add_option("--threads", o.threads,
               "Worker threads (default: all " + std::to_string(o.threads) +
                   " cores, or 1 if the first steps measure one thread faster)")
      ->check(int_range(1, 1024))
      ->group("Run");
  c.add_option("--save-every", o.save_every,
               "Also write the checkpoint every K steps; 0: only at the end")
      ->check(int_range(0, 1'000'000'000))
      ->capture_default_str()
      ->group("Run");
  c.add_option("--stop-at", o.stop_at,
               "Stop after this step without changing the plan (--steps); continue with --resume")
      ->check(int_range(1, 1'000'000'000))
      ->group("Run");
  c.add_flag("--quiet,-q", o.quiet, "No progress display")->group("Run");
}

ScheduleConfig schedule_from(const TrainOptions& o, const CLI::App& command) {
  ScheduleConfig s;
  s.kind = schedule_kinds.value(o.schedule);
  s.timesteps = static_cast<int>(o.timesteps);
  s.beta_start = o.beta_start;
  s.beta_end = o.beta_end;
  s.zero_terminal_snr = o.zero_snr;
  if (s.kind == ScheduleKind::cosine) {
    for (const char* flag : {"--beta-start", "--beta-end"}) {
      if (command.count(flag) > 0) fail(flag, " has no effect with --schedule cosine");
    }
  }
  schedule_config_validate(s);
  return s;
}

TrainConfig train_config_from(const TrainOptions& o, const CLI::App& command) {
  TrainConfig t;
  t.steps = o.steps;
  t.batch = static_cast<std::size_t>(o.batch);
  t.learning_rate = o.lr;
  t.lr_schedule = lr_schedule_kinds.value(o.lr_schedule);
  // The default warm-up shortens for runs shorter than it; an explicit one must fit.
  t.warmup_steps = command.count("--warmup") > 0 ? o.warmup : std::min(o.warmup, o.steps);
  if (t.warmup_steps > t.steps) fail("--warmup ", o.warmup, " is more than --steps ", o.steps);
  t.optimizer.kind = optimizer_kinds.value(o.optimizer);
  t.optimizer.weight_decay = static_cast<float>(o.weight_decay);
  if (t.optimizer.kind == OptimizerKind::adam && o.weight_decay != 0) {
    fail("--weight-decay needs --optimizer adamw (Adam's L2 penalty is not offered)");
  }
  t.optimizer.beta1 = static_cast<float>(o.adam_beta1);
  t.optimizer.beta2 = static_cast<float>(o.adam_beta2);
  t.optimizer.eps = static_cast<float>(o.adam_eps);
  t.grad_clip = o.grad_clip;
  t.ema_decay = o.ema;
  t.loss.space = predictions.value(o.loss.empty() ? o.prediction : o.loss);
  t.loss.weighting = loss_weightings.value(o.loss_weighting);
  t.loss.snr_gamma = o.snr_gamma;
  if (command.count("--snr-gamma") > 0 && t.loss.weighting != LossWeighting::min_snr) {
    fail("--snr-gamma has no effect without --loss-weighting min_snr");
  }
  t.seed = parse_seed(o.seed);
  t.train_size = static_cast<std::size_t>(o.train_size);
  t.label_dropout = o.label_dropout;
  if (command.count("--label-dropout") > 0 && !o.conditional) {
    fail("--label-dropout needs --conditional");
  }
  t.vlb_weight = o.vlb_weight;
  t.t_sampling = timestep_samplings.value(o.t_sampling);
  if (!o.learn_variance && command.count("--vlb-weight") > 0) {
    fail("--vlb-weight needs --learn-variance (it weighs the L_vlb term that trains the variance)");
  }
  if (!o.learn_variance && t.t_sampling != TimestepSampling::uniform) {
    fail("--t-sampling ", o.t_sampling, " needs --learn-variance (its history is of the L_vlb ",
         "terms)");
  }
  return t;
}

// An image data set's training split, by name: checkpoints fingerprint it instead of storing it.
TrainingData image_training_data(const DatasetSpec& spec, bool conditional, const CLI::App& command,
                                 TrainConfig& train) {
  if (command.count("--train-size") > 0) {
    fail("--train-size applies to generated data sets: an image data set's whole training split "
         "is used");
  }
  TrainingData data = training_data_from_named_images(image_dataset_load(*spec.images).train, spec.text, conditional);
  train.train_size = data.size();
  return data;
}

// The training set of a checkpoint that did not store it (an image data set): loaded again by
// name, with the labels only if the model was trained with them. checkpoint_resume checks it is
// the set the run trained on (its fingerprint).
TrainingData reloaded_training_data(const Checkpoint& c, const std::string& path) {
  const DatasetSpec spec = dataset_resolve("--resume '" + path + "': its data set", c.data.source);
  if (!spec.image()) {
    fail("--resume '", path, "' does not store its training set, and '", c.data.source,
         "' is not a data set that can be loaded again by name");
  }
  return training_data_from_named_images(image_dataset_load(*spec.images).train, spec.text, c.data.classes > 0);
}

TrainingData training_data_from(const TrainOptions& o, const CLI::App& command,
                                TrainConfig& train) {
  if (o.dataset.empty()) fail("--dataset is required (or --resume a checkpoint)");
  const DatasetSpec spec = dataset_resolve("--dataset", o.dataset);
  if (spec.image()) return image_training_data(spec, o.conditional, command, train);
  LabeledPoints raw;
  if (spec.generated()) {
    if (o.conditional && toy2d_classes(*spec.set) == 0) {
      fail("--conditional: data set '", spec.text, "' has no class labels; labeled sets are ",
           "moons, circles, gaussians8, gaussians25, spirals, or a CSV file with a label column");
    }
    Rng rng(train.seed, toy2d_rng_stream);
    raw.points = toy2d_sample(*spec.set, train.train_size, rng, o.conditional ? &raw.labels : nullptr);
    raw.classes = o.conditional ? toy2d_classes(*spec.set) : 0;
  } else {
    if (command.count("--train-size") > 0) {
      fail("--train-size applies to generated data sets: every point of a CSV file is used");
    }
    raw = dataset_read_csv("--dataset", spec.path);
    if (raw.points.shape(0) < 2)
      fail("--dataset '", spec.path, "' has ", raw.points.shape(0), " point: need at least 2");
    train.train_size = raw.points.shape(0);
    if (o.conditional && raw.classes == 0) {
      fail("--conditional: '", spec.path, "' has no column named 'label' (whole numbers 0..K-1)");
    }
    if (!o.conditional && raw.classes > 0) {
      std::cerr << "diffuse: note: '" << spec.path << "' has a label column (" << raw.classes
                << " classes); it is ignored without --conditional\n";
      raw.labels = Labels();
      raw.classes = 0;
    }
  }
  const std::string source = spec.generated() ? spec.text : spec.path;
  try {
    if (raw.classes > 0) {
      return training_data_from_points(raw.points, std::move(raw.labels), raw.classes, source);
    }
    return training_data_from_points(raw.points, source);
  } catch (const Error& e) {
    fail("--dataset '", o.dataset, "': ", e.what());
  }
}

void warn_terminal_alpha_bar(const ScheduleConfig& config) {
  const NoiseSchedule schedule = schedule_make(config);
  const double last = schedule.alpha_bar(schedule.T - 1);
  if (last > terminal_alpha_bar_warning) {
    std::cerr << "diffuse: warning: the schedule leaves alpha_bar = " << last
              << " at the last step "
              << "(above " << terminal_alpha_bar_warning << "): the chain never reaches noise, so "
              << "sampling from N(0, I) starts where the model was never trained. Use more "
              << "--timesteps, a larger --beta-end, or --zero-snr\n";
  }
}

void prepare_fresh(TrainRun& run, TrainOptions o, const CLI::App& command) {
  const DatasetSpec spec = o.dataset.empty() ? DatasetSpec{} : dataset_resolve("--dataset", o.dataset);
  if (spec.image()) image_defaults_apply(o, command, *spec.images);
  run.schedule = schedule_from(o, command);
  run.diffusion.prediction = predictions.value(o.prediction);
  run.diffusion.objective = objectives.value(o.objective);
  run.diffusion.flow_shift = o.shift;
  if (run.diffusion.objective == Objective::flow) {
    for (const char* flag : {"--prediction", "--loss", "--zero-snr", "--loss-weighting", "--snr-gamma"}) {
      if (command.count(flag) > 0) {
        fail(flag, " applies to --objective diffusion; the flow objective learns the velocity ",
             "eps - x_0 with a plain MSE");
      }
    }
  } else if (command.count("--shift") > 0) {
    fail("--shift applies to --objective flow");
  }
  if (o.learn_variance && run.diffusion.objective == Objective::flow) {
    fail("--learn-variance applies to --objective diffusion: the flow objective has no reverse ",
         "variance");
  }
  run.diffusion.learned_variance = o.learn_variance;
  run.train = train_config_from(o, command);
  run.data = training_data_from(o, command, run.train);
  run.model = model_config_from(o.model, command, run.data, spec.image());
  if (o.learn_variance) model_double_output(run.model);
  train_setup_validate(run.schedule, run.diffusion, run.model, run.train);
  run.total_steps = run.train.steps;
}

void prepare_resume(TrainRun& run, const TrainOptions& o, const CLI::App& command) {
  for (const CLI::Option* option : command.get_options()) {
    const std::string flag = option->get_name();
    const bool allowed =
        std::find(std::begin(resume_flags), std::end(resume_flags), flag) != std::end(resume_flags);
    if (option->count() > 0 && !allowed) {
      fail(flag, " cannot be used with --resume: a resumed run keeps its checkpoint's ",
           "configuration (see diffuse info ", o.resume, ")");
    }
  }
  run.resume = checkpoint_load("--resume", o.resume);
  if (!run.resume->training) {
    fail("--resume '", o.resume, "' holds no training state (an export): it can be sampled, ",
         "not resumed");
  }
  const std::int64_t done = run.resume->step;
  run.total_steps = command.count("--steps") > 0 ? o.steps : run.resume->train.steps;
  if (run.total_steps < done) {
    fail("--steps ", run.total_steps, " is less than the ", done, " steps '", o.resume,
         "' has done already");
  }
  if (run.resume->train.warmup_steps > run.total_steps) {
    fail("--steps ", run.total_steps, " is less than the run's ", run.resume->train.warmup_steps,
         " warm-up steps");
  }
  if (o.stop_at > 0 && o.stop_at <= done) {
    fail("--stop-at ", o.stop_at, " is not after the checkpoint's step ", done);
  }
  if (!run.resume->data.stored) run.data = reloaded_training_data(*run.resume, o.resume);
}

}  // namespace

void train_options_add(CLI::App& command, TrainOptions& options) {
  set_defaults(options);
  add_data_options(command, options);
  command.add_option("--prediction", options.prediction, "What the network predicts: eps | x0 | v")
      ->check(one_of(predictions.names()))
      ->capture_default_str()
      ->group("Model")
      ->type_name("NAME");
  command.add_option("--objective", options.objective,
                     "diffusion (the noise schedule's forward process) | flow (flow matching: "
                     "x_s = (1 - s) x_0 + s eps, learning the velocity eps - x_0; sample with "
                     "euler or heun)")
      ->check(one_of(objectives.names()))
      ->capture_default_str()
      ->group("Model")
      ->type_name("NAME");
  command.add_option("--shift", options.shift,
                     "Flow: diffusers' shift of the levels, s -> shift s / (1 + (shift - 1) s)")
      ->check(number_range(flow_shift_range))
      ->capture_default_str()
      ->group("Model");
  model_options_add(command, options.model);
  add_schedule_options(command, options);
  add_training_options(command, options);
  add_run_options(command, options);
}

TrainRun train_run_prepare(const TrainOptions& o, const CLI::App& command) {
  TrainRun run;
  if (!o.resume.empty()) {
    prepare_resume(run, o, command);
  } else {
    prepare_fresh(run, o, command);
  }
  if (o.stop_at > run.total_steps) {
    fail("--stop-at ", o.stop_at, " is after the run's last step ", run.total_steps);
  }
  run.out = o.out;
  check_output_path("--out", o.out, {".safetensors"});
  run.threads = o.threads;
  run.threads_auto = command.count("--threads") == 0 && o.threads > 1;
  run.save_every = o.save_every;
  run.stop_at = o.stop_at;
  run.quiet = o.quiet;
  if (!run.resume)
    // after every check: errors stay one line; a flow model never reads the betas
    if (run.diffusion.objective != Objective::flow) warn_terminal_alpha_bar(run.schedule);
  return run;
}

std::unique_ptr<Trainer> train_run_trainer(TrainRun& run) {
  if (run.resume) {
    std::unique_ptr<Trainer> trainer = run.resume->data.stored
                                           ? checkpoint_resume(*run.resume)
                                           : checkpoint_resume(*run.resume, run.data);
    trainer->set_total_steps(run.total_steps);
    return trainer;
  }
  return std::make_unique<Trainer>(run.schedule, run.diffusion, run.model, run.train,
                                   std::move(run.data));
}

}  // namespace diffuse::cli
