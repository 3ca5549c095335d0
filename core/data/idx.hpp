#pragma once
// The IDX format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/, "FILE FORMATS"),
// for unsigned bytes, from bytes already in memory (decompressed: the files ship gzipped):
//
//   magic   4 bytes: 0x00 0x00, the type 0x08 (unsigned byte), the number of dimensions
//   sizes   one big-endian uint32 per dimension
//   data    the values, row-major (the last dimension fastest), one byte each
//
// labels  magic 0x00000801, sizes (N), then N labels
// images  magic 0x00000803, sizes (N, H, W), then N H W pixels
//
// Everything is checked before anything is allocated: the magic, that the sizes fit the bytes
// exactly (no truncation, no trailing bytes), N >= 1, the image sizes the caller expects, every
// label below the caller's class count. Errors name the source, what was found and what was
// expected.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace diffuse {

inline constexpr std::uint32_t idx_labels_magic = 0x00000801;
inline constexpr std::uint32_t idx_images_magic = 0x00000803;

// N labels, each in 0 .. classes - 1.                                                       (N,)
std::vector<std::int32_t> idx_parse_labels(std::string_view bytes, std::size_t classes,
                                           std::string_view source);

// N images of height x width pixels (0 .. 255): throws unless the file's H and W are these.
struct IdxImages {
  std::size_t count = 0;             // N
  std::size_t height = 0;            // H
  std::size_t width = 0;             // W
  std::vector<std::uint8_t> pixels;  // (N, H, W) row-major
};
IdxImages idx_parse_images(std::string_view bytes, std::size_t height, std::size_t width,
                           std::string_view source);

}  // namespace diffuse
