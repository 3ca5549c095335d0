#include "support/npy.hpp"

#include <cstdint>
#include <cstring>
#include <ostream>
#include <string>

#include "base/error.hpp"

namespace diffuse::cli {
namespace {

std::string shape_tuple(const std::vector<std::size_t>& shape) {
  std::string out = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + (shape.size() == 1 ? ",)" : ")");  // a 1-tuple needs its comma in Python
}

}  // namespace

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

}  // namespace diffuse::cli
