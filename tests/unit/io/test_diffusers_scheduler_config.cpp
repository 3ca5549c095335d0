// diffusers_scheduler_config: DDPMScheduler's scheduler_config.json from diffuse's schedule,
// prediction type and sampling defaults, and back with every key validated. The text is checked
// against the one diffusers wrote for DDPMScheduler() (tests/reference/test_unet2d_reference.py's
// DDPM_DEFAULT_JSON) with three values changed: beta_schedule, and the sampling keys clip_sample
// and timestep_spacing (diffuse sample's defaults).
#include <catch2/catch.hpp>

#include "base/error.hpp"
#include "io/diffusers_json.hpp"
#include "io/diffusers_scheduler_config.hpp"

using namespace diffuse;
using Catch::Matchers::Contains;

namespace {

nlohmann::json written(ScheduleKind kind = ScheduleKind::linear, Prediction prediction = Prediction::eps) {
  ScheduleConfig schedule;
  schedule.kind = kind;
  DiffusionConfig diffusion;
  diffusion.prediction = prediction;
  return diffusers_scheduler_config_to_json(schedule, diffusion);
}

nlohmann::json with(const std::string& key, const nlohmann::json& value) {
  nlohmann::json json = written();
  json[key] = value;
  return json;
}

}  // namespace

TEST_CASE("diffusers scheduler config: every DDPMScheduler key, diffuse's sampling defaults") {
  ScheduleConfig schedule;
  schedule.kind = ScheduleKind::cosine;
  const std::string text = diffusers_json_text(diffusers_scheduler_config_to_json(schedule, DiffusionConfig{}));
  CHECK(text ==
        "{\n"
        "  \"_class_name\": \"DDPMScheduler\",\n"
        "  \"_diffusers_version\": \"0.40.0\",\n"
        "  \"beta_end\": 0.02,\n"
        "  \"beta_schedule\": \"squaredcos_cap_v2\",\n"
        "  \"beta_start\": 0.0001,\n"
        "  \"clip_sample\": false,\n"
        "  \"clip_sample_range\": 1.0,\n"
        "  \"dynamic_thresholding_ratio\": 0.995,\n"
        "  \"num_train_timesteps\": 1000,\n"
        "  \"prediction_type\": \"epsilon\",\n"
        "  \"rescale_betas_zero_snr\": false,\n"
        "  \"sample_max_value\": 1.0,\n"
        "  \"steps_offset\": 0,\n"
        "  \"thresholding\": false,\n"
        "  \"timestep_spacing\": \"trailing\",\n"
        "  \"trained_betas\": null,\n"
        "  \"variance_type\": \"fixed_small\"\n"
        "}\n");
}

TEST_CASE("diffusers scheduler config: names of every schedule and prediction type, round trips") {
  const std::pair<ScheduleKind, const char*> schedules[] = {{ScheduleKind::linear, "linear"},
                                                            {ScheduleKind::scaled_linear, "scaled_linear"},
                                                            {ScheduleKind::cosine, "squaredcos_cap_v2"},
                                                            {ScheduleKind::sigmoid, "sigmoid"}};
  const std::pair<Prediction, const char*> types[] = {
      {Prediction::eps, "epsilon"}, {Prediction::x0, "sample"}, {Prediction::v, "v_prediction"}};
  for (const auto& [kind, name] : schedules) {
    for (const auto& [prediction, type] : types) {
      const nlohmann::json json = written(kind, prediction);
      CHECK(json["beta_schedule"] == name);
      CHECK(json["prediction_type"] == type);
      const DiffusersScheduler back = diffusers_scheduler_config_from_json(json);
      CHECK(back.schedule.kind == kind);
      CHECK(back.diffusion.prediction == prediction);
    }
  }
  ScheduleConfig schedule;
  schedule.timesteps = 50;
  schedule.beta_start = 0.00085;
  schedule.beta_end = 0.2;
  schedule.zero_terminal_snr = true;
  SamplerConfig sampling;
  sampling.variance = ReverseVariance::fixed_large;
  sampling.spacing = TimestepSpacing::leading;
  sampling.clip_sample = true;
  sampling.clip_range = 2.5;
  const DiffusersScheduler back =
      diffusers_scheduler_config_from_json(diffusers_scheduler_config_to_json(schedule, DiffusionConfig{}, sampling));
  CHECK(back.schedule.timesteps == 50);
  CHECK(back.schedule.beta_start == 0.00085);
  CHECK(back.schedule.beta_end == 0.2);
  CHECK(back.schedule.zero_terminal_snr);
  CHECK(back.sampling.variance == ReverseVariance::fixed_large);
  CHECK(back.sampling.spacing == TimestepSpacing::leading);
  CHECK(back.sampling.clip_sample);
  CHECK(back.sampling.clip_range == 2.5);
}

TEST_CASE("diffusers scheduler config: missing keys take DDPMScheduler's defaults, as in diffusers") {
  const DiffusersScheduler s = diffusers_scheduler_config_from_json(nlohmann::json::object());
  CHECK(s.schedule.kind == ScheduleKind::linear);
  CHECK(s.schedule.timesteps == 1000);
  CHECK(s.schedule.beta_start == 0.0001);
  CHECK(s.schedule.beta_end == 0.02);
  CHECK_FALSE(s.schedule.zero_terminal_snr);
  CHECK(s.diffusion.prediction == Prediction::eps);
  CHECK(s.sampling.clip_sample);  // diffusers clips by default
  CHECK(s.sampling.clip_range == 1.0);
  CHECK(s.sampling.spacing == TimestepSpacing::leading);
  CHECK(s.sampling.variance == ReverseVariance::fixed_small);
}

TEST_CASE("diffusers scheduler config: what diffuse cannot reproduce is refused by key and value") {
  const std::pair<nlohmann::json, const char*> cases[] = {
      {with("_class_name", "DDIMScheduler"), "_class_name = \"DDIMScheduler\" is not supported: allowed is \"DDPMScheduler\""},
      {with("set_alpha_to_one", true), "unknown key 'set_alpha_to_one': DDPMScheduler takes beta_end"},
      {with("beta_schedule", "laplace"), "beta_schedule = \"laplace\" is not supported: allowed is linear | scaled_linear | squaredcos_cap_v2 | sigmoid"},
      {with("beta_schedule", "cosine"), "beta_schedule = \"cosine\""},
      {with("prediction_type", "eps"), "prediction_type = \"eps\" is not supported: allowed is epsilon | sample | v_prediction"},
      {with("variance_type", "learned"), "variance_type = \"learned\" is not supported: allowed is fixed_small | fixed_large | learned_range"},
      {with("timestep_spacing", "karras"), "timestep_spacing = \"karras\""},
      {with("trained_betas", {0.1, 0.2}), "trained_betas = [0.1,0.2] is not supported: allowed is null"},
      {with("thresholding", true), "thresholding = true is not supported: allowed is false"},
      {with("steps_offset", 1), "steps_offset = 1 is not supported: allowed is 0"},
      {with("num_train_timesteps", 1), "num_train_timesteps = 1 is not supported: allowed is an integer in 2..100000"},
      {with("num_train_timesteps", 1000.5), "num_train_timesteps = 1000.5"},
      {with("beta_start", "0.1"), "beta_start = \"0.1\" is not supported: allowed is a number"},
      {with("beta_start", 0.5), "beta_start = 0.5 is greater than beta_end = 0.02"},
      {with("beta_end", 1.5), "beta_end = 1.5 is invalid"},
      {with("clip_sample", "yes"), "clip_sample = \"yes\" is not supported: allowed is true or false"},
      {with("clip_sample_range", 0), "clip_sample_range = 0 is not supported: allowed is a number > 0"},
      {with("rescale_betas_zero_snr", nullptr), "rescale_betas_zero_snr = null"},
      {with("sample_max_value", nullptr), "sample_max_value = null"},
  };
  for (const auto& [json, message] : cases) {
    CAPTURE(message);
    CHECK_THROWS_WITH(diffusers_scheduler_config_from_json(json),
                      Contains("scheduler/scheduler_config.json: ") && Contains(message));
  }
  SamplerConfig ddim;
  ddim.kind = SamplerKind::ddim;
  CHECK_THROWS_WITH(diffusers_scheduler_config_to_json(ScheduleConfig{}, DiffusionConfig{}, ddim),
                    Contains("DDPM sampling only"));
}
