// diffuse sample: draw samples from a checkpoint's model with any sampler (core's Sampler, one
// step at a time so that progress shows), map them back to data units (normalization_undo; images
// clipped to their levels) and write them as CSV, NumPy .npy (n, ...the sample shape) or PNG (a
// scatter plot over the training data; for images a grid); optionally the trajectory as a
// (frames, n, ...) .npy or, for images, a PNG strip of denoising frames.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "base/error.hpp"
#include "cli.hpp"
#include "commands/commands.hpp"
#include "data/csv.hpp"
#include "diffusion/sampler.hpp"
#include "diffusion/sampler_plan.hpp"
#include "support/arguments.hpp"
#include "support/atomic_file.hpp"
#include "support/checkpoint_file.hpp"
#include "support/datasets.hpp"
#include "support/image_output.hpp"
#include "support/interrupt.hpp"
#include "support/npy.hpp"
#include "support/progress.hpp"
#include "support/sampler_options.hpp"
#include "support/scatter_plot.hpp"
#include "support/thread_pool.hpp"

namespace diffuse::cli {
namespace {

constexpr int default_trajectory_frames = 100;
constexpr double max_trajectory_bytes = 4.0 * (1u << 30);

struct SampleOptions {
  std::string model;
  std::int64_t n = 1000;
  SamplerOptions sampling;
  std::string out, trajectory, noise;
  std::int64_t record_every = 0;
  bool print_timesteps = false;
  std::int64_t png_size = 800;
  std::int64_t threads = 1;
  bool quiet = false;
};

struct SampleRun {
  Checkpoint checkpoint;
  SamplerConfig config;
  std::size_t n = 0;          // --n, or the rows of --noise
  std::optional<Tensor2> z;   // (n, D) --noise: the draws that start the chain
  Labels labels;              // (n,) each sample's class, or empty (the null class)
  std::string out_extension;  // "" when only printing timesteps
  std::string trajectory_extension;
  bool images = false;        // the samples are images (grid PNGs, (n, C, H, W) arrays)
};

std::string column_name(std::size_t d, std::size_t D) {
  if (D == 2) return d == 0 ? "x" : "y";
  return "x" + std::to_string(d);
}

// --noise: (n, ...the sample shape) finite standard-normal draws; --n, if given, must agree.
Tensor2 read_noise(const SampleOptions& o, const CLI::App& command, const Checkpoint& c) {
  const SampleShape shape = model_sample_shape(c.model);
  std::size_t n = 0;
  const std::vector<float> values = npy_read_rows("--noise", o.noise, {shape.begin(), shape.end()}, n);
  if (command.count("--n") > 0 && static_cast<std::size_t>(o.n) != n) {
    fail("--n ", o.n, " disagrees with --noise '", o.noise, "', which holds ", n,
         " rows: leave out --n, or give that many");
  }
  if (n > 10'000'000) fail("--noise '", o.noise, "' holds ", n, " rows: at most 10000000 samples");
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      fail("--noise '", o.noise, "': value ", i, " is ", values[i], ": the draws must be finite");
    }
  }
  Tensor2 z = Tensor2::from_shape({n, sample_shape_size(shape)});
  std::copy(values.begin(), values.end(), z.begin());
  return z;
}

SampleRun prepare(const SampleOptions& o, const CLI::App& command) {
  SampleRun run;
  run.checkpoint = checkpoint_load("--model", o.model);
  run.config = sampler_config_from(o.sampling, command, run.checkpoint);
  run.n = static_cast<std::size_t>(o.n);
  if (!o.noise.empty()) {
    run.z = read_noise(o, command, run.checkpoint);
    run.n = run.z->shape(0);
  }
  run.labels = sample_labels(o.sampling, command, run.checkpoint, run.n);
  const int K = sampler_plan(schedule_make(run.checkpoint.schedule), run.config).calls();
  if (o.out.empty() && !o.print_timesteps)
    fail("--out is required (unless only --print-timesteps)");
  if (!o.out.empty())
    run.out_extension = check_output_path("--out", o.out, {".csv", ".npy", ".png"});
  run.images = checkpoint_has_images(run.checkpoint);
  if (run.images && command.count("--png-size") > 0) {
    fail("--png-size sizes a scatter plot: this model's samples are images, drawn as a grid");
  }
  if (run.out_extension == ".png" && !run.images && model_sample_size(run.checkpoint.model) < 2) {
    fail("--out '", o.out,
         "': a PNG plot needs data with at least 2 dimensions; this model has D = ",
         model_sample_size(run.checkpoint.model));
  }
  if (command.count("--png-size") > 0 && run.out_extension != ".png")
    fail("--png-size needs --out F.png");
  if (command.count("--record-every") > 0 && o.trajectory.empty())
    fail("--record-every needs --trajectory");
  if (!o.trajectory.empty()) {
    if (run.images) {
      run.trajectory_extension = check_output_path("--trajectory", o.trajectory, {".npy", ".png"});
    } else {
      run.trajectory_extension = check_output_path("--trajectory", o.trajectory, {".npy"});
    }
    if (!o.out.empty() && same_file(o.out, o.trajectory))
      fail("--trajectory and --out name the same file");
    run.config.record_every =
        o.record_every > 0
            ? static_cast<int>(o.record_every)
            : std::max(1, (K + default_trajectory_frames - 1) / default_trajectory_frames);
    // The sampler keeps every frame of x and of the x_0 estimate in memory until the end.
    const double frames = std::ceil(static_cast<double>(K) / run.config.record_every) + 1;
    const double bytes = 2 * frames * static_cast<double>(run.n) * model_sample_size(run.checkpoint.model) * 4;
    if (bytes > max_trajectory_bytes) {
      fail("--trajectory: ", frames, " frames of ", run.n, " points need ",
           std::ceil(bytes / (1 << 30)),
           " GiB of memory: record fewer frames (--record-every) or points (--n)");
    }
  }
  return run;
}

// The model calls' timesteps (as float32, what the network is given: Euler and Heun's are
// fractional) and, for the sigma-based samplers, the noise levels sigma before each call and after
// the last.
void print_timesteps(const SampleRun& run) {
  const SamplerPlan plan = sampler_plan(schedule_make(run.checkpoint.schedule), run.config);
  const auto number = [](double v) {  // the shortest text that reads back as the same float32
    char text[32];
    const auto end = std::to_chars(text, text + sizeof text, static_cast<float>(v)).ptr;
    return std::string(text, end);
  };
  std::cout << "timesteps (" << plan.calls() << " of " << run.checkpoint.schedule.timesteps << "):";
  for (std::size_t i = 0; i < plan.timesteps.size(); ++i) {
    std::cout << (i ? ", " : " ") << number(plan.timesteps[i]);
  }
  std::cout << '\n';
  if (run.config.kind == SamplerKind::ddpm || run.config.kind == SamplerKind::ddim) return;
  std::cout << "sigmas (" << plan.sigmas.size() << "):";
  for (std::size_t i = 0; i < plan.sigmas.size(); ++i) {
    std::cout << (i ? ", " : " ") << number(plan.sigmas[i]);
  }
  std::cout << '\n';
}

// The points to draw under the samples: the training set saved in the checkpoint, or, for an
// export of a generated set, the same set drawn again from the run's seed.
std::optional<Tensor2> reference_points(const Checkpoint& c) {
  if (c.train_samples.size() > 0) return normalization_undo(c.data.normalization, c.train_samples);
  const auto names = toy2d_sets.names();
  if (std::find(names.begin(), names.end(), c.data.source) == names.end()) return std::nullopt;
  return dataset_draw(toy2d_sets.value(c.data.source), c.data.train_size, c.train.seed,
                      toy2d_rng_stream);
}

std::string plot_png(const SampleRun& run, const SamplerOptions& options, const Tensor2& samples,
                     int size, const std::string& model_path) {
  const Checkpoint& c = run.checkpoint;
  const std::optional<Tensor2> data = reference_points(c);
  ScatterPlot plot;
  plot.size = size;
  plot.title = c.data.source + ": " + sampler_description(run.config, c.schedule.timesteps);
  plot.subtitle = model_path + ": step " + std::to_string(c.step) + ", " +
                  (c.diffusion.objective == Objective::flow
                       ? "flow-matching model, T=" + std::to_string(c.schedule.timesteps)
                       : predictions.name(c.diffusion.prediction) + " model, " +
                             schedule_kinds.name(c.schedule.kind) +
                             " T=" + std::to_string(c.schedule.timesteps));
  if (run.labels.size() > 0) {  // the classes instead of the model's details, to fit the line
    plot.subtitle = model_path + ": step " + std::to_string(c.step) + "; " + classes_description(options, c);
  }
  if (model_sample_size(c.model) > 2) plot.x_label = "x0", plot.y_label = "x1";
  if (data) plot.layers.push_back({&*data, {150, 154, 166}, 0.30f, 1.6f, "training data"});
  if (run.labels.size() == 0) {
    plot.layers.push_back({&samples, {219, 68, 55}, 0.55f, 2.0f, "samples"});
    return scatter_plot_draw(plot).encode_png();
  }
  // A conditional model's samples: one layer (colour) per class, the page's palette.
  static const Rgb palette[] = {{47, 98, 217},  {224, 119, 47}, {15, 143, 127}, {194, 54, 106},
                                {139, 79, 216}, {122, 138, 16}, {209, 164, 0},  {91, 101, 119},
                                {31, 155, 209}, {160, 82, 45}};
  const std::size_t K = model_classes(c.model), D = samples.shape(1);
  std::vector<Tensor2> by_class(K);
  for (std::size_t k = 0; k < K; ++k) {
    std::vector<float> rows;
    for (std::size_t i = 0; i < samples.shape(0); ++i) {
      if (static_cast<std::size_t>(run.labels(i)) == k) rows.insert(rows.end(), &samples(i, 0), &samples(i, 0) + D);
    }
    if (rows.empty()) continue;
    by_class[k] = Tensor2::from_shape({rows.size() / D, D});
    std::copy(rows.begin(), rows.end(), by_class[k].begin());
    plot.layers.push_back({&by_class[k], palette[k % 10], 0.55f, 2.0f,
                           (k == 0 ? "class " : "") + std::to_string(k)});
  }
  return scatter_plot_draw(plot).encode_png();
}

// The samples with their classes as a last column "label" (diffuse train reads it back as labels).
Tensor2 with_label_column(const Tensor2& samples, const Labels& labels) {
  const std::size_t n = samples.shape(0), D = samples.shape(1);
  Tensor2 out = Tensor2::from_shape({n, D + 1});
  for (std::size_t i = 0; i < n; ++i) {
    std::copy(samples.data() + i * D, samples.data() + (i + 1) * D, out.data() + i * (D + 1));
    out(i, D) = static_cast<float>(labels(i));
  }
  return out;
}

// (n, ...the sample shape): (n, D) for points, (n, C, H, W) for images.
std::vector<std::size_t> array_shape(std::size_t n, const SampleShape& shape) {
  std::vector<std::size_t> out{n};
  out.insert(out.end(), shape.begin(), shape.end());
  return out;
}

std::string image_title(const SampleRun& run, const SamplerOptions& options) {
  const Checkpoint& c = run.checkpoint;
  const std::string classes = classes_description(options, c);
  return c.data.source + ": " + sampler_description(run.config, c.schedule.timesteps) +
         (classes.empty() ? "" : "; " + classes);
}

void write_samples(const SampleOptions& o, const SampleRun& run, const Tensor2& samples) {
  const std::string& path = o.out;
  const std::string& extension = run.out_extension;
  const std::size_t D = samples.shape(1);
  const Checkpoint& c = run.checkpoint;
  if (extension == ".csv") {
    std::vector<std::string> header;
    for (std::size_t d = 0; d < D; ++d) header.push_back(column_name(d, D));
    if (run.labels.size() > 0) header.push_back("label");
    const Tensor2 table = run.labels.size() > 0 ? with_label_column(samples, run.labels) : samples;
    atomic_write_file(path, [&](std::ostream& out) { csv_write_points(out, table, header); });
  } else if (extension == ".npy") {
    atomic_write_file(path, [&](std::ostream& out) {
      npy_write(out, samples.data(), array_shape(samples.shape(0), c.data.shape));
    });
  } else if (run.images) {
    atomic_write_file(path, samples_grid_png(image_look(c), samples, run.labels, model_classes(c.model),
                                             c.data.class_names, image_title(run, o.sampling)));
  } else {
    atomic_write_file(path, plot_png(run, o.sampling, samples, static_cast<int>(o.png_size), o.model));
  }
}

void write_trajectory(const SampleOptions& o, const SampleRun& run, const Trajectory& trajectory) {
  const Checkpoint& c = run.checkpoint;
  const Normalization& norm = c.data.normalization;
  if (run.trajectory_extension == ".png") {
    atomic_write_file(o.trajectory, trajectory_strip_png(image_look(c), trajectory, norm,
                                                         image_title(run, o.sampling)));
    return;
  }
  const std::size_t F = trajectory.x.size(), n = trajectory.x.front().shape(0),
                    D = trajectory.x.front().shape(1);
  std::vector<float> frames(F * n * D);  // (F, n, D)
  for (std::size_t f = 0; f < F; ++f) {
    const Tensor2 x = normalization_undo(norm, trajectory.x[f]);
    std::copy(x.begin(), x.end(), frames.begin() + static_cast<std::ptrdiff_t>(f * n * D));
  }
  std::vector<std::size_t> shape = array_shape(n, c.data.shape);
  shape.insert(shape.begin(), F);
  atomic_write_file(o.trajectory, [&](std::ostream& out) { npy_write(out, frames.data(), shape); });
}

// Rows sampled at a time when no trajectory is recorded. The sampler's per-row state (the
// network's activations for its batch, about 1.3 KB a point for the reference MLP) is then bounded
// by the chunk and not by --n: only the samples themselves (D floats a point) are held. Each chunk
// is rows first .. first + rows - 1 of the same run (the core draws x_T and every step's noise
// from (seed, row)), so the samples are exactly those of one sampler over all rows.
constexpr std::size_t sample_chunk_rows = 16384;

void sample_and_write(const SampleOptions& o, const SampleRun& run) {
  const Checkpoint& c = run.checkpoint;
  SamplingModel model = sampling_model(o.sampling, c);
  const NoiseSchedule schedule = schedule_make(c.schedule);
  ThreadPool pool(static_cast<std::size_t>(o.threads));
  const std::size_t n = run.n, D = model_sample_size(c.model);
  const std::size_t chunk = o.trajectory.empty() ? std::min(n, sample_chunk_rows) : n;
  const std::size_t chunks = (n + chunk - 1) / chunk;
  const std::uint64_t seed = parse_seed(o.sampling.seed);
  Tensor2 samples = Tensor2::from_shape({n, D});  // normalized, then data units
  std::unique_ptr<Sampler> sampler;                // the last chunk's (with the trajectory, if any)
  ProgressOptions display;
  display.enabled = !o.quiet;
  std::optional<Progress> progress;
  InterruptGuard interrupts;  // Ctrl-C: stop after the current step, say so, write nothing
  std::int64_t steps_before = 0;
  for (std::size_t k = 0; k < chunks; ++k) {
    const std::size_t first = k * chunk, rows = std::min(chunk, n - first);
    Labels labels;
    if (run.labels.size() > 0) {
      labels = Labels::from_shape({rows});
      std::copy(run.labels.begin() + static_cast<std::ptrdiff_t>(first),
                run.labels.begin() + static_cast<std::ptrdiff_t>(first + rows), labels.begin());
    }
    if (run.z) {
      Tensor2 z = Tensor2::from_shape({rows, D});
      std::copy(run.z->begin() + static_cast<std::ptrdiff_t>(first * D),
                run.z->begin() + static_cast<std::ptrdiff_t>((first + rows) * D), z.begin());
      sampler = std::make_unique<Sampler>(model.denoiser(), schedule, run.config, std::move(z), seed, first, std::move(labels));
    } else {
      sampler = std::make_unique<Sampler>(model.denoiser(), schedule, run.config, rows, seed, first, std::move(labels));
    }
    if (!progress) progress.emplace("sample", sampler->steps_total() * static_cast<std::int64_t>(chunks), 0, "step", display);
    while (!sampler->done()) {
      sampler->step(pool);
      progress->update(steps_before + sampler->steps_taken());
      if (const int signal = InterruptGuard::signal_received(); signal != 0) {
        progress->finish("interrupted");
        throw Failure(error_message("interrupted (signal ", signal, ") at step ", steps_before + sampler->steps_taken(),
                                    " of ", sampler->steps_total() * static_cast<std::int64_t>(chunks),
                                    ": nothing was written"),
                      exit_interrupted);
      }
    }
    steps_before += sampler->steps_total();
    std::copy(sampler->x().begin(), sampler->x().end(), samples.begin() + static_cast<std::ptrdiff_t>(first * D));
  }
  progress->finish();
  samples = normalization_undo(c.data.normalization, samples);  // (n, D)
  require_finite(samples, "samples");
  normalization_clip_to_range(c.data.normalization, samples);
  write_samples(o, run, samples);
  if (!o.trajectory.empty()) write_trajectory(o, run, sampler->trajectory());
  const std::string classes = classes_description(o.sampling, c);
  std::cout << "wrote " << n << " samples (" << sampler_description(run.config, schedule.T)
            << "; " << (classes.empty() ? "" : classes + "; ") << (o.sampling.raw ? "raw" : "EMA")
            << " weights; seed " << o.sampling.seed << ") to " << o.out;
  if (!o.trajectory.empty()) {
    std::cout << " and " << sampler->trajectory().x.size() << " trajectory frames to "
              << o.trajectory;
  }
  std::cout << " in " << format_duration(progress->elapsed()) << '\n';
}

void run_sample(const SampleOptions& o, const CLI::App& command) {
  const SampleRun run = prepare(o, command);
  if (o.print_timesteps) print_timesteps(run);
  if (o.out.empty()) return;
  run_work([&] { sample_and_write(o, run); });
}

void add_options(CLI::App& c, SampleOptions& o) {
  c.add_option("--model", o.model, "Checkpoint to sample (.safetensors from diffuse train)")
      ->required()
      ->type_name("FILE");
  c.add_option("--n", o.n, "Number of samples")
      ->check(int_range(1, 10'000'000))
      ->capture_default_str();
  c.add_option("--out", o.out,
               "Output: .csv (header x,y), .npy (float32, (n, D); images (n, C, H, W) in data "
               "units) or .png (a scatter plot; images: a grid, one row per class with --class all)")
      ->type_name("FILE");
  sampler_options_add(c, o.sampling, "Sampler");
  c.add_option("--noise", o.noise,
               "Start the chain from these standard-normal draws z: .npy of shape (n, D) (images: "
               "(n, C, H, W)); each sampler forms x_T = z * init_noise_sigma as diffusers' "
               "pipelines do; later draws still come from --seed. n defaults to the file's rows")
      ->group("Sampler")
      ->type_name("FILE.npy");
  c.add_option("--trajectory", o.trajectory,
               "Also write the chain's states as .npy, shape (frames, n, D) (images: (frames, n, C, "
               "H, W)), or for images as .png, a strip of denoising frames of the first samples")
      ->type_name("FILE");
  c.add_option("--record-every", o.record_every,
               "A trajectory frame every K steps, plus the result (default: about 100 frames)")
      ->check(int_range(1, schedule_timesteps_range.max));
  c.add_flag("--print-timesteps", o.print_timesteps, "Print the timesteps the sampler visits");
  c.add_option("--png-size", o.png_size, "Width and height of a PNG plot, pixels")
      ->check(int_range(200, 4000))
      ->capture_default_str();
  o.threads = static_cast<std::int64_t>(ThreadPool::hardware_threads());
  c.add_option("--threads", o.threads, "Worker threads (default: all cores)")
      ->check(int_range(1, 1024))
      ->capture_default_str();
  c.add_flag("--quiet,-q", o.quiet, "No progress display");
}

}  // namespace

void add_sample_command(CLI::App& app) {
  auto options = std::make_shared<SampleOptions>();
  CLI::App* command = app.add_subcommand(
      "sample", "Draw samples from a trained model (DDPM, DDIM, Euler, Heun, DPM-Solver++, UniPC), in the data's units");
  add_options(*command, *options);
  command->footer(
      "Samples are mapped back to data units with the checkpoint's normalization. "
      "Trajectory frame f holds x_t before model call f * K (K = --record-every; "
      "--print-timesteps shows the list of calls); the last frame is the result. "
      "A deterministic sampler (ddim with --eta 0, euler, heun, dpmpp_2m, unipc) with --noise "
      "gives output determined by the model and z alone.");
  command->callback([options, command] { run_sample(*options, *command); });
}

}  // namespace diffuse::cli
