#include "io/classifier_checkpoint.hpp"

#include <cmath>
#include <istream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <set>

#include "base/error.hpp"
#include "base/version.hpp"
#include "io/param_tensors.hpp"
#include "io/safetensors.hpp"

namespace diffuse {
namespace {

constexpr std::uint64_t max_classifier_bytes = 1ull << 30;

const std::string& metadata_field(const Safetensors& file, const char* key,
                                  std::string_view source) {
  const auto it = file.metadata.find(key);
  if (it == file.metadata.end()) fail(source, ": metadata '", key, "' is missing");
  return it->second;
}

nlohmann::json metadata_json(const Safetensors& file, const char* key, std::string_view source) {
  const std::string& text = metadata_field(file, key, source);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    fail(source, ": metadata '", key, "' is not valid JSON (", printable_text(e.what(), 200), ")");
  }
}

// A decimal integer 0..max, all of text.
std::uint64_t metadata_integer(const Safetensors& file, const char* key, std::uint64_t max,
                               std::string_view source) {
  const std::string& text = metadata_field(file, key, source);
  std::uint64_t value = 0;
  bool ok = !text.empty() && text.size() <= 20;
  for (char ch : text) {
    ok = ok && ch >= '0' && ch <= '9';
    if (!ok) break;
    const auto digit = static_cast<std::uint64_t>(ch - '0');
    ok = value <= (UINT64_MAX - digit) / 10;
    value = value * 10 + digit;
  }
  if (!ok || value > max) {
    fail(source, ": metadata '", key, "' = ", quote_text(text), " is not an integer in 0..", max);
  }
  return value;
}

void check_format(const Safetensors& file, std::string_view source) {
  const auto format = file.metadata.find("format");
  if (format == file.metadata.end() || format->second != classifier_format_name) {
    fail(source, ": not a diffuse classifier (its metadata has no \"format\": \"",
         classifier_format_name, "\"", format == file.metadata.end() ? "" : "; it has \"format\": ",
         format == file.metadata.end() ? "" : quote_text(format->second), ")");
  }
  const std::string& version = metadata_field(file, "format_version", source);
  if (version != std::to_string(classifier_format_version)) {
    fail(source, ": classifier format version ", quote_text(version),
         " is not supported: this build reads version ", classifier_format_version);
  }
}

// The metadata (everything but the weights), each field checked.
ClassifierCheckpoint read_metadata(const Safetensors& file, std::string_view source) {
  ClassifierCheckpoint c;
  c.code_version = metadata_field(file, "classifier_version", source);
  if (c.code_version.empty()) fail(source, ": metadata 'classifier_version' is empty");
  c.dataset = image_datasets.value(metadata_field(file, "dataset", source));
  c.model = classifier_config_from_json(metadata_json(file, "architecture", source));
  c.train = classifier_train_config_from_json(metadata_json(file, "training", source));
  const std::uint64_t levels = metadata_integer(file, "levels", 256, source);
  if (levels != static_cast<std::uint64_t>(c.model.levels)) {
    fail(source, ": metadata 'levels' = ", levels, " but the architecture has ", c.model.levels);
  }
  const std::uint64_t seed = metadata_integer(file, "seed", UINT64_MAX, source);
  if (seed != c.train.seed) {
    fail(source, ": metadata 'seed' = ", seed, " but the training record has ", c.train.seed);
  }
  const nlohmann::json accuracy = metadata_json(file, "test_accuracy", source);
  if (!accuracy.is_number() || !(accuracy.get<double>() >= 0.0 && accuracy.get<double>() <= 1.0)) {
    fail(source, ": metadata 'test_accuracy' = ", accuracy.dump(), " is not a number in [0, 1]");
  }
  c.test_accuracy = accuracy.get<double>();
  c.test_images = static_cast<std::size_t>(metadata_integer(file, "test_images", 1u << 30, source));
  if (c.test_images == 0) fail(source, ": metadata 'test_images' = 0: expected at least 1");
  const auto written = file.metadata.find("diffuse_version");
  c.written_by = written == file.metadata.end() ? "?" : written->second;
  return c;
}

}  // namespace

ClassifierCheckpoint classifier_checkpoint_make(ImageDataset dataset,
                                                const ClassifierTrainConfig& train,
                                                const Classifier& classifier, double test_accuracy,
                                                std::size_t test_images) {
  ClassifierCheckpoint c;
  c.dataset = dataset;
  c.model = classifier.config();
  c.train = train;
  c.test_accuracy = test_accuracy;
  c.test_images = test_images;
  c.code_version = classifier_code_version;
  c.written_by = version_string;
  c.params = classifier.params();
  return c;
}

void classifier_checkpoint_write(std::ostream& out, const ClassifierCheckpoint& c) {
  const ParamLayout layout = classifier_param_layout(c.model);
  if (c.params.size() != layout.total()) {
    fail("classifier checkpoint: ", c.params.size(), " parameters for a layout of ",
         layout.total());
  }
  std::vector<SafetensorsTensorView> views;
  param_tensors_add(views, layout, c.params, "");
  const SafetensorsMetadata metadata = {
      {"format", classifier_format_name},
      {"format_version", std::to_string(classifier_format_version)},
      {"classifier_version", c.code_version},
      {"dataset", image_datasets.name(c.dataset)},
      {"levels", std::to_string(c.model.levels)},
      {"seed", std::to_string(c.train.seed)},
      {"test_accuracy", nlohmann::json(c.test_accuracy).dump()},
      {"test_images", std::to_string(c.test_images)},
      {"architecture", classifier_config_to_json(c.model).dump()},
      {"training", classifier_train_config_to_json(c.train).dump()},
      {"diffuse_version", version_string}};
  safetensors_write(out, views, metadata);
}

ClassifierCheckpoint classifier_checkpoint_read(const std::uint8_t* bytes, std::size_t size,
                                                std::string_view source) {
  const Safetensors file = safetensors_read(bytes, size, source);
  check_format(file, source);
  ClassifierCheckpoint c;
  try {
    c = read_metadata(file, source);
  } catch (const Error& e) {
    const std::string what = e.what();
    if (what.rfind(std::string(source), 0) == 0) throw;
    fail(source, ": ", what);
  }
  const ParamLayout layout = classifier_param_layout(c.model);
  c.params = param_tensors_read(file, layout, "", source);
  std::set<std::string> known;
  for (const ParamSlice& s : layout.slices()) known.insert(s.name);
  for (const SafetensorsTensor& t : file.tensors) {
    if (known.count(t.name) == 0) {
      fail(source, ": unexpected tensor '", t.name, "' for this classifier architecture");
    }
  }
  return c;
}

ClassifierCheckpoint classifier_checkpoint_read(std::istream& in, std::string_view source) {
  std::vector<std::uint8_t> bytes;
  char chunk[1 << 16];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    bytes.insert(bytes.end(), chunk, chunk + in.gcount());
    if (static_cast<std::uint64_t>(bytes.size()) > max_classifier_bytes) {
      fail(source, ": larger than 1 GiB, not a classifier");
    }
  }
  return classifier_checkpoint_read(bytes.data(), bytes.size(), source);
}

Classifier classifier_from_checkpoint(const ClassifierCheckpoint& c) {
  Classifier out(c.model);
  if (c.params.size() != out.params().size()) {
    fail("classifier checkpoint: ", c.params.size(), " parameters for a layout of ",
         out.params().size());
  }
  std::copy(c.params.begin(), c.params.end(), out.params().begin());
  return out;
}

}  // namespace diffuse
