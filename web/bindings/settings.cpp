#include "settings.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "diffusion/flow.hpp"
#include "diffusion/guidance.hpp"
#include "diffusion/loss.hpp"
#include "diffusion/reverse_step.hpp"
#include "nn/mlp_kind.hpp"
#include "nn/unet_kind.hpp"
#include "typed_arrays.hpp"

namespace diffuse::web {

using emscripten::val;

namespace {

constexpr double max_safe_integer = 9007199254740991.0;  // 2^53 - 1

std::string shown(const val& v) {
  if (v.isString()) return "\"" + v.as<std::string>() + "\"";
  return val::global("String")(v).as<std::string>();
}

// The samplers that offer Karras sigmas (sampler_offers_karras), in the core's order.
std::vector<std::string> karras_samplers() {
  std::vector<std::string> out;
  for (const std::string& name : sampler_kinds.names()) {
    if (sampler_offers_karras(sampler_kinds.value(name))) out.push_back(name);
  }
  return out;
}

std::string offered_karras_text() {
  std::string out;
  for (const std::string& name : karras_samplers()) out += (out.empty() ? "" : ", ") + name;
  return out;
}

}  // namespace

SettingsReader::SettingsReader(val object) : object_(std::move(object)) {}

val SettingsReader::field(const char* name) const {
  if (object_.isUndefined() || object_.isNull()) return val::undefined();
  return object_[name];
}

bool SettingsReader::has(const char* name) const {
  const val v = field(name);
  return !v.isUndefined() && !v.isNull();
}

double SettingsReader::number(const char* name, double fallback) const {
  if (!has(name)) return fallback;
  const val v = field(name);
  if (!v.isNumber()) fail(name, " = ", shown(v), " is invalid: must be a number");
  const double x = v.as<double>();
  if (!std::isfinite(x)) fail(name, " = ", x, " is invalid: must be finite");
  return x;
}

std::int64_t SettingsReader::integer(const char* name, std::int64_t fallback, std::int64_t lo,
                                     std::int64_t hi) const {
  if (!has(name)) return fallback;
  const val v = field(name);
  const double x = v.isNumber() ? v.as<double>() : NAN;
  if (!std::isfinite(x) || std::floor(x) != x || x < static_cast<double>(lo) ||
      x > static_cast<double>(hi)) {
    fail(name, " = ", shown(v), " is invalid: must be an integer in [", lo, ", ", hi, "]");
  }
  return static_cast<std::int64_t>(x);
}

bool SettingsReader::flag(const char* name, bool fallback) const {
  if (!has(name)) return fallback;
  const val v = field(name);
  if (!v.isTrue() && !v.isFalse()) fail(name, " = ", shown(v), " is invalid: must be true or false");
  return v.isTrue();
}

std::string SettingsReader::text(const char* name, const std::string& fallback) const {
  if (!has(name)) return fallback;
  const val v = field(name);
  if (!v.isString()) fail(name, " = ", shown(v), " is invalid: must be a string");
  return v.as<std::string>();
}

std::uint64_t SettingsReader::seed(const char* name, std::uint64_t fallback) const {
  if (!has(name)) return fallback;
  const val v = field(name);
  if (v.isNumber()) {
    const double x = v.as<double>();
    if (std::isfinite(x) && std::floor(x) == x && x >= 0 && x <= max_safe_integer) {
      return static_cast<std::uint64_t>(x);
    }
  } else if (v.isString()) {
    const std::string s = v.as<std::string>();
    if (!s.empty() && s.size() <= 20 && s.find_first_not_of("0123456789") == std::string::npos) {
      errno = 0;
      char* end = nullptr;
      const unsigned long long parsed = std::strtoull(s.c_str(), &end, 10);
      if (errno == 0 && *end == '\0') return parsed;
    }
  }
  fail(name, " = ", shown(v), " is invalid: must be an integer in [0, 2^64 - 1]",
       " (a decimal string above 2^53)");
}

ScheduleConfig schedule_settings(const val& settings) {
  const SettingsReader s(settings);
  ScheduleConfig c;
  c.kind = schedule_kinds.value(s.text("schedule", schedule_kinds.name(c.kind)));
  c.timesteps = static_cast<int>(s.integer("timesteps", c.timesteps, schedule_timesteps_range.min,
                                           schedule_timesteps_range.page_max));
  c.beta_start = s.number("betaStart", c.beta_start);
  c.beta_end = s.number("betaEnd", c.beta_end);
  c.zero_terminal_snr = s.flag("zeroSnr", c.zero_terminal_snr);
  schedule_config_validate(c);
  return c;
}

DiffusionConfig diffusion_settings(const val& settings) {
  const SettingsReader s(settings);
  DiffusionConfig c;
  c.objective = objectives.value(s.text("objective", objectives.name(c.objective)));
  // The page sends every setting and keeps each objective's own while the other is chosen: a flow
  // run reads shift and not prediction (its network predicts the velocity), a diffusion run the
  // reverse (as the CLI's --prediction and --shift each belong to one --objective).
  if (c.objective == Objective::flow) {
    c.flow_shift = s.number("shift", c.flow_shift);
    diffusion_config_validate(c);
    return c;
  }
  const std::string name = s.text("prediction", predictions.name(c.prediction));
  if (name != "eps" && name != "x0" && name != "v") {
    fail("prediction = \"", name, "\" is unknown: allowed are eps, x0, v");
  }
  c.prediction = predictions.value(name);
  return c;
}

namespace {

std::int64_t integer_in(const SettingsReader& s, const char* name, std::size_t fallback,
                        const IntRange& range) {
  return s.integer(name, static_cast<std::int64_t>(fallback), range.min, range.page_max);
}

MlpConfig mlp_settings(const SettingsReader& s, std::size_t data_dim, std::size_t classes) {
  MlpConfig c;
  c.data_dim = data_dim;
  c.classes = classes;
  c.hidden = static_cast<std::size_t>(integer_in(s, "hidden", c.hidden, mlp_hidden_range));
  c.layers = static_cast<std::size_t>(integer_in(s, "layers", c.layers, mlp_layers_range));
  c.time_embed = static_cast<std::size_t>(integer_in(s, "timeEmbed", c.time_embed, mlp_time_embed_range));
  c.x_embed = static_cast<std::size_t>(integer_in(s, "xEmbed", c.x_embed, mlp_x_embed_range));
  c.time_projection = s.flag("timeProjection", c.time_projection);
  c.residual = s.flag("residual", c.residual);
  c.activation = mlp_activations.value(s.text("activation", kernels::activations.name(c.activation)));
  mlp_config_validate(c);
  return c;
}

// The U-Net of the page's image runs: in_channels and sample_size come from the images (C, H, W).
UNetConfig unet_settings(const SettingsReader& s, const SampleShape& shape, std::size_t classes) {
  if (shape.size() != 3 || shape[1] != shape[2]) {
    fail("modelKind = \"unet\" needs square images (C, H, W): this data's samples are points");
  }
  UNetConfig c;
  c.in_channels = shape[0];
  c.sample_size = shape[1];
  c.classes = classes;
  c.block_out_channels = unet_channels_from_text(s.text("channels", unet_channels_text(c.block_out_channels)));
  for (const std::size_t channels : c.block_out_channels) {
    if (channels > static_cast<std::size_t>(unet_channels_range.page_max)) {
      fail("channels = \"", unet_channels_text(c.block_out_channels), "\" is invalid: the page allows at most ",
           unet_channels_range.page_max, " channels a level");
    }
  }
  if (c.block_out_channels.size() > static_cast<std::size_t>(unet_levels_range.page_max)) {
    fail("channels = \"", unet_channels_text(c.block_out_channels), "\" is invalid: the page allows at most ",
         unet_levels_range.page_max, " levels");
  }
  c.layers_per_block = static_cast<std::size_t>(
      integer_in(s, "layersPerBlock", c.layers_per_block, unet_layers_per_block_range));
  c.norm_num_groups = static_cast<std::size_t>(integer_in(s, "groups", c.norm_num_groups, unet_groups_range));
  c.add_attention = s.flag("attention", c.add_attention);
  unet_config_validate(c);
  return c;
}

}  // namespace

ModelConfig model_settings(const val& settings, const SampleShape& shape, std::size_t classes) {
  const SettingsReader s(settings);
  const bool images = shape.size() == 3;
  const std::string kind = s.text("modelKind", images ? NetworkKind<UNetConfig>::name : NetworkKind<MlpConfig>::name);
  if (kind == NetworkKind<UNetConfig>::name) return unet_settings(s, shape, classes);
  if (kind == NetworkKind<MlpConfig>::name && !images) {
    std::size_t dims = 1;
    for (const std::size_t n : shape) dims *= n;
    return mlp_settings(s, dims, classes);
  }
  fail("modelKind = \"", kind, "\" is not offered by the page for ", images ? "images" : "points",
       ": allowed is ", images ? NetworkKind<UNetConfig>::name : NetworkKind<MlpConfig>::name);
}

TrainConfig train_settings(const val& settings, const DiffusionConfig& diffusion) {
  const SettingsReader s(settings);
  TrainConfig c;
  c.steps = s.integer("steps", c.steps, train_steps_range.min, train_steps_range.page_max);
  c.batch = static_cast<std::size_t>(integer_in(s, "batch", c.batch, train_batch_range));
  c.learning_rate = s.number("lr", c.learning_rate);
  c.warmup_steps = s.integer("warmup", c.warmup_steps, train_warmup_range.min, train_warmup_range.page_max);
  c.lr_schedule = lr_schedule_kinds.value(s.text("lrSchedule", lr_schedule_kinds.name(c.lr_schedule)));
  c.loss.space = diffusion.prediction;
  c.loss.weighting = loss_weightings.value(s.text("lossWeighting", loss_weightings.name(c.loss.weighting)));
  c.loss.snr_gamma = s.number("snrGamma", c.loss.snr_gamma);
  c.ema_decay = s.number("emaDecay", c.ema_decay);
  c.grad_clip = s.number("gradClip", c.grad_clip);
  c.optimizer.weight_decay = static_cast<float>(s.number("weightDecay", c.optimizer.weight_decay));
  if (c.optimizer.weight_decay != 0.0f) c.optimizer.kind = OptimizerKind::adamw;
  c.seed = s.seed("seed", c.seed);
  c.train_size = static_cast<std::size_t>(integer_in(s, "trainSize", c.train_size, train_size_range));
  c.label_dropout = s.number("labelDropout", c.label_dropout);
  train_config_validate(c);
  return c;
}

SamplerConfig sampler_settings(const val& settings, int T) {
  const SettingsReader s(settings);
  SamplerConfig c;
  c.kind = sampler_kinds.value(s.text("sampler", sampler_kinds.name(c.kind)));
  const std::string name = sampler_kinds.name(c.kind);
  c.steps = static_cast<int>(s.integer("samplerSteps", c.steps, 0, T));
  // Absent: the sampler's own default (sampler_default_spacing).
  if (s.has("spacing")) c.spacing = timestep_spacings.value(s.text("spacing", ""));
  // The options of one sampler only, as the CLI's flags (native/support/sampler_options.cpp).
  if (s.has("eta") && c.kind != SamplerKind::ddim) {
    fail("eta applies to sampler ddim only (", name, " has no eta)");
  }
  c.eta = s.number("eta", c.eta);
  if (s.has("variance") && c.kind != SamplerKind::ddpm) {
    fail("variance applies to sampler ddpm only (",
         c.kind == SamplerKind::ddim ? "DDIM's variance follows from eta" : name + " has no such choice", ")");
  }
  c.variance = reverse_variances.value(s.text("variance", reverse_variances.name(c.variance)));
  c.karras = s.flag("karras", c.karras);
  if (c.karras && !sampler_offers_karras(c.kind)) {
    fail("karras = true applies to samplers ", offered_karras_text(), " only (diffusers offers no Karras sigmas for ",
         name, ")");
  }
  sampler_config_validate(c, T);
  return c;
}

val settings_to_js(const ScheduleConfig& schedule, const DiffusionConfig& diffusion,
                   const ModelConfig& model, const TrainConfig& train) {
  val out = val::object();
  out.set("schedule", schedule_kinds.name(schedule.kind));
  out.set("timesteps", schedule.timesteps);
  out.set("betaStart", schedule.beta_start);
  out.set("betaEnd", schedule.beta_end);
  out.set("zeroSnr", schedule.zero_terminal_snr);
  out.set("prediction", predictions.name(diffusion.prediction));
  out.set("objective", objectives.name(diffusion.objective));
  out.set("shift", diffusion.flow_shift);
  out.set("modelKind", model_kind(model));
  out.set("conditional", model_classes(model) > 0);
  if (const UNetConfig* u = std::get_if<UNetConfig>(&model)) {
    out.set("channels", unet_channels_text(u->block_out_channels));
    out.set("layersPerBlock", static_cast<double>(u->layers_per_block));
    out.set("groups", static_cast<double>(u->norm_num_groups));
    out.set("attention", u->add_attention);
  }
  if (const MlpConfig* m = std::get_if<MlpConfig>(&model)) {
    out.set("hidden", static_cast<double>(m->hidden));
    out.set("layers", static_cast<double>(m->layers));
    out.set("timeEmbed", static_cast<double>(m->time_embed));
    out.set("xEmbed", static_cast<double>(m->x_embed));
    out.set("timeProjection", m->time_projection);
    out.set("residual", m->residual);
    out.set("activation", kernels::activations.name(m->activation));
  }
  out.set("steps", static_cast<double>(train.steps));
  out.set("batch", static_cast<double>(train.batch));
  out.set("lr", train.learning_rate);
  out.set("warmup", static_cast<double>(train.warmup_steps));
  out.set("lrSchedule", lr_schedule_kinds.name(train.lr_schedule));
  out.set("lossWeighting", loss_weightings.name(train.loss.weighting));
  out.set("snrGamma", train.loss.snr_gamma);
  out.set("emaDecay", train.ema_decay);
  out.set("gradClip", train.grad_clip);
  out.set("weightDecay", static_cast<double>(train.optimizer.weight_decay));
  if (static_cast<double>(train.seed) <= max_safe_integer) {
    out.set("seed", static_cast<double>(train.seed));
  } else {
    out.set("seed", std::to_string(train.seed));
  }
  out.set("trainSize", static_cast<double>(train.train_size));
  out.set("labelDropout", train.label_dropout);
  return out;
}

namespace {

val range_spec(double fallback, const IntRange& range) {
  val out = val::object();
  out.set("default", fallback);
  out.set("min", static_cast<double>(range.min));
  out.set("max", static_cast<double>(range.page_max));
  return out;
}

// A number's range; open ends are marked (minOpen, maxOpen), an unbounded end is left out.
val number_spec(double fallback, const NumberRange& range) {
  val out = val::object();
  out.set("default", fallback);
  out.set("min", range.min);
  if (range.min_open) out.set("minOpen", true);
  if (!std::isinf(range.max)) {
    out.set("max", range.max);
    if (range.max_open) out.set("maxOpen", true);
  }
  return out;
}

template <typename T>
val default_spec(const T& fallback) {
  val out = val::object();
  out.set("default", fallback);
  return out;
}

// Whether the core samples a flow-matching model with this sampler (sampler_config_validate
// refuses the others by name: euler and heun, FlowMatchEuler/HeunDiscreteScheduler).
bool sampler_takes_flow(SamplerConfig c) {
  c.flow = true;
  try {
    sampler_config_validate(c, schedule_timesteps_range.max);
    return true;
  } catch (const Error&) {
    return false;
  }
}

// { default, values: [names], samplers: { name: { name (for display), karras (offered), stochastic
// (draws noise after x_T), spacing (its default), steps (its default; 0: all T), flow (samples a
// flow-matching model) } } }: what the page's sampler controls offer.
val sampler_spec(const SamplerConfig& fallback) {
  val samplers = val::object();
  for (const std::string& name : sampler_kinds.names()) {
    SamplerConfig c;
    c.kind = sampler_kinds.value(name);
    val one = val::object();
    one.set("name", sampler_display_name(c.kind));
    one.set("karras", sampler_offers_karras(c.kind));
    one.set("stochastic", sampler_is_stochastic(c.kind, c.eta));  // DDIM: with its default eta 0
    one.set("spacing", timestep_spacings.name(sampler_default_spacing(c.kind)));
    one.set("steps", sampler_steps(c, 0));  // with T = 0: 0 where the default is all T (ddpm)
    one.set("flow", sampler_takes_flow(c));
    samplers.set(name, one);
  }
  val out = val::object();
  out.set("default", sampler_kinds.name(fallback.kind));
  out.set("values", strings_to_js(sampler_kinds.names()));
  out.set("samplers", samplers);
  return out;
}

}  // namespace

val settings_spec() {
  const ScheduleConfig schedule;
  const DiffusionConfig diffusion;
  const MlpConfig mlp;
  const TrainConfig train;
  const SamplerConfig sampler;
  val out = val::object();
  out.set("trainSize", range_spec(static_cast<double>(train.train_size), train_size_range));
  out.set("schedule", default_spec(schedule_kinds.name(schedule.kind)));
  out.set("timesteps", range_spec(schedule.timesteps, schedule_timesteps_range));
  out.set("betaStart", number_spec(schedule.beta_start, schedule_beta_range));
  out.set("betaEnd", number_spec(schedule.beta_end, schedule_beta_range));
  out.set("zeroSnr", default_spec(schedule.zero_terminal_snr));
  out.set("prediction", default_spec(predictions.name(diffusion.prediction)));
  out.set("objective", default_spec(objectives.name(diffusion.objective)));
  out.set("shift", number_spec(diffusion.flow_shift, flow_shift_range));
  out.set("hidden", range_spec(static_cast<double>(mlp.hidden), mlp_hidden_range));
  out.set("layers", range_spec(static_cast<double>(mlp.layers), mlp_layers_range));
  out.set("timeEmbed", range_spec(static_cast<double>(mlp.time_embed), mlp_time_embed_range));
  out.set("activation", default_spec(kernels::activations.name(mlp.activation)));
  out.set("residual", default_spec(mlp.residual));
  const UNetConfig unet;
  out.set("channels", default_spec(unet_channels_text(unet.block_out_channels)));
  out.set("layersPerBlock", range_spec(static_cast<double>(unet.layers_per_block), unet_layers_per_block_range));
  out.set("groups", range_spec(static_cast<double>(unet.norm_num_groups), unet_groups_range));
  out.set("attention", default_spec(unet.add_attention));
  out.set("lr", number_spec(train.learning_rate, learning_rate_range));
  out.set("batch", range_spec(static_cast<double>(train.batch), train_batch_range));
  out.set("steps", range_spec(static_cast<double>(train.steps), train_steps_range));
  out.set("lossWeighting", default_spec(loss_weightings.name(train.loss.weighting)));
  out.set("lrSchedule", default_spec(lr_schedule_kinds.name(train.lr_schedule)));
  out.set("warmup", range_spec(static_cast<double>(train.warmup_steps), train_warmup_range));
  out.set("emaDecay", number_spec(train.ema_decay, ema_decay_range));
  out.set("gradClip", number_spec(train.grad_clip, grad_clip_range));
  out.set("seed", default_spec(static_cast<double>(train.seed)));
  out.set("labelDropout", number_spec(train.label_dropout, label_dropout_range));
  out.set("samplerSteps", range_spec(sampler.steps, {0, schedule_timesteps_range.max,
                                                     schedule_timesteps_range.page_max}));
  out.set("eta", number_spec(sampler.eta, eta_range));
  out.set("sampler", sampler_spec(sampler));
  out.set("karras", default_spec(sampler.karras));
  // No default of its own: absent, each sampler takes the spacing sampler.samplers[name].spacing.
  val spacing = val::object();
  spacing.set("default", val::null());
  spacing.set("values", strings_to_js(timestep_spacings.names()));
  out.set("spacing", spacing);
  out.set("variance", default_spec(reverse_variances.name(sampler.variance)));
  // The page's slider covers diffusers' usual 0..8 of the core's guidance_range.
  out.set("guidance", number_spec(1.0, NumberRange{0, 8}));
  return out;
}

val normalization_to_js(const Normalization& norm) {
  val out = val::object();
  val mean = val::array(), stddev = val::array();
  for (double m : norm.mean) mean.call<void>("push", m);
  for (double s : norm.stddev) stddev.call<void>("push", s);
  out.set("mean", mean);
  out.set("std", stddev);
  if (norm.discrete()) out.set("levels", norm.levels);  // images: 0 .. levels - 1 onto [-1, 1]
  return out;
}

}  // namespace diffuse::web
