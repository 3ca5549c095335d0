#include "support/sampler_options.hpp"

#include "base/error.hpp"
#include "cli.hpp"
#include "diffusion/reverse_step.hpp"
#include "diffusion/sampler_plan.hpp"
#include "support/arguments.hpp"

namespace diffuse::cli {

void sampler_options_add(CLI::App& c, SamplerOptions& o, const std::string& group) {
  c.add_option("--sampler", o.sampler,
               "ddpm (ancestral) | ddim | euler | euler_a (ancestral) | heun | dpmpp_2m | "
               "dpmpp_2m_sde (stochastic) | unipc: diffusers' schedulers of these names "
               "(docs/samplers.md). Default: ddpm; euler for a flow-matching model")
      ->check(one_of(sampler_kinds.names()))
      ->group(group)
      ->type_name("NAME");
  c.add_option("--steps", o.steps,
               "Sampling steps K (default: all T for ddpm, 50 for the others; heun makes 2K - 1 "
               "model calls)")
      ->check(int_range(1, schedule_timesteps_range.max))
      ->group(group);
  c.add_option("--eta", o.eta, "DDIM's noise: 0 deterministic, 1 as DDPM")
      ->check(number_range(eta_range))
      ->capture_default_str()
      ->group(group);
  c.add_option("--spacing", o.spacing,
               "Which K of the T steps: " + join_names(timestep_spacings.names()) +
                   " (default: trailing for ddpm and ddim, linspace for the others, as diffusers)")
      ->check(one_of(timestep_spacings.names()))
      ->group(group)
      ->type_name("NAME");
  c.add_flag("--karras", o.karras,
             "Karras et al.'s sigma spacing (diffusers' use_karras_sigmas): euler, heun, dpmpp_2m, "
             "dpmpp_2m_sde, unipc")
      ->group(group);
  c.add_option("--variance", o.variance,
               "DDPM's reverse variance: fixed_small (beta~) | fixed_large (beta) | learned_range "
               "(the model's own; the default for a model trained with --learn-variance)")
      ->check(one_of(reverse_variances.names()))
      ->capture_default_str()
      ->group(group)
      ->type_name("NAME");
  c.add_flag("--clip-sample", o.clip_sample, "Clip each x_0 estimate to [-clip-range, clip-range]")
      ->group(group);
  c.add_option("--clip-range", o.clip_range, "Bound for --clip-sample, in normalized units")
      ->check(positive_number())
      ->capture_default_str()
      ->group(group);
  c.add_flag("--raw", o.raw, "Use the raw weights instead of the EMA weights")->group(group);
  c.add_option("--seed", o.seed, "Seed of x_T and of every step's noise")
      ->check(seed_text())
      ->capture_default_str()
      ->group(group)
      ->type_name("UINT");
  c.add_option("--class", o.class_label,
               "Conditional models: the class of every sample, or 'all' for class i mod K of "
               "sample i (default: the null class, unconditional)")
      ->check(class_text())
      ->group(group)
      ->type_name("K|all");
  c.add_option("--guidance", o.guidance,
               "Classifier-free guidance w: 1 conditional, 0 unconditional, > 1 stronger")
      ->check(number_range(guidance_range))
      ->capture_default_str()
      ->group(group);
}

Labels classes_in_turn(std::size_t n, std::size_t K) {
  Labels labels = Labels::from_shape({n});
  for (std::size_t i = 0; i < n; ++i) labels(i) = static_cast<std::int32_t>(i % K);
  return labels;
}

Labels sample_labels(const SamplerOptions& o, const CLI::App& command, const Checkpoint& checkpoint,
                     std::size_t n) {
  const std::size_t K = model_classes(checkpoint.model);
  if (o.class_label.empty()) {
    if (command.count("--guidance") > 0) {
      fail("--guidance needs --class: without it, samples are of the null class (unconditional)");
    }
    return {};
  }
  if (K == 0) {
    fail("--class '", o.class_label, "': the model is unconditional (train with --conditional ",
         "for a class-conditional model)");
  }
  if (o.class_label == "all") return classes_in_turn(n, K);
  Labels labels = Labels::from_shape({n});
  const std::int64_t k = parse_integer("--class", o.class_label);
  if (k < 0 || static_cast<std::size_t>(k) >= K) {
    fail("--class ", o.class_label, " is out of range: the model has classes 0..", K - 1,
         " (or 'all')");
  }
  labels.fill(static_cast<std::int32_t>(k));
  return labels;
}

SamplingModel sampling_model(const SamplerOptions& o, const Checkpoint& checkpoint) {
  SamplingModel out;
  out.model = checkpoint_denoiser(checkpoint, !o.raw);
  if (out.model->classes() > 0) out.guided = std::make_unique<GuidedDenoiser>(*out.model, o.guidance);
  return out;
}

std::string classes_description(const SamplerOptions& o, const Checkpoint& checkpoint) {
  const std::size_t K = model_classes(checkpoint.model);
  if (K == 0) return "";
  if (o.class_label.empty()) return "unconditional (null class)";
  const std::string guidance = ", guidance " + format_number(o.guidance);
  if (o.class_label == "all") return "classes 0.." + std::to_string(K - 1) + " in turn" + guidance;
  return "class " + o.class_label + guidance;
}

ReverseVariance reverse_variance_for(const std::string& flag, const CLI::App& command,
                                     const Checkpoint& checkpoint) {
  const bool learned = checkpoint.diffusion.learned_variance;
  if (command.count("--variance") == 0) {
    return learned ? ReverseVariance::learned_range : reverse_variances.value(flag);
  }
  const ReverseVariance variance = reverse_variances.value(flag);
  if (variance == ReverseVariance::learned_range && !learned) {
    fail("--variance learned_range needs a model trained with --learn-variance; this one's ",
         "variance is fixed: allowed are fixed_small, fixed_large");
  }
  return variance;
}

SamplerConfig sampler_config_from(const SamplerOptions& o, const CLI::App& command,
                                  const Checkpoint& checkpoint) {
  SamplerConfig config;
  config.flow = checkpoint.diffusion.objective == Objective::flow;
  config.flow_shift = checkpoint.diffusion.flow_shift;
  // A flow model's default sampler is Euler (the DDPM default has no meaning for it).
  if (o.sampler.empty()) {
    config.kind = config.flow ? SamplerKind::euler : SamplerKind::ddpm;
  } else {
    config.kind = sampler_kinds.value(o.sampler);
  }
  config.steps = static_cast<int>(o.steps);
  config.eta = o.eta;
  if (!o.spacing.empty()) config.spacing = timestep_spacings.value(o.spacing);
  config.karras = o.karras;
  config.variance = reverse_variance_for(o.variance, command, checkpoint);
  config.clip_sample = o.clip_sample;
  config.clip_range = o.clip_range;
  if (config.kind != SamplerKind::ddim && command.count("--eta") > 0) {
    fail("--eta applies to --sampler ddim only");
  }
  if (config.kind != SamplerKind::ddpm && command.count("--variance") > 0) {
    fail("--variance applies to --sampler ddpm only (",
         config.kind == SamplerKind::ddim ? "DDIM's variance follows from --eta"
                                          : "the other samplers have no such choice",
         ")");
  }
  if (config.karras && !sampler_offers_karras(config.kind)) {
    fail("--karras applies to --sampler euler, heun, dpmpp_2m, dpmpp_2m_sde or unipc (diffusers ",
         "offers no Karras sigmas for ", sampler_kinds.name(config.kind), ")");
  }
  if (command.count("--clip-range") > 0 && !o.clip_sample) fail("--clip-range needs --clip-sample");
  const int T = checkpoint.schedule.timesteps;
  if (config.steps > T) fail("--steps ", config.steps, " is more than the model's T = ", T);
  sampler_config_validate(config, T);
  const NoiseSchedule schedule = schedule_make(checkpoint.schedule);
  const SamplerPlan plan = sampler_plan(schedule, config);  // Error: too many steps for the spacing
  if (!config.flow && (config.kind == SamplerKind::ddpm || config.kind == SamplerKind::ddim)) {
    for (double t : plan.timesteps) {
      reverse_step_check_prediction(checkpoint.diffusion.prediction, schedule, static_cast<int>(t));
    }
  }
  if (o.raw && !checkpoint.training) {
    fail("--raw: the checkpoint holds no raw weights (it is an export); use the EMA weights");
  }
  return config;
}

std::string sampler_description(const SamplerConfig& config, int T) {
  const int K = sampler_steps(config, T);
  std::string text = sampler_display_name(config.kind);
  const bool spaced = K < T && !config.flow;
  text += ", " + std::to_string(K) + (spaced ? " " + timestep_spacings.name(sampler_spacing(config)) : "") +
          " steps";
  if (config.kind == SamplerKind::heun) text += " (" + std::to_string(2 * K - 1) + " model calls)";
  if (config.kind == SamplerKind::ddpm) text += ", " + reverse_variances.name(config.variance);
  if (config.kind == SamplerKind::ddim) text += ", eta " + format_number(config.eta);
  if (config.karras) text += ", Karras sigmas";
  if (config.flow) text += ", flow matching (shift " + format_number(config.flow_shift) + ")";
  if (config.clip_sample) text += ", clipped to +-" + format_number(config.clip_range);
  return text;
}

}  // namespace diffuse::cli
