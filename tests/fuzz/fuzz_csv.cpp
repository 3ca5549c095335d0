// The CSV loader (core/data/csv.cpp) on any text: points with an optional header, then the label
// column taken off as `train --dataset FILE --conditional` does. It loads or throws diffuse::Error;
// what it loads has the promised shape and only finite values.
#include <cmath>
#include <optional>
#include <sstream>

#include "data/csv.hpp"
#include "fuzz_support.hpp"

using namespace diffuse;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::optional<CsvPoints> csv;
  fuzz::accepts([&] {
    std::istringstream in(std::string(fuzz::as_text(data, size)));
    csv = csv_read(in, "fuzz.csv");
  });
  if (!csv) return 0;
  const std::size_t n = csv->points.shape(0), D = csv->points.shape(1);
  fuzz::require(n >= 1 && D >= 1, "at least one row of at least one value");
  fuzz::require(csv->header.empty() || csv->header.size() == D, "a header names every column");
  for (const float v : csv->points) fuzz::require(std::isfinite(v), "every value finite");

  std::optional<LabeledPoints> labeled;
  fuzz::accepts([&] { labeled = csv_take_labels(std::move(*csv), "fuzz.csv"); });
  if (!labeled) return 0;
  const bool has_labels = labeled->labels.size() > 0;
  fuzz::require(labeled->points.shape(0) == n, "taking the labels keeps every row");
  fuzz::require(
      labeled->points.shape(1) == (has_labels ? D - 1 : D) && labeled->points.shape(1) >= 1,
      "the label column, and only it, is taken off");
  fuzz::require(!has_labels || labeled->labels.size() == n, "one label per row");
  for (const std::int32_t label : labeled->labels) {
    fuzz::require(label >= 0 && static_cast<std::size_t>(label) < labeled->classes,
                  "labels in 0..K-1");
  }
  return 0;
}
