// Image data sets in the page: the digits from the two IDX files the page ships
// (scripts/web_assets.mjs), split exactly as the CLI splits them (data/digits.hpp), so that a run
// trained here trains on the very images `diffuse train --dataset digits` does and its checkpoint
// resumes natively (checkpoints fingerprint a reloadable data set instead of storing it). Also the
// runs on them: a new U-Net run, and a checkpoint of one resumed with the data it names.
#include <emscripten/bind.h>

#include <algorithm>
#include <string>
#include <vector>

#include "data/digits.hpp"
#include "data/training_data.hpp"
#include "guard.hpp"
#include "handles.hpp"
#include "io/checkpoint.hpp"
#include "settings.hpp"
#include "typed_arrays.hpp"

namespace diffuse::web {

using emscripten::val;

namespace {

std::string bytes_of(const val& bytes, const char* what) {
  if (!bytes.instanceof(val::global("Uint8Array"))) fail(what, " must be a Uint8Array");
  const std::vector<std::uint8_t> data = from_js_array<std::uint8_t>(bytes, what);
  return std::string(data.begin(), data.end());
}

// imageDataLoad(name, imageBytes, labelBytes) -> { images, ...info }: the decompressed IDX files.
val image_data_load(const std::string& name, val image_bytes, val label_bytes) {
  return guarded([&] {
    if (name != "digits") fail("image data set \"", name, "\" is not offered by the page: allowed is digits");
    const std::string source = "the page's " + name + " asset";
    ImageSet all = digits_from_idx(bytes_of(image_bytes, "image bytes"), bytes_of(label_bytes, "label bytes"),
                                   source + " (images)", source + " (labels)");
    if (all.count != digits_count) {
      fail(source, " has ", all.count, " images, expected ", digits_count, ": rebuild it (scripts/build.sh)");
    }
    auto handle = std::make_unique<ImageDataHandle>();
    handle->name = name;
    handle->split = image_split_digits(all);
    val out = handle->info();
    out.set("images", val(std::move(handle)));
    return out;
  });
}

// trainerCreateImages(settings, images) -> { trainer, ...trainer.info() }: a U-Net run on the
// training split (settings as for trainerCreate; trainSize does not apply: the whole split).
val trainer_create_images(val settings, const ImageDataHandle& images) {
  return guarded([&] {
    const ScheduleConfig schedule = schedule_settings(settings);
    const DiffusionConfig diffusion = diffusion_settings(settings);
    TrainConfig train = train_settings(settings, diffusion);
    const bool conditional = SettingsReader(settings).flag("conditional", false);
    TrainingData training = training_data_from_named_images(images.split.train, images.name, conditional);
    train.train_size = training.size();
    const ModelConfig model = model_settings(settings, training.shape, training.classes);
    auto handle = std::make_unique<TrainerHandle>();
    handle->trainer = std::make_unique<Trainer>(schedule, diffusion, model, train, std::move(training));
    val out = handle->info();
    out.set("trainer", val(std::move(handle)));
    return out;
  });
}

// checkpointResumeImages(bytes, source, images) -> { trainer }: a checkpoint that names its data
// set instead of storing it (checkpointLoad's reloadData), resumed on that set; an Error if the
// set is another one or its fingerprint differs (the run trained on other images).
val checkpoint_resume_images(val bytes, const std::string& source, const ImageDataHandle& images) {
  return guarded([&] {
    const std::string data = bytes_of(bytes, "checkpoint bytes");
    const Checkpoint c = checkpoint_read(reinterpret_cast<const std::uint8_t*>(data.data()), data.size(), source);
    if (c.data.source != images.name) {
      fail(source, " was trained on ", c.data.source, ", not on ", images.name);
    }
    auto handle = std::make_unique<TrainerHandle>();
    handle->trainer = checkpoint_resume(c, training_data_from_named_images(images.split.train, images.name, c.data.classes > 0));
    val out = handle->info();
    out.set("trainer", val(std::move(handle)));
    return out;
  });
}

}  // namespace

val ImageDataHandle::info() const {
  return guarded([&] {
    const ImageSet& t = split.train;
    val out = val::object();
    out.set("name", name);
    out.set("train", static_cast<double>(t.count));
    out.set("test", static_cast<double>(split.test.count));
    out.set("shape", shape_to_js({t.channels, t.height, t.width}));
    out.set("levels", t.levels);
    out.set("classes", static_cast<double>(t.classes));
    out.set("classNames", strings_to_js(t.class_names));
    return out;
  });
}

val ImageDataHandle::take(const std::string& part, int first, int n) const {
  return guarded([&] {
    if (part != "train" && part != "test") fail("take: part = \"", part, "\" is invalid: allowed are train, test");
    const ImageSet& set = part == "train" ? split.train : split.test;
    if (first < 0 || n < 0) fail("take: first = ", first, " and n = ", n, " must be >= 0");
    const std::size_t begin = std::min<std::size_t>(static_cast<std::size_t>(first), set.count);
    const std::size_t end = std::min<std::size_t>(begin + static_cast<std::size_t>(n), set.count);
    const std::size_t size = set.image_size();
    std::vector<float> data(set.pixels.begin() + static_cast<std::ptrdiff_t>(begin * size),
                            set.pixels.begin() + static_cast<std::ptrdiff_t>(end * size));
    const std::vector<std::int32_t> labels(set.labels.begin() + static_cast<std::ptrdiff_t>(begin),
                                           set.labels.begin() + static_cast<std::ptrdiff_t>(end));
    val out = val::object();
    out.set("data", to_typed_array(data));
    out.set("labels", to_typed_array(labels));
    out.set("n", static_cast<double>(end - begin));
    return out;
  });
}

}  // namespace diffuse::web

EMSCRIPTEN_BINDINGS(diffuse_images) {
  using diffuse::web::ImageDataHandle;
  emscripten::class_<ImageDataHandle>("ImageData")
      .function("info", &ImageDataHandle::info)
      .function("take", &ImageDataHandle::take);
  emscripten::function("imageDataLoad", &diffuse::web::image_data_load);
  emscripten::function("trainerCreateImages", &diffuse::web::trainer_create_images);
  emscripten::function("checkpointResumeImages", &diffuse::web::checkpoint_resume_images);
}
