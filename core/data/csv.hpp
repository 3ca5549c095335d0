#pragma once
// Points as CSV text (docs/reference-workload.md, "CSV file"): one point per line, values
// separated by commas, an optional header line.
//
// Reading accepts:
//   - an optional header: the first non-blank line, if none of its fields parses as a number
//     (",x,y" is a header; "1,2,abc" is a data row with a bad value; "nan" parses, and is then
//     rejected as not finite); it must have as many fields as the data rows;
//   - blank lines anywhere, spaces and tabs around fields, CRLF line ends, a UTF-8 byte-order
//     mark at the start;
//   - every data row with the same number of columns, every value a finite float32.
// Anything else throws an Error naming the source, the line number, the offending text and what
// was expected. An input without data rows is an error.
//
// Numbers are parsed with strtod and printed with snprintf, so in the "C" numeric locale (the
// default; nothing in diffuse calls setlocale).
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "base/tensor.hpp"

namespace diffuse {

struct CsvPoints {
  std::vector<std::string> header;  // (D,) column names, or empty without a header line
  Tensor2 points;                   // (n, D)
};

// `source` names the input in error messages (a path, "<stdin>").
CsvPoints csv_read(std::istream& in, std::string_view source = "input");
Tensor2 csv_read_points(std::istream& in, std::string_view source = "input");  // (n, D)

// Points with a class label each: a column named "label" in the header is always the labels,
// never a coordinate. Its values must be whole numbers in 0..999; classes is their maximum + 1.
struct LabeledPoints {
  std::vector<std::string> header;  // the coordinates' names (without "label"), or empty
  Tensor2 points;                   // (n, D) the other columns
  Labels labels;                    // (n,), empty without a label column
  std::size_t classes = 0;          // K = max label + 1, 0 without labels
};
// Takes the label column off (Error naming the source, the row and the value if one is not a
// valid label, or if no other column is left).
LabeledPoints csv_take_labels(CsvPoints csv, std::string_view source = "input");

// One line per point, each value the shortest decimal that reads back as the same float32, after
// a header line if `header` is not empty (then one name per column, without commas or line
// breaks). Throws Error on a bad header or if the stream fails.
void csv_write_points(std::ostream& out, const Tensor2& points,  // points: (n, D)
                      const std::vector<std::string>& header = {});

}  // namespace diffuse
