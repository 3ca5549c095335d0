#include "settings.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>

#include "base/error.hpp"
#include "diffusion/loss.hpp"

namespace diffuse::web {

using emscripten::val;

namespace {

constexpr double max_safe_integer = 9007199254740991.0;  // 2^53 - 1

std::string shown(const val& v) {
  if (v.isString()) return "\"" + v.as<std::string>() + "\"";
  return val::global("String")(v).as<std::string>();
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
  c.kind = schedule_kind_from_name(s.text("schedule", schedule_kind_name(c.kind)));
  c.timesteps = static_cast<int>(s.integer("timesteps", c.timesteps, 2, 100000));
  c.beta_start = s.number("betaStart", c.beta_start);
  c.beta_end = s.number("betaEnd", c.beta_end);
  c.zero_terminal_snr = s.flag("zeroSnr", c.zero_terminal_snr);
  schedule_config_validate(c);
  return c;
}

MlpConfig model_settings(const val& settings) {
  const SettingsReader s(settings);
  MlpConfig c;
  c.hidden = static_cast<std::size_t>(s.integer("hidden", c.hidden, 1, 4096));
  c.layers = static_cast<std::size_t>(s.integer("layers", c.layers, 1, 16));
  c.time_embed = static_cast<std::size_t>(s.integer("timeEmbed", c.time_embed, 4, 1024));
  c.x_embed = static_cast<std::size_t>(s.integer("xEmbed", c.x_embed, 0, 256));
  c.time_projection = s.flag("timeProjection", c.time_projection);
  c.residual = s.flag("residual", c.residual);
  const std::string activation = s.text("activation", "silu");
  if (activation == "silu") {
    c.activation = kernels::Activation::silu;
  } else if (activation == "relu") {
    c.activation = kernels::Activation::relu;
  } else if (activation == "gelu") {
    c.activation = kernels::Activation::gelu;
  } else {
    fail("activation = \"", activation, "\" is unknown: allowed are silu, relu, gelu");
  }
  c.prediction = prediction_from_name(s.text("prediction", prediction_name(c.prediction)));
  mlp_config_validate(c);
  return c;
}

TrainConfig train_settings(const val& settings, const MlpConfig& model) {
  const SettingsReader s(settings);
  TrainConfig c;
  c.steps = s.integer("steps", c.steps, 1, 100000000);
  c.batch = static_cast<std::size_t>(s.integer("batch", static_cast<std::int64_t>(c.batch), 1, 65536));
  c.learning_rate = s.number("lr", c.learning_rate);
  c.warmup_steps = s.integer("warmup", c.warmup_steps, 0, 100000000);
  c.lr_schedule = lr_schedule_kind_from_name(s.text("lrSchedule", lr_schedule_kind_name(c.lr_schedule)));
  c.loss.space = model.prediction;
  c.loss.weighting = loss_weighting_from_name(s.text("lossWeighting", loss_weighting_name(c.loss.weighting)));
  c.loss.snr_gamma = s.number("snrGamma", c.loss.snr_gamma);
  c.ema_decay = s.number("emaDecay", c.ema_decay);
  c.grad_clip = s.number("gradClip", c.grad_clip);
  c.optimizer.weight_decay = static_cast<float>(s.number("weightDecay", c.optimizer.weight_decay));
  if (c.optimizer.weight_decay != 0.0f) c.optimizer.kind = OptimizerKind::adamw;
  c.seed = s.seed("seed", c.seed);
  c.train_size = static_cast<std::size_t>(s.integer("trainSize", static_cast<std::int64_t>(c.train_size), 2, 1000000));
  train_config_validate(c);
  return c;
}

SamplerConfig sampler_settings(const val& settings, int T) {
  const SettingsReader s(settings);
  SamplerConfig c;
  c.kind = sampler_kind_from_name(s.text("sampler", sampler_kind_name(c.kind)));
  c.steps = static_cast<int>(s.integer("samplerSteps", c.steps, 0, T));
  c.eta = s.number("eta", c.eta);
  c.spacing = timestep_spacing_from_name(s.text("spacing", timestep_spacing_name(c.spacing)));
  c.variance = reverse_variance_from_name(s.text("variance", reverse_variance_name(c.variance)));
  sampler_config_validate(c, T);
  return c;
}

val settings_to_js(const ScheduleConfig& schedule, const MlpConfig& model, const TrainConfig& train) {
  val out = val::object();
  out.set("schedule", schedule_kind_name(schedule.kind));
  out.set("timesteps", schedule.timesteps);
  out.set("betaStart", schedule.beta_start);
  out.set("betaEnd", schedule.beta_end);
  out.set("zeroSnr", schedule.zero_terminal_snr);
  out.set("hidden", static_cast<double>(model.hidden));
  out.set("layers", static_cast<double>(model.layers));
  out.set("timeEmbed", static_cast<double>(model.time_embed));
  out.set("xEmbed", static_cast<double>(model.x_embed));
  out.set("timeProjection", model.time_projection);
  out.set("residual", model.residual);
  out.set("activation", model.activation == kernels::Activation::silu   ? "silu"
                        : model.activation == kernels::Activation::relu ? "relu"
                                                                        : "gelu");
  out.set("prediction", prediction_name(model.prediction));
  out.set("steps", static_cast<double>(train.steps));
  out.set("batch", static_cast<double>(train.batch));
  out.set("lr", train.learning_rate);
  out.set("warmup", static_cast<double>(train.warmup_steps));
  out.set("lrSchedule", lr_schedule_kind_name(train.lr_schedule));
  out.set("lossWeighting", loss_weighting_name(train.loss.weighting));
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
  return out;
}

val normalization_to_js(const Normalization& norm) {
  val out = val::object();
  val mean = val::array(), stddev = val::array();
  for (double m : norm.mean) mean.call<void>("push", m);
  for (double s : norm.stddev) stddev.call<void>("push", s);
  out.set("mean", mean);
  out.set("std", stddev);
  return out;
}

}  // namespace diffuse::web
