// safetensors_read: validates every field and reports the first problem (see safetensors.hpp).
// Bounds: every byte access goes through `bytes[0, size)` after the header length and each
// tensor's [begin, end) have been checked against the sizes; arithmetic on file-supplied numbers
// is checked for overflow before use.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <istream>
#include <set>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "io/safetensors.hpp"

namespace diffuse {
namespace {

using Json = nlohmann::ordered_json;

struct DtypeInfo {
  const char* name;
  std::uint64_t size;
  bool readable;  // converted to float32
};

// All dtypes of the format, so that a known but unsupported one is named as such.
constexpr DtypeInfo dtypes[] = {{"BOOL", 1, false},    {"U8", 1, false},      {"I8", 1, false},
                                {"F8_E5M2", 1, false}, {"F8_E4M3", 1, false}, {"I16", 2, false},
                                {"U16", 2, false},     {"F16", 2, true},      {"BF16", 2, true},
                                {"I32", 4, false},     {"U32", 4, false},     {"F32", 4, true},
                                {"F64", 8, true},      {"I64", 8, false},     {"U64", 8, false}};

// Names and values in messages are cut after this many characters.
constexpr std::size_t name_length = 60;

// For messages: a JSON value, shortened.
std::string brief(const Json& value) {
  return quote_text(value.dump(), name_length);
}

constexpr int max_depth = 64;

// First pass over the header: rejects duplicate keys (which a DOM parser would silently merge)
// and deep nesting (which would cost memory) before anything is built.
class HeaderChecker : public nlohmann::json_sax<Json> {
 public:
  std::string problem;

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return open(); }
  bool start_array(std::size_t) override { return open(); }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }
  bool key(string_t& name) override {
    if (keys_.back().insert(name).second) return true;
    problem = "the key " + quote_text(name, name_length) + " appears twice in one object (" +
              (keys_.size() == 1 ? "a tensor name given twice" : "a field given twice") + ")";
    return false;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    // e.what() may quote the whole offending token, bytes of a binary file included: keep it
    // short and printable.
    problem = "the header is not valid JSON: " + printable_text(e.what(), 200);
    return false;
  }

 private:
  bool open() {
    if (keys_.size() >= max_depth) {
      problem = "the header nests deeper than " + std::to_string(max_depth) + " levels";
      return false;
    }
    keys_.emplace_back();  // arrays get an (unused) key set too, to keep the stack simple
    return true;
  }
  bool close() {
    keys_.pop_back();
    return true;
  }
  std::vector<std::set<std::string>> keys_;
};

struct Entry {
  std::string name;
  const DtypeInfo* dtype = nullptr;
  std::vector<std::size_t> shape;
  std::uint64_t elements = 1;
  std::uint64_t begin = 0, end = 0;
};

std::uint64_t read_u64_le(const std::uint8_t* p) {
  std::uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value |= static_cast<std::uint64_t>(p[i]) << (8 * i);
  return value;
}

float half_to_float(std::uint16_t h) {
  const float sign = (h & 0x8000) ? -1.0f : 1.0f;
  const int exponent = (h >> 10) & 0x1f;
  const int mantissa = h & 0x3ff;
  if (exponent == 0) return sign * std::ldexp(static_cast<float>(mantissa), -24);  // subnormal
  if (exponent == 31) {
    return mantissa == 0 ? sign * INFINITY : std::copysign(NAN, sign);
  }
  return sign * std::ldexp(static_cast<float>(mantissa + 1024), exponent - 25);
}

class Reader {
 public:
  Reader(const std::uint8_t* bytes, std::size_t size, std::string_view source)
      : bytes_(bytes), size_(size), source_(source) {}

  Safetensors read() {
    const Json header = parse_header();
    Safetensors result;
    std::vector<Entry> entries;
    for (const auto& [key, value] : header.items()) {
      if (key == "__metadata__") {
        result.metadata = metadata(value);
      } else {
        entries.push_back(entry(key, value));
      }
    }
    check_tiling(entries);
    for (const Entry& e : entries) result.tensors.push_back(convert(e));
    return result;
  }

 private:
  template <typename... Parts>
  [[noreturn]] void problem(Parts&&... parts) const {
    fail(source_, ": ", std::forward<Parts>(parts)...);
  }

  Json parse_header() {
    if (size_ < 8)
      problem("the file is ", size_, " bytes: expected at least the 8-byte header length");
    const std::uint64_t n = read_u64_le(bytes_);
    if (n > safetensors_max_header_bytes) {
      problem("the header length ", n, " is larger than the limit of ",
              safetensors_max_header_bytes, " bytes");
    }
    if (n > size_ - 8) {
      problem("the header length ", n, " runs past the end of the file (", size_ - 8,
              " bytes follow the length)");
    }
    data_ = bytes_ + 8 + n;
    data_size_ = size_ - 8 - n;
    const char* first = reinterpret_cast<const char*>(bytes_ + 8);
    const char* last = first + n;
    HeaderChecker checker;
    if (!Json::sax_parse(first, last, &checker)) problem(checker.problem);
    Json header = Json::parse(first, last);
    if (!header.is_object())
      problem("the header is a JSON ", header.type_name(), ": expected an object");
    return header;
  }

  SafetensorsMetadata metadata(const Json& value) const {
    if (!value.is_object()) {
      problem("__metadata__ is a ", value.type_name(), ": expected an object of strings");
    }
    SafetensorsMetadata out;
    for (const auto& [key, item] : value.items()) {
      if (!item.is_string()) {
        problem("__metadata__ ", quote_text(key, name_length), " is a ", item.type_name(),
                ": expected a string");
      }
      out.emplace(key, item.get<std::string>());
    }
    return out;
  }

  const Json& field(const std::string& name, const Json& value, const char* key,
                    const char* expected) const {
    const auto it = value.find(key);
    if (it == value.end())
      problem("tensor ", quote_text(name, name_length), " has no \"", key, "\": expected ",
              expected);
    return *it;
  }

  // A non-negative integer that fits in 64 bits (JSON "2.0" is not one, as for the reference).
  std::uint64_t unsigned_integer(const std::string& name, const char* what, const Json& v) const {
    if (v.is_number_unsigned()) return v.get<std::uint64_t>();
    if (v.is_number_integer())
      problem("tensor ", quote_text(name, name_length), " ", what, " = ", v.dump(), " is negative");
    problem("tensor ", quote_text(name, name_length), " ", what, " is ",
            v.is_number() ? brief(v) : v.type_name(), ": expected a non-negative integer");
  }

  Entry entry(const std::string& name, const Json& value) const {
    if (!value.is_object()) {
      problem("tensor ", quote_text(name, name_length), " is a ", value.type_name(),
              ": expected an object with dtype, shape and data_offsets");
    }
    Entry e;
    e.name = name;
    e.dtype = dtype(name, field(name, value, "dtype", "a dtype string such as \"F32\""));
    shape(e, field(name, value, "shape", "an array of non-negative integers"));
    offsets(e, field(name, value, "data_offsets", "[begin, end]"));
    return e;
  }

  const DtypeInfo* dtype(const std::string& name, const Json& value) const {
    if (!value.is_string())
      problem("tensor ", quote_text(name, name_length), " dtype is a ", value.type_name(),
              ": expected a string");
    const std::string text = value.get<std::string>();
    for (const DtypeInfo& info : dtypes) {
      if (text != info.name) continue;
      if (!info.readable) {
        problem("tensor ", quote_text(name, name_length), " has dtype ", text,
                ": only F32 can be read (and F64, F16, BF16, converted to float32)");
      }
      return &info;
    }
    problem("tensor ", quote_text(name, name_length), " has an unknown dtype ",
            quote_text(text, name_length), ": safetensors dtypes are ",
            "BOOL, U8, I8, F8_E5M2, F8_E4M3, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64");
  }

  void shape(Entry& e, const Json& value) const {
    if (!value.is_array())
      problem("tensor ", quote_text(e.name, name_length), " shape is a ", value.type_name(),
              ": expected an array");
    for (std::size_t k = 0; k < value.size(); ++k) {
      const std::string what = "shape[" + std::to_string(k) + "]";
      const std::uint64_t extent = unsigned_integer(e.name, what.c_str(), value[k]);
      if (extent != 0 && e.elements > UINT64_MAX / e.dtype->size / extent) {
        problem("tensor ", quote_text(e.name, name_length), " shape ", brief(value),
                " has more bytes than fit in 64 bits");
      }
      if (extent > SIZE_MAX)
        problem("tensor ", quote_text(e.name, name_length), " ", what,
                " is too large for this machine");
      e.elements *= extent;
      e.shape.push_back(static_cast<std::size_t>(extent));
    }
  }

  void offsets(Entry& e, const Json& value) const {
    if (!value.is_array() || value.size() != 2) {
      problem("tensor ", quote_text(e.name, name_length), " data_offsets is ", brief(value),
              ": expected [begin, end]");
    }
    e.begin = unsigned_integer(e.name, "data_offsets[0]", value[0]);
    e.end = unsigned_integer(e.name, "data_offsets[1]", value[1]);
    if (e.begin > e.end || e.end > data_size_) {
      problem("tensor ", quote_text(e.name, name_length), " data_offsets [", e.begin, ", ", e.end,
              "] is invalid: expected begin <= end <= ", data_size_, " (the data section's size)");
    }
    const std::uint64_t expected = e.elements * e.dtype->size;  // no overflow: checked in shape()
    if (e.end - e.begin != expected) {
      problem("tensor ", quote_text(e.name, name_length), " has ", e.end - e.begin,
              " bytes of data, but its shape and dtype ", e.dtype->name, " need ", expected);
    }
  }

  // The reference's rule: sorted by offsets, the tensors tile [0, data size) exactly.
  void check_tiling(std::vector<Entry>& entries) const {
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
      return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    });
    std::uint64_t position = 0;
    const Entry* previous = nullptr;
    for (const Entry& e : entries) {
      if (e.begin < position) {
        problem("tensors ", quote_text(previous->name, name_length), " [", previous->begin, ", ",
                previous->end, ") and ", quote_text(e.name, name_length), " [", e.begin, ", ",
                e.end, ") overlap");
      }
      if (e.begin > position) {
        problem("tensor ", quote_text(e.name, name_length), " starts at byte ", e.begin,
                " but the data before it ends at ", position,
                ": safetensors tensors are contiguous");
      }
      position = e.end;
      previous = &e;
    }
    if (position != data_size_) {
      problem("the tensors cover ", position, " of the ", data_size_,
              " bytes after the header: safetensors files end with the last tensor");
    }
  }

  SafetensorsTensor convert(const Entry& e) const {
    SafetensorsTensor t{e.name, e.shape, e.dtype->name, std::vector<float>(e.elements)};
    const std::uint8_t* p = data_ + e.begin;
    const std::uint64_t bytes = e.dtype->size;
    const auto word = [p, bytes](std::uint64_t i) {  // element i, little-endian
      std::uint64_t value = 0;
      for (std::uint64_t b = 0; b < bytes; ++b) value |= std::uint64_t{p[bytes * i + b]} << (8 * b);
      return value;
    };
    const std::string_view dtype = e.dtype->name;
    for (std::uint64_t i = 0; i < e.elements; ++i) {
      if (dtype == "F16") {
        t.values[i] = half_to_float(static_cast<std::uint16_t>(word(i)));
        continue;
      }
      if (dtype == "F64") {
        const std::uint64_t bits = word(i);
        double value;
        std::memcpy(&value, &bits, 8);
        t.values[i] = static_cast<float>(value);
        continue;
      }
      // F32, or BF16: the upper half of a float32.
      const auto bits = static_cast<std::uint32_t>(dtype == "F32" ? word(i) : word(i) << 16);
      std::memcpy(&t.values[i], &bits, 4);
    }
    return t;
  }

  const std::uint8_t* bytes_;
  std::size_t size_;
  std::string source_;
  const std::uint8_t* data_ = nullptr;
  std::uint64_t data_size_ = 0;
};

}  // namespace

const SafetensorsTensor* Safetensors::find(std::string_view name) const {
  for (const auto& t : tensors) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

Safetensors safetensors_read(const std::uint8_t* bytes, std::size_t size, std::string_view source) {
  return Reader(bytes, size, source).read();
}

Safetensors safetensors_read(std::istream& in, std::uint64_t max_bytes, std::string_view source) {
  std::vector<std::uint8_t> bytes;
  char chunk[65536];
  while (in) {
    in.read(chunk, sizeof chunk);
    const auto got = static_cast<std::size_t>(in.gcount());
    if (bytes.size() + got > max_bytes) {
      fail(source, ": larger than the limit of ", max_bytes, " bytes");
    }
    bytes.insert(bytes.end(), chunk, chunk + got);
  }
  if (in.bad()) fail(source, ": reading failed after ", bytes.size(), " bytes");
  return safetensors_read(bytes.data(), bytes.size(), source);
}

}  // namespace diffuse
