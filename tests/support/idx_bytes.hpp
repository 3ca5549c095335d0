#pragma once
// IDX files built in tests, independently of the reader (data/idx.hpp): the magic, each size as a
// big-endian uint32, then the bytes.
#include <cstdint>
#include <string>
#include <vector>

namespace diffuse::test {

inline void put_u32(std::string& bytes, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) bytes += static_cast<char>((value >> shift) & 0xff);
}

inline std::string idx_bytes(std::uint32_t magic, const std::vector<std::uint32_t>& sizes,
                             const std::vector<std::uint8_t>& data) {
  std::string bytes;
  put_u32(bytes, magic);
  for (const std::uint32_t size : sizes) put_u32(bytes, size);
  bytes.append(data.begin(), data.end());
  return bytes;
}

inline std::string idx_labels_bytes(const std::vector<std::uint8_t>& labels) {
  return idx_bytes(0x00000801, {static_cast<std::uint32_t>(labels.size())}, labels);
}

}  // namespace diffuse::test
