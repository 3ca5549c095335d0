#include "data/csv.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <istream>
#include <ostream>

#include "base/error.hpp"

namespace diffuse {
namespace {

std::string_view trim(std::string_view text) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> fields;
  for (;;) {
    const std::size_t comma = line.find(',');
    fields.push_back(trim(line.substr(0, comma)));
    if (comma == std::string_view::npos) return fields;
    line.remove_prefix(comma + 1);
  }
}

enum class Parse { ok, not_a_number, not_finite, out_of_range };

Parse parse_number(std::string_view field, float& value) {
  if (field.empty()) return Parse::not_a_number;
  const std::string text(field);  // NUL-terminated; an embedded NUL stops strtod early
  char* end = nullptr;
  errno = 0;
  const double parsed = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size()) return Parse::not_a_number;
  if (!std::isfinite(parsed)) return Parse::not_finite;  // "nan", "inf", "1e999" (ERANGE)
  // Doubles from FLT_MAX + half an ulp (2^128 - 2^103) up round to infinity as float32.
  if (std::abs(parsed) >= 0x1.ffffffp127) return Parse::out_of_range;
  value = static_cast<float>(parsed);
  return Parse::ok;
}

class Reader {
 public:
  explicit Reader(std::string_view source) : source_(source) {}

  // One line (1-based number). Blank lines are skipped; the first non-blank one may be a header.
  void line(std::size_t number, std::string_view text) {
    text = trim(text);
    if (text.empty()) return;
    const auto fields = split_fields(text);
    if (first_line_ == 0) {
      first_line_ = number;
      if (no_numbers(fields)) {
        for (auto f : fields) header_.emplace_back(f);
        return;
      }
    }
    row(number, fields);
  }

  CsvPoints finish() {
    if (first_line_ == 0) {
      fail(source_, " is empty: expected one point per line, as comma-separated numbers");
    }
    if (rows_ == 0) {
      fail(source_, " has a header line (line ", first_line_, ") but no data rows");
    }
    CsvPoints result;
    result.header = std::move(header_);
    result.points = Tensor2::from_shape({rows_, columns_});
    std::copy(values_.begin(), values_.end(), result.points.begin());
    return result;
  }

 private:
  // A header has no field that parses as a number (a mixed line is a data row with a bad field).
  static bool no_numbers(const std::vector<std::string_view>& fields) {
    for (auto f : fields) {
      float value;
      if (parse_number(f, value) != Parse::not_a_number) return false;
    }
    return true;
  }

  void row(std::size_t number, const std::vector<std::string_view>& fields) {
    if (columns_ == 0) {
      columns_ = fields.size();
      columns_line_ = number;
      if (!header_.empty() && header_.size() != columns_) {
        fail(source_, " line ", number, ": ", columns_, " values, but the header (line ",
             first_line_, ") has ", header_.size(), " columns: expected one value per column");
      }
    } else if (fields.size() != columns_) {
      fail(source_, " line ", number, ": ", fields.size(), " values, but line ", columns_line_,
           " has ", columns_, ": every row must have the same number of comma-separated values");
    }
    for (std::size_t c = 0; c < fields.size(); ++c) {
      float value = 0;
      const Parse result = parse_number(fields[c], value);
      if (result != Parse::ok) reject(number, c, fields[c], result);
      values_.push_back(value);
    }
    ++rows_;
  }

  [[noreturn]] void reject(std::size_t number, std::size_t column, std::string_view field,
                           Parse result) const {
    const char* problem = result == Parse::not_finite     ? " is not finite"
                          : result == Parse::out_of_range ? " is outside the float32 range"
                          : field.empty()                 ? " (an empty field) is not a number"
                                                          : " is not a number";
    fail(source_, " line ", number, ", column ", column + 1, ": ", quote_text(field), problem,
         ": expected ", columns_, " comma-separated finite numbers (float32)");
  }

  std::string source_;
  std::vector<std::string> header_;
  std::vector<float> values_;
  std::size_t first_line_ = 0;  // of the first non-blank line, 0 before it
  std::size_t columns_ = 0;     // fixed by the first data row
  std::size_t columns_line_ = 0;
  std::size_t rows_ = 0;
};

// The shortest decimal that reads back as the same float (as std::to_chars would print it, which
// Emscripten's libc++ lacks for floats): the fewest significant digits p <= 9 that round-trip in
// scientific notation, then fixed notation with the same digits if that is not longer.
std::string format_float(float value) {
  char scientific[32], fixed[64];
  int digits = 1;
  for (; digits < 9; ++digits) {
    std::snprintf(scientific, sizeof scientific, "%.*e", digits - 1, static_cast<double>(value));
    if (std::strtof(scientific, nullptr) == value) break;
  }
  std::snprintf(scientific, sizeof scientific, "%.*e", digits - 1, static_cast<double>(value));
  const int exponent = std::atoi(std::strchr(scientific, 'e') + 1);
  const int decimals = std::max(0, digits - 1 - exponent);
  std::snprintf(fixed, sizeof fixed, "%.*f", decimals, static_cast<double>(value));
  const bool fixed_ok = std::strtof(fixed, nullptr) == value;
  return fixed_ok && std::strlen(fixed) <= std::strlen(scientific) ? fixed : scientific;
}

constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";

// A control character other than tab and carriage return does not occur in a text file: the file
// is binary (an image, a checkpoint, a compressed file), and saying so beats the "not a number"
// or column-count message its first line would otherwise get.
void refuse_binary(std::string_view line, std::size_t number, std::string_view source) {
  for (std::size_t i = 0; i < line.size(); ++i) {
    const auto c = static_cast<unsigned char>(line[i]);
    if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f) {
      fail(source, " is not a text file: line ", number, " has the control byte ",
           quote_text(line.substr(i, 1)), " at column ", i + 1,
           ": expected comma-separated numbers, one point per line");
    }
  }
}

}  // namespace

CsvPoints csv_read(std::istream& in, std::string_view source) {
  Reader reader(source);
  std::string text;
  std::size_t number = 0;
  while (std::getline(in, text)) {
    // A UTF-8 byte-order mark (spreadsheets write one) is not part of the first field.
    if (number == 0 && text.compare(0, utf8_bom.size(), utf8_bom) == 0) text.erase(0, utf8_bom.size());
    refuse_binary(text, ++number, source);
    reader.line(number, text);
  }
  if (in.bad()) fail("reading ", source, " failed after line ", number);
  return reader.finish();
}

Tensor2 csv_read_points(std::istream& in, std::string_view source) {
  return csv_read(in, source).points;
}

void csv_write_points(std::ostream& out, const Tensor2& points,
                      const std::vector<std::string>& header) {
  const std::size_t n = points.shape(0), D = points.shape(1);
  if (!header.empty()) {
    if (header.size() != D) {
      fail("CSV header has ", header.size(), " names for ", D, " columns: expected one per column");
    }
    for (std::size_t c = 0; c < D; ++c) {
      if (header[c].find_first_of(",\r\n") != std::string::npos || trim(header[c]).empty()) {
        fail("CSV column name ", quote_text(header[c]),
             " is invalid: expected a non-blank name without commas or line breaks");
      }
      out << (c == 0 ? "" : ",") << header[c];
    }
    out << '\n';
  }
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t c = 0; c < D; ++c) out << (c == 0 ? "" : ",") << format_float(points(i, c));
    out << '\n';
  }
  if (!out) fail("writing CSV failed after ", n, " rows");
}

LabeledPoints csv_take_labels(CsvPoints csv, std::string_view source) {
  LabeledPoints out;
  const auto column = std::find(csv.header.begin(), csv.header.end(), "label");
  if (column == csv.header.end()) {
    out.header = std::move(csv.header);
    out.points = std::move(csv.points);
    return out;
  }
  const auto c = static_cast<std::size_t>(column - csv.header.begin());
  const std::size_t n = csv.points.shape(0), D = csv.points.shape(1);
  if (D < 2) fail(source, ": the only column is 'label': there are no coordinates");
  constexpr int max_label = 999;  // nn/mlp_config.hpp's model_classes_range
  out.labels = Labels::from_shape({n});
  out.points = Tensor2::from_shape({n, D - 1});
  for (std::size_t i = 0; i < n; ++i) {
    const float v = csv.points(i, c);
    if (!(v >= 0 && v <= max_label && v == std::floor(v))) {
      fail(source, ": data row ", i + 1, ": label ", v, " is invalid: labels are whole numbers in 0..",
           max_label);
    }
    out.labels(i) = static_cast<std::int32_t>(v);
    out.classes = std::max(out.classes, static_cast<std::size_t>(v) + 1);
    for (std::size_t d = 0, k = 0; d < D; ++d) {
      if (d != c) out.points(i, k++) = csv.points(i, d);
    }
  }
  for (std::size_t d = 0; d < D; ++d) {
    if (d != c) out.header.push_back(csv.header[d]);
  }
  return out;
}

}  // namespace diffuse
