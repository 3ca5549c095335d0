// safetensors_write: the reference implementation's layout (see safetensors.hpp).
#include <algorithm>
#include <cstring>
#include <ostream>
#include <set>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "io/safetensors.hpp"

namespace diffuse {
namespace {

std::uint64_t checked_elements(const SafetensorsTensorView& t) {
  std::uint64_t elements = 1;
  for (std::size_t extent : t.shape) {
    if (extent != 0 && elements > UINT64_MAX / 4 / extent) {
      fail("tensor '", t.name, "' has more elements than a safetensors file can hold");
    }
    elements *= extent;
  }
  return elements;
}

void check_names(const std::vector<SafetensorsTensorView>& tensors) {
  std::set<std::string_view> seen;
  for (const auto& t : tensors) {
    if (t.name.empty() || t.name == "__metadata__") {
      fail("tensor name '", t.name,
           "' is reserved: expected a non-empty name other than __metadata__");
    }
    if (!seen.insert(t.name).second) fail("tensor name '", t.name, "' is given twice");
  }
}

// The header JSON, padded with spaces to a multiple of 8 bytes.
std::string header_text(const std::vector<SafetensorsTensorView>& tensors,
                        const SafetensorsMetadata& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::uint64_t offset = 0;
  for (const auto& t : tensors) {
    const std::uint64_t bytes = checked_elements(t) * 4;
    nlohmann::ordered_json entry;
    entry["dtype"] = "F32";
    entry["shape"] = t.shape;
    entry["data_offsets"] = {offset, offset + bytes};
    header[t.name] = std::move(entry);
    offset += bytes;
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const nlohmann::json::exception& e) {  // invalid UTF-8 in a name or the metadata
    fail("cannot write safetensors header: ", e.what());
  }
  text.append((8 - text.size() % 8) % 8, ' ');
  return text;
}

void write_u64_le(std::ostream& out, std::uint64_t value) {
  char bytes[8];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((value >> (8 * i)) & 0xff);
  out.write(bytes, 8);
}

void write_floats_le(std::ostream& out, const float* data, std::uint64_t count) {
  constexpr std::size_t chunk = 4096;
  char bytes[4 * chunk];
  for (std::uint64_t start = 0; start < count; start += chunk) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk, count - start));
    for (std::size_t i = 0; i < n; ++i) {
      std::uint32_t bits;
      std::memcpy(&bits, data + start + i, 4);
      for (int b = 0; b < 4; ++b) bytes[4 * i + b] = static_cast<char>((bits >> (8 * b)) & 0xff);
    }
    out.write(bytes, static_cast<std::streamsize>(4 * n));
  }
}

}  // namespace

void safetensors_write(std::ostream& out, const std::vector<SafetensorsTensorView>& tensors,
                       const SafetensorsMetadata& metadata) {
  check_names(tensors);
  for (const auto& t : tensors) {
    if (t.data == nullptr && checked_elements(t) > 0) fail("tensor '", t.name, "' has no data");
  }
  const std::string header = header_text(tensors, metadata);
  write_u64_le(out, header.size());
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  for (const auto& t : tensors) write_floats_le(out, t.data, checked_elements(t));
  if (!out) fail("writing the safetensors data failed");
}

}  // namespace diffuse
