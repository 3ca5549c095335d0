#include "data/image_set.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "base/error.hpp"

namespace diffuse {
namespace {

// a * b, or fail naming `what` if it overflows std::size_t.
std::size_t checked_product(std::size_t a, std::size_t b, std::string_view what) {
  if (b != 0 && a > std::numeric_limits<std::size_t>::max() / b) {
    fail(what, ": ", a, " x ", b, " values overflow the address space");
  }
  return a * b;
}

}  // namespace

void image_set_validate(const ImageSet& set, std::string_view what) {
  if (set.count == 0) fail(what, ": no images");
  if (set.channels == 0 || set.height == 0 || set.width == 0) {
    fail(what, ": images of ", set.channels, " x ", set.height, " x ", set.width,
         " (C x H x W): every size must be >= 1");
  }
  if (set.levels < 2 || set.levels > 256) {
    fail(what, ": levels = ", set.levels, ": allowed is 2 .. 256 (8-bit pixels)");
  }
  if (set.classes == 0) fail(what, ": classes = 0: allowed is >= 1");
  const std::size_t values = checked_product(
      checked_product(checked_product(set.count, set.channels, what), set.height, what), set.width,
      what);
  if (set.pixels.size() != values) {
    fail(what, ": ", set.pixels.size(), " pixel values, expected N C H W = ", set.count, " x ",
         set.channels, " x ", set.height, " x ", set.width, " = ", values);
  }
  if (set.labels.size() != set.count) {
    fail(what, ": ", set.labels.size(), " labels for ", set.count, " images");
  }
  if (!set.class_names.empty() && set.class_names.size() != set.classes) {
    fail(what, ": ", set.class_names.size(), " class names for ", set.classes, " classes");
  }
  const auto top = static_cast<std::uint8_t>(set.levels - 1);
  const auto bad_pixel =
      std::find_if(set.pixels.begin(), set.pixels.end(), [top](std::uint8_t v) { return v > top; });
  if (bad_pixel != set.pixels.end()) {
    const auto i = static_cast<std::size_t>(bad_pixel - set.pixels.begin());
    fail(what, ": image ", i / set.image_size(), " has pixel value ", int{*bad_pixel},
         ": allowed is 0 .. ", set.levels - 1);
  }
  const auto classes = static_cast<std::int64_t>(set.classes);
  for (std::size_t i = 0; i < set.count; ++i) {
    if (set.labels[i] < 0 || set.labels[i] >= classes) {
      fail(what, ": image ", i, " has label ", set.labels[i], ": allowed is 0 .. ", classes - 1);
    }
  }
}

ImageSet image_set_subset(const ImageSet& set, const std::vector<std::size_t>& indices) {
  ImageSet out;
  out.count = indices.size();
  out.channels = set.channels;
  out.height = set.height;
  out.width = set.width;
  out.levels = set.levels;
  out.classes = set.classes;
  out.class_names = set.class_names;
  const std::size_t size = set.image_size();
  out.pixels.resize(out.count * size);
  out.labels.resize(out.count);
  for (std::size_t j = 0; j < indices.size(); ++j) {
    const std::size_t i = indices[j];
    if (i >= set.count) fail("image_set_subset: index ", i, " of ", set.count, " images");
    std::copy_n(set.pixels.begin() + static_cast<std::ptrdiff_t>(i * size), size,
                out.pixels.begin() + static_cast<std::ptrdiff_t>(j * size));
    out.labels[j] = set.labels[i];
  }
  return out;
}

ImageSet image_set_quantize(const Tensor2& values, const std::vector<std::int32_t>& labels,
                            const ImageSet& like) {
  const std::size_t n = values.shape(0), size = like.image_size();
  if (values.shape(1) != size) {
    fail("image_set_quantize: rows of ", values.shape(1), " values, but the images have C H W = ",
         size);
  }
  if (!labels.empty() && labels.size() != n) {
    fail("image_set_quantize: ", labels.size(), " labels for ", n, " images");
  }
  ImageSet out;
  out.count = n;
  out.channels = like.channels;
  out.height = like.height;
  out.width = like.width;
  out.levels = like.levels;
  out.classes = like.classes;
  out.class_names = like.class_names;
  out.pixels.resize(n * size);
  const float top = static_cast<float>(like.levels - 1);
  for (std::size_t i = 0; i < n * size; ++i) {
    const float v = values.data()[i];
    if (std::isnan(v)) fail("image_set_quantize: value ", i, " is NaN");
    // Round half up (std::floor(v + 0.5)): levels are integers, so ties are exact .5 values.
    const float level = std::min(std::max(std::floor(v + 0.5f), 0.0f), top);
    out.pixels[i] = static_cast<std::uint8_t>(level);
  }
  out.labels.assign(n, 0);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0 || static_cast<std::size_t>(labels[i]) >= like.classes) {
      fail("image_set_quantize: label ", labels[i], " of image ", i, " is not in 0..",
           like.classes - 1);
    }
    out.labels[i] = labels[i];
  }
  return out;
}

std::vector<std::size_t> image_set_class_counts(const ImageSet& set) {
  std::vector<std::size_t> counts(set.classes, 0);
  for (const std::int32_t label : set.labels) {
    if (label >= 0 && static_cast<std::size_t>(label) < set.classes) {
      ++counts[static_cast<std::size_t>(label)];
    }
  }
  return counts;
}

}  // namespace diffuse
