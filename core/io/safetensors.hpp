#pragma once
// The safetensors format (huggingface/safetensors), float32 tensors:
//
//   8 bytes      N, unsigned 64-bit little-endian: the header's length
//   N bytes      a JSON object, UTF-8:
//                  {"__metadata__": {"key": "value", ...},          (optional, strings only)
//                   "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...}
//   the rest     the data section: each tensor's bytes, little-endian, row-major, at
//                [begin, end) relative to the start of the data section
//
// Writing follows the reference implementation byte for byte: compact JSON with "__metadata__"
// first (omitted when empty), each entry's fields in the order dtype, shape, data_offsets; the
// header padded with spaces to a multiple of 8 bytes; tensors contiguous from offset 0. Tensors
// are written in the order given (the reference sorts by dtype, then name: pass them sorted to
// reproduce its files exactly).
//
// Reading validates everything and throws an Error naming the first problem: the header length
// (at most safetensors_max_header_bytes, as the reference, and within the file); the header as
// JSON (valid, an object, no duplicate keys, nesting at most 64 deep); each entry (an object with
// a known "dtype" string, "shape" an array of non-negative integers whose product fits in 64 bits,
// "data_offsets" an array of two integers begin <= end <= data size, end - begin = elements *
// dtype size); "__metadata__" an object of strings; and, as the reference requires, tensors that
// tile the data section exactly (sorted by offsets, each starting where the previous ends, the
// first at 0, the last ending at the end of the file: no overlap, no gap, no trailing bytes).
// Fields other than those three in an entry are ignored, as by the reference.
//
// Dtypes: F32 is read as is; F64, F16 and BF16 are converted to float32 (F64 rounded to nearest;
// values beyond the float32 range become infinite); the other dtypes (BOOL, U8, I8, F8_E5M2,
// F8_E4M3, I16, U16, I32, U32, I64, U64) are rejected by name.
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace diffuse {

using SafetensorsMetadata = std::map<std::string, std::string>;

inline constexpr std::uint64_t safetensors_max_header_bytes = 100'000'000;

// A float32 tensor to write: product(shape) floats at `data` (row-major; may be null when the
// product is 0). The data is not copied and must outlive the call.
struct SafetensorsTensorView {
  std::string name;
  std::vector<std::size_t> shape;
  const float* data = nullptr;
};

// Throws Error on an empty, duplicate or "__metadata__" name, a name or metadata that is not
// valid UTF-8, or a failing stream.
void safetensors_write(std::ostream& out, const std::vector<SafetensorsTensorView>& tensors,
                       const SafetensorsMetadata& metadata = {});

struct SafetensorsTensor {
  std::string name;
  std::vector<std::size_t> shape;
  std::string dtype;          // as stored in the file: "F32", "F64", "F16" or "BF16"
  std::vector<float> values;  // (product(shape),) row-major, converted to float32
};

struct Safetensors {
  std::vector<SafetensorsTensor> tensors;  // in the order of their data in the file
  SafetensorsMetadata metadata;

  // nullptr if there is no tensor of that name.
  const SafetensorsTensor* find(std::string_view name) const;
};

// A whole file in memory. Never reads outside [bytes, bytes + size). `source` names it in errors.
Safetensors safetensors_read(const std::uint8_t* bytes, std::size_t size,
                             std::string_view source = "safetensors data");

// Reads the stream to its end, refusing more than max_bytes; `source` names it in errors.
Safetensors safetensors_read(std::istream& in, std::uint64_t max_bytes,
                             std::string_view source = "safetensors input");

}  // namespace diffuse
