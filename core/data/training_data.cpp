#include "data/training_data.hpp"

#include <algorithm>

#include "base/error.hpp"

namespace diffuse {

void training_data_validate(const TrainingData& data) {
  if (data.samples.dimension() != 2 || data.samples.shape(0) < 1) fail("the training data is empty");
  const std::size_t N = data.samples.shape(0), D = data.samples.shape(1);
  if (sample_shape_size(data.shape) != D) {
    fail("the training data has ", D, " values per sample but its sample shape holds ",
         sample_shape_size(data.shape));
  }
  if (!data.labeled()) {
    if (data.classes != 0) fail("the training data has ", data.classes, " classes but no labels");
    return;
  }
  if (data.labels.size() != N) {
    fail("the training data has ", N, " samples but ", data.labels.size(), " labels");
  }
  if (data.classes < 1) fail("the training data has labels but no classes");
  for (std::size_t n = 0; n < N; ++n) {
    const std::int32_t label = data.labels(n);
    if (label < 0 || static_cast<std::size_t>(label) >= data.classes) {
      fail("label ", label, " of sample ", n, " is out of range: allowed are 0..", data.classes - 1);
    }
  }
}

TrainingData training_data_from_points(const Tensor2& raw, const std::string& source) {
  TrainingData data;
  data.normalization = normalization_fit(raw);
  data.samples = normalization_apply(data.normalization, raw);
  data.shape = {raw.shape(1)};
  data.source = source;
  return data;
}

TrainingData training_data_from_points(const Tensor2& raw, Labels labels, std::size_t classes,
                                       const std::string& source) {
  TrainingData data = training_data_from_points(raw, source);
  data.labels = std::move(labels);
  data.classes = classes;
  training_data_validate(data);
  return data;
}

TrainingData training_data_from_images(const ImageSet& images, const std::string& source) {
  image_set_validate(images, source);
  TrainingData data;
  data.normalization = normalization_levels(images.levels);
  data.samples = image_set_values(images);  // normalized in place: one copy of the floats
  normalization_apply_in_place(data.normalization, data.samples);
  data.shape = {images.channels, images.height, images.width};
  data.labels = Labels::from_shape({images.count});
  std::copy(images.labels.begin(), images.labels.end(), data.labels.begin());
  data.classes = images.classes;
  data.class_names = images.class_names;
  data.source = source;
  training_data_validate(data);
  return data;
}

TrainingData training_data_from_named_images(const ImageSet& images, const std::string& name,
                                             bool conditional) {
  TrainingData data = training_data_from_images(images, name);
  if (!conditional) {
    data.labels = Labels();
    data.classes = 0;
    data.class_names.clear();
  }
  data.reloadable = true;
  return data;
}

Tensor2 image_set_values(const ImageSet& images) {
  Tensor2 out = Tensor2::from_shape({images.count, images.image_size()});
  std::copy(images.pixels.begin(), images.pixels.end(), out.begin());
  return out;
}

std::uint64_t training_data_fingerprint(const TrainingData& data) {
  std::uint64_t h = 1469598103934665603ull;
  const auto mix = [&h](const void* p, std::size_t n) {
    const auto* bytes = static_cast<const unsigned char*>(p);
    for (std::size_t i = 0; i < n; ++i) {
      h ^= bytes[i];
      h *= 1099511628211ull;
    }
  };
  mix(data.samples.data(), data.samples.size() * sizeof(float));
  mix(data.labels.data(), data.labels.size() * sizeof(std::int32_t));
  return h;
}

}  // namespace diffuse
