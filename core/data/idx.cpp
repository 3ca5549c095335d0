#include "data/idx.hpp"

#include <cstdint>
#include <cstdio>
#include <string>

#include "base/error.hpp"

namespace diffuse {
namespace {

std::uint32_t read_u32_be(std::string_view bytes, std::size_t offset) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    value = (value << 8) | static_cast<unsigned char>(bytes[offset + i]);
  }
  return value;
}

std::string hex32(std::uint32_t value) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", static_cast<unsigned>(value));
  return text;
}

// Checks the magic and that the header of `dims` sizes fits; returns the sizes.
std::vector<std::uint64_t> read_header(std::string_view bytes, std::uint32_t magic,
                                       std::size_t dims, const char* what,
                                       std::string_view source) {
  const std::string expected = error_message(hex32(magic), " (IDX ", what, ": unsigned bytes, ",
                                             dims, " dimension", dims == 1 ? "" : "s", ")");
  if (bytes.size() < 4) {
    fail(source, ": truncated: ", bytes.size(), " bytes, too short for the IDX magic ", expected);
  }
  const std::uint32_t found = read_u32_be(bytes, 0);
  if (found != magic) {
    const bool gzipped = static_cast<unsigned char>(bytes[0]) == 0x1f &&
                         static_cast<unsigned char>(bytes[1]) == 0x8b;
    fail(source, ": magic ", hex32(found), ", expected ", expected,
         gzipped ? ": the bytes are gzip-compressed; decompress them first" : "");
  }
  const std::size_t header = 4 + 4 * dims;
  if (bytes.size() < header) {
    fail(source, ": truncated: ", bytes.size(), " bytes, but the header of ", what, " takes ",
         header);
  }
  std::vector<std::uint64_t> sizes(dims);
  for (std::size_t d = 0; d < dims; ++d) sizes[d] = read_u32_be(bytes, 4 + 4 * d);
  if (sizes[0] == 0) fail(source, ": the header says 0 ", what, ": expected at least one");
  return sizes;
}

// Checks that the data after the header has exactly `values` bytes.
void check_size(std::string_view bytes, std::size_t header, std::uint64_t values,
                const std::string& described, std::string_view source) {
  const std::uint64_t expected = header + values;
  if (bytes.size() != expected) {
    fail(source, ": ", bytes.size(), " bytes, but ", described, " take ", header, " + ", values,
         " = ", expected, bytes.size() < expected ? ": the file is truncated" : ": trailing bytes");
  }
}

}  // namespace

std::vector<std::int32_t> idx_parse_labels(std::string_view bytes, std::size_t classes,
                                           std::string_view source) {
  const std::vector<std::uint64_t> sizes =
      read_header(bytes, idx_labels_magic, 1, "labels", source);
  const std::size_t header = 8;
  check_size(bytes, header, sizes[0], error_message("a header and ", sizes[0], " labels"), source);
  std::vector<std::int32_t> labels(static_cast<std::size_t>(sizes[0]));
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const auto label = static_cast<unsigned char>(bytes[header + i]);
    if (label >= classes) {
      fail(source, ": label ", int{label}, " at index ", i, ": allowed is 0 .. ", classes - 1);
    }
    labels[i] = label;
  }
  return labels;
}

IdxImages idx_parse_images(std::string_view bytes, std::size_t height, std::size_t width,
                           std::string_view source) {
  const std::vector<std::uint64_t> sizes =
      read_header(bytes, idx_images_magic, 3, "images", source);
  if (sizes[1] != height || sizes[2] != width) {
    fail(source, ": images of ", sizes[1], " x ", sizes[2], " pixels, expected ", height, " x ",
         width);
  }
  const std::size_t header = 16;
  const std::uint64_t image = sizes[1] * sizes[2];  // both < 2^32: no overflow
  if (image == 0 || sizes[0] > (UINT64_MAX - header) / image) {
    fail(source, ": ", sizes[0], " images of ", sizes[1], " x ", sizes[2],
         " pixels is not a size any file can have");
  }
  const std::uint64_t values = sizes[0] * image;
  check_size(bytes, header, values,
             error_message("a header and ", sizes[0], " images of ", height, " x ", width), source);
  IdxImages images;
  images.count = static_cast<std::size_t>(sizes[0]);
  images.height = height;
  images.width = width;
  images.pixels.assign(bytes.begin() + header, bytes.end());
  return images;
}

}  // namespace diffuse
