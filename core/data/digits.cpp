#include "data/digits.hpp"

#include <algorithm>
#include <numeric>
#include <string>
#include <utility>

#include "base/error.hpp"
#include "base/rng.hpp"
#include "data/idx.hpp"

namespace diffuse {
namespace {

constexpr std::size_t digits_pixels = digits_side * digits_side;  // 64
constexpr std::size_t digits_columns = digits_pixels + 1;         // 64 pixels, then the label

// A field of decimal digits only, at most 9 of them (so it fits an int); -1 otherwise.
int parse_field(std::string_view field) {
  if (field.empty() || field.size() > 9) return -1;
  int value = 0;
  for (const char c : field) {
    if (c < '0' || c > '9') return -1;
    value = value * 10 + (c - '0');
  }
  return value;
}

// One line: 64 pixels appended to `pixels`, the label returned.
std::int32_t parse_row(std::string_view line, std::size_t number, std::string_view source,
                       std::vector<std::uint8_t>& pixels) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.empty()) {
    fail(source, " line ", number, " is blank: expected ", digits_columns,
         " comma-separated integers (64 pixels, then the label)");
  }
  const std::size_t fields =
      static_cast<std::size_t>(std::count(line.begin(), line.end(), ',')) + 1;
  if (fields != digits_columns) {
    fail(source, " line ", number, ": ", fields, " columns, expected ", digits_columns,
         " (64 pixels, then the label)");
  }
  std::int32_t label = 0;
  for (std::size_t column = 1; column <= digits_columns; ++column) {
    const std::size_t comma = line.find(',');
    const std::string_view field = line.substr(0, comma);
    line.remove_prefix(comma == std::string_view::npos ? line.size() : comma + 1);
    const int value = parse_field(field);
    const bool is_label = column == digits_columns;
    const int top = is_label ? static_cast<int>(digits_classes) - 1 : digits_levels - 1;
    if (value < 0 || value > top) {
      fail(source, " line ", number, ", column ", column, ": ", is_label ? "label " : "pixel ",
           quote_text(field), value < 0 ? " is not a non-negative integer" : " is out of range",
           ": expected an integer 0 .. ", top);
    }
    if (is_label) {
      label = value;
    } else {
      pixels.push_back(static_cast<std::uint8_t>(value));
    }
  }
  return label;
}

}  // namespace

ImageSet digits_parse(std::string_view text, std::string_view source) {
  ImageSet set;
  set.channels = 1;
  set.height = digits_side;
  set.width = digits_side;
  set.levels = digits_levels;
  set.classes = digits_classes;
  for (std::size_t k = 0; k < digits_classes; ++k) set.class_names.push_back(std::to_string(k));

  std::size_t number = 0;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    set.labels.push_back(parse_row(line, ++number, source, set.pixels));
  }
  if (number == 0) {
    fail(source, " is empty: expected one image per line, ", digits_columns,
         " comma-separated integers (64 pixels, then the label)");
  }
  set.count = set.labels.size();
  return set;
}

ImageSet digits_from_idx(std::string_view image_bytes, std::string_view label_bytes,
                         std::string_view image_source, std::string_view label_source) {
  std::vector<std::int32_t> labels = idx_parse_labels(label_bytes, digits_classes, label_source);
  IdxImages images = idx_parse_images(image_bytes, digits_side, digits_side, image_source);
  if (images.count != labels.size()) {
    fail(image_source, " has ", images.count, " images but ", label_source, " has ", labels.size(),
         " labels: expected one label per image");
  }
  for (std::size_t j = 0; j < images.pixels.size(); ++j) {
    if (images.pixels[j] >= digits_levels) {
      fail(image_source, ": pixel ", j % digits_pixels, " of image ", j / digits_pixels, " is ",
           int{images.pixels[j]}, ": digits pixels are 0..", digits_levels - 1);
    }
  }
  ImageSet set;
  set.count = images.count;
  set.channels = 1;
  set.height = digits_side;
  set.width = digits_side;
  set.levels = digits_levels;
  set.pixels = std::move(images.pixels);
  set.labels = std::move(labels);
  set.classes = digits_classes;
  for (std::size_t k = 0; k < digits_classes; ++k) set.class_names.push_back(std::to_string(k));
  return set;
}

ImageSplit image_split_digits(const ImageSet& digits) {
  image_set_validate(digits, "digits");
  const std::size_t n = digits.count;
  if (n != digits_count) {
    fail("digits: ", n, " images, but the held-out split is defined for sklearn's ", digits_count);
  }
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  Rng rng(digits_split_seed, digits_split_stream);
  for (std::size_t i = n - 1; i > 0; --i) {
    std::swap(order[i], order[rng.below(static_cast<std::uint32_t>(i + 1))]);
  }
  std::vector<std::size_t> test(order.begin(), order.begin() + digits_test_count);
  std::vector<std::size_t> train(order.begin() + digits_test_count, order.end());
  std::sort(test.begin(), test.end());
  std::sort(train.begin(), train.end());
  return {image_set_subset(digits, train), image_set_subset(digits, test)};
}

}  // namespace diffuse
