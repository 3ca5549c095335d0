#include "support/npy.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <ostream>
#include <string>
#include <variant>

#include "base/error.hpp"
#include "support/arguments.hpp"

namespace diffuse::cli {
namespace {

std::string shape_tuple(const std::vector<std::size_t>& shape) {
  std::string out = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + (shape.size() == 1 ? ",)" : ")");  // a 1-tuple needs its comma in Python
}

// The header dict: a Python literal of strings, booleans and tuples of integers, as numpy writes.
using HeaderValue = std::variant<std::string, bool, std::vector<std::size_t>>;

class HeaderParser {
 public:
  HeaderParser(std::string_view text, std::string_view source) : text_(text), source_(source) {}

  std::map<std::string, HeaderValue> dict() {
    std::map<std::string, HeaderValue> out;
    expect('{');
    while (skip_space(), peek() != '}') {
      const std::string key = string();
      skip_space();
      expect(':');
      skip_space();
      if (!out.emplace(key, value()).second) bad("key '" + key + "' twice");
      skip_space();
      if (peek() == ',') ++at_;
    }
    ++at_;
    skip_space();
    if (at_ != text_.size()) bad("text after the dict");
    return out;
  }

 private:
  [[noreturn]] void bad(const std::string& what) const {
    fail(source_, ": not a .npy header NumPy writes (", what, " at byte ", at_, " of the header)");
  }
  char peek() const { return at_ < text_.size() ? text_[at_] : '\0'; }
  void skip_space() {
    while (peek() == ' ' || peek() == '\n' || peek() == '\t') ++at_;
  }
  void expect(char c) {
    if (peek() != c) bad(std::string("expected '") + c + "'");
    ++at_;
  }
  std::string string() {
    const char quote = peek();
    if (quote != '\'' && quote != '"') bad("expected a quoted key or string");
    const std::size_t end = text_.find(quote, at_ + 1);
    if (end == std::string_view::npos || end - at_ > 64) bad("an unterminated or long string");
    std::string out(text_.substr(at_ + 1, end - at_ - 1));
    at_ = end + 1;
    return out;
  }
  HeaderValue value() {
    if (text_.substr(at_, 4) == "True") return at_ += 4, HeaderValue(true);
    if (text_.substr(at_, 5) == "False") return at_ += 5, HeaderValue(false);
    if (peek() != '(') return string();
    ++at_;
    std::vector<std::size_t> shape;
    while (skip_space(), peek() != ')') {
      std::size_t digits = 0, n = 0;
      for (; peek() >= '0' && peek() <= '9'; ++at_, ++digits) n = n * 10 + static_cast<std::size_t>(peek() - '0');
      if (digits == 0 || digits > 12) bad("a shape entry that is not an integer below 10^12");
      if (shape.size() == 8) bad("a shape of more than 8 dimensions");
      shape.push_back(n);
      skip_space();
      if (peek() == ',') ++at_;
    }
    ++at_;
    return shape;
  }

  std::string_view text_;
  std::string_view source_;
  std::size_t at_ = 0;
};

std::uint32_t little_endian(const unsigned char* p, std::size_t bytes) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < bytes; ++i) v |= static_cast<std::uint32_t>(p[i]) << (8 * i);
  return v;
}

template <typename T>
const T& header_entry(const std::map<std::string, HeaderValue>& dict, const char* key, std::string_view source) {
  const auto found = dict.find(key);
  if (found == dict.end() || !std::holds_alternative<T>(found->second)) {
    fail(source, ": the .npy header has no valid '", key, "'");
  }
  return std::get<T>(found->second);
}

}  // namespace

NpyArray npy_read(std::string_view bytes, std::string_view source) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  if (bytes.size() < 10 || bytes.substr(0, 6) != std::string_view("\x93NUMPY", 6)) {
    fail(source, ": not a .npy file (it does not start with \\x93NUMPY)");
  }
  const int major = p[6];
  if (major < 1 || major > 3) fail(source, ": .npy format version ", major, ".", int(p[7]), " is unknown: allowed are 1.0, 2.0, 3.0");
  const std::size_t length_bytes = major == 1 ? 2 : 4, preamble = 8 + length_bytes;
  if (bytes.size() < preamble) fail(source, ": the .npy file ends inside its preamble");
  const std::size_t header_length = little_endian(p + 8, length_bytes);
  if (header_length > bytes.size() - preamble) fail(source, ": the .npy header runs past the end of the file");
  const auto dict = HeaderParser(bytes.substr(preamble, header_length), source).dict();
  for (const auto& entry : dict) {
    if (entry.first != "descr" && entry.first != "fortran_order" && entry.first != "shape") {
      fail(source, ": the .npy header has the unknown key '", entry.first, "'");
    }
  }
  const std::string& descr = header_entry<std::string>(dict, "descr", source);
  if (descr != "<f4" && descr != "<f8") {
    fail(source, ": dtype '", descr, "' is not supported: allowed are '<f4' (float32) and '<f8' (float64)");
  }
  if (header_entry<bool>(dict, "fortran_order", source)) {
    fail(source, ": fortran_order True is not supported: save a C-ordered array (np.ascontiguousarray)");
  }
  NpyArray out;
  out.shape = header_entry<std::vector<std::size_t>>(dict, "shape", source);
  const std::size_t item = descr == "<f4" ? 4 : 8, data = bytes.size() - preamble - header_length;
  std::size_t count = 1;
  for (std::size_t n : out.shape) {
    // At most 2^40 values (more than any file can hold), so that the products cannot overflow.
    if (n != 0 && count > (std::size_t{1} << 40) / n) {
      fail(source, ": shape ", shape_tuple(out.shape), " needs more data than the file holds");
    }
    count *= n;
  }
  if (count * item != data) {
    fail(source, ": shape ", shape_tuple(out.shape), " of ", descr, " needs ", count * item,
         " bytes of data but the file has ", data);
  }
  out.values.resize(count);
  const unsigned char* values = p + preamble + header_length;
  for (std::size_t i = 0; i < count; ++i) {
    if (item == 4) {
      const std::uint32_t bits = little_endian(values + 4 * i, 4);
      std::memcpy(&out.values[i], &bits, 4);
    } else {
      const std::uint64_t bits = little_endian(values + 8 * i, 4) |
                                 static_cast<std::uint64_t>(little_endian(values + 8 * i + 4, 4)) << 32;
      double v = 0;
      std::memcpy(&v, &bits, 8);
      out.values[i] = static_cast<float>(v);
    }
  }
  return out;
}

void npy_write(std::ostream& out, const float* data, const std::vector<std::size_t>& shape) {
  std::string header =
      "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape_tuple(shape) + ", }";
  const std::size_t preamble = 10;  // magic (6) + version (2) + header length (2)
  const std::size_t unpadded = preamble + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  if (header.size() > 65535)
    fail(".npy header of ", header.size(), " bytes does not fit version 1.0");
  const auto length = static_cast<std::uint16_t>(header.size());
  const char preamble_bytes[10] = {'\x93',
                                   'N',
                                   'U',
                                   'M',
                                   'P',
                                   'Y',
                                   1,
                                   0,
                                   static_cast<char>(length & 0xff),
                                   static_cast<char>(length >> 8)};
  out.write(preamble_bytes, sizeof preamble_bytes);
  out << header;
  std::size_t count = 1;
  for (std::size_t n : shape) count *= n;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  out.write(reinterpret_cast<const char*>(data),
            static_cast<std::streamsize>(count * sizeof(float)));
#else
  for (std::size_t i = 0; i < count; ++i) {
    std::uint32_t bits = 0;
    std::memcpy(&bits, data + i, sizeof bits);
    const char bytes[4] = {static_cast<char>(bits), static_cast<char>(bits >> 8),
                           static_cast<char>(bits >> 16), static_cast<char>(bits >> 24)};
    out.write(bytes, 4);
  }
#endif
}

namespace {

// (n, ...shape) as a tuple for messages: "(n, 1, 8, 8)".
std::string shape_text(const std::string& first, const std::vector<std::size_t>& shape) {
  std::string out = "(" + first;
  for (std::size_t n : shape) out += ", " + std::to_string(n);
  return out + ")";
}

}  // namespace

std::vector<float> npy_read_rows(const std::string& flag, const std::string& path,
                                 const std::vector<std::size_t>& sample_shape, std::size_t& n) {
  const std::string bytes = read_input_file(flag, path);
  NpyArray array = npy_read(bytes, flag + " '" + path + "'");
  const bool fits = array.shape.size() == sample_shape.size() + 1 && array.shape[0] >= 1 &&
                    std::equal(sample_shape.begin(), sample_shape.end(), array.shape.begin() + 1);
  if (!fits) {
    const std::vector<std::size_t> rest(array.shape.begin() + (array.shape.empty() ? 0 : 1),
                                        array.shape.end());
    fail(flag, " '", path, "' has shape ",
         array.shape.empty() ? std::string("()") : shape_text(std::to_string(array.shape[0]), rest),
         " but the model takes ", shape_text("n", sample_shape), " with n >= 1");
  }
  n = array.shape[0];
  return std::move(array.values);
}

}  // namespace diffuse::cli
