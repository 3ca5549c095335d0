// diffuse predict: the network's raw output (its eps, x0 or v prediction) for given x_t at one
// step t, in the model's normalized space. A debugging tool: it is how the PyTorch cross-checks
// (tests/cli/test_checkpoint_torch.py, test_diffusers_export.py) compare the C++ model with a
// torch.nn.Module. x_t comes as CSV (one row per sample, D columns, optional label column) or as
// .npy of shape (n, ...the sample shape): (n, D) for points, (n, C, H, W) for images, float32 (or
// float64, rounded), what diffusers' UNet2DModel takes as `sample`.
#include <algorithm>
#include <iostream>
#include <memory>
#include <string>

#include "base/error.hpp"
#include "cli.hpp"
#include "commands/commands.hpp"
#include "data/csv.hpp"
#include "support/arguments.hpp"
#include "support/atomic_file.hpp"
#include "support/checkpoint_file.hpp"
#include "support/datasets.hpp"
#include "support/npy.hpp"

namespace diffuse::cli {
namespace {

struct PredictOptions {
  std::string model, in, out;
  std::int64_t t = 0;
  bool raw = false;
  std::string class_label;  // "": the in file's label column, else the null class
};

// x_t from a .npy file of shape (n, ...the model's sample shape), as (n, D) rows.
LabeledPoints read_npy_input(const std::string& path, const Checkpoint& c) {
  const SampleShape shape = model_sample_shape(c.model);
  std::size_t n = 0;
  const std::vector<float> rows = npy_read_rows("--in", path, {shape.begin(), shape.end()}, n);
  LabeledPoints in;
  in.points = Tensor2::from_shape({n, sample_shape_size(shape)});
  std::copy(rows.begin(), rows.end(), in.points.begin());
  return in;
}

void run_predict(const PredictOptions& o) {
  const Checkpoint c = checkpoint_load("--model", o.model);
  if (o.t > c.schedule.timesteps - 1) {
    fail("--t ", o.t, " is out of range: allowed is 0..", c.schedule.timesteps - 1,
         " (T = ", c.schedule.timesteps, ")");
  }
  const LabeledPoints in = path_extension(o.in) == ".npy" ? read_npy_input(o.in, c) : dataset_read_csv("--in", o.in);
  const Tensor2& x = in.points;  // (B, D)
  if (x.shape(1) != model_sample_size(c.model)) {
    fail("--in '", o.in, "' has ", x.shape(1), " columns but the model has D = ", model_sample_size(c.model));
  }
  if (o.raw && !c.training) fail("--raw: the checkpoint holds no raw weights (it is an export)");
  // The class of every row: --class K, or the file's label column, else the null class.
  const std::size_t K = model_classes(c.model);
  Labels labels;
  if (!o.class_label.empty()) {
    if (K == 0) fail("--class ", o.class_label, ": the model is unconditional");
    const std::int64_t k = parse_integer("--class", o.class_label);
    if (k < 0 || static_cast<std::size_t>(k) > K) {
      fail("--class ", k, " is out of range: the model has classes 0..", K - 1, " and the null class ", K);
    }
    labels = Labels::from_shape({x.shape(0)});
    labels.fill(static_cast<std::int32_t>(k));
  } else if (in.classes > 0 && K > 0) {
    if (in.classes > K + 1) {
      fail("--in '", o.in, "' has labels up to ", in.classes - 1, ": the model has classes 0..", K - 1,
           " and the null class ", K);
    }
    labels = in.labels;
  }
  const std::string extension = check_output_path("--out", o.out, {".csv", ".npy"});
  check_not_input("--out", o.out, "--in", o.in);
  check_not_input("--out", o.out, "--model", o.model);
  run_work([&] {
    std::unique_ptr<NetworkDenoiser> model = checkpoint_denoiser(c, !o.raw);
    Steps t = Steps::from_shape({x.shape(0)});
    t.fill(static_cast<std::int32_t>(o.t));
    Tensor2 out;
    model->predict(out, x, t, labels.size() ? &labels : nullptr, serial_executor());
    require_finite(out, "predictions");
    const std::string name = predictions.name(c.diffusion.prediction);
    std::vector<std::string> header;
    for (std::size_t d = 0; d < out.shape(1); ++d) header.push_back(name + std::to_string(d));
    atomic_write_file(o.out, [&](std::ostream& stream) {
      if (extension == ".csv") {
        csv_write_points(stream, out, header);
      } else {
        std::vector<std::size_t> shape = model_sample_shape(c.model);  // (n, ...the sample shape)
        shape.insert(shape.begin(), out.shape(0));
        npy_write(stream, out.data(), shape);
      }
    });
  });
}

}  // namespace

void add_predict_command(CLI::App& app) {
  auto o = std::make_shared<PredictOptions>();
  CLI::App* c = app.add_subcommand(
      "predict", "The network's raw output for x_t at step t (normalized space; for debugging)");
  c->add_option("--model", o->model, "Checkpoint")->required()->type_name("FILE");
  c->add_option("--t", o->t, "Diffusion step t (diffusers' index, 0..T-1)")
      ->check(int_range(0, schedule_timesteps_range.max - 1))
      ->required();
  c->add_option("--in", o->in,
                "x_t in the model's normalized space: CSV, one row per sample (an optional last "
                "column 'label'), or .npy of shape (n, ...the sample shape), e.g. (n, C, H, W)")
      ->required()
      ->type_name("FILE");
  c->add_option("--out", o->out,
                "The prediction (eps, x0 or v): .csv (n, D) or .npy (n, ...the sample shape)")
      ->required()
      ->type_name("FILE");
  c->add_flag("--raw", o->raw, "Use the raw weights instead of the EMA weights");
  c->add_option("--class", o->class_label,
                "Conditional models: the class of every row (K, the model's class count, is the "
                "null class); default: the file's label column, else the null class")
      ->type_name("K");
  c->footer(
      "Inputs and outputs are in the normalized space the model was trained in (x_norm = "
      "(x - mean) / std, see diffuse info); the output's columns are named after the "
      "prediction type (eps0, eps1, ...).");
  c->callback([o] { run_predict(*o); });
}

}  // namespace diffuse::cli
