// IDX parsing from bytes built here: magic, big-endian sizes, exact byte counts, label range and
// image sizes, each rejection with its message; and that a header's claims are checked against
// the bytes before anything is allocated.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "data/idx.hpp"
#include "support/idx_bytes.hpp"
#include "support/allocation_counter.hpp"

using namespace diffuse;

namespace {

using test::idx_bytes;
using test::put_u32;
const auto labels_bytes = test::idx_labels_bytes;

// n images of h x w with pixel j of image i = (7 i + j) % 256.
std::vector<std::uint8_t> pattern(std::size_t n, std::size_t h, std::size_t w) {
  std::vector<std::uint8_t> pixels(n * h * w);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < h * w; ++j) pixels[i * h * w + j] = (7 * i + j) % 256;
  }
  return pixels;
}

std::string images_bytes(std::uint32_t n, std::uint32_t h, std::uint32_t w) {
  return idx_bytes(idx_images_magic, {n, h, w}, pattern(n, h, w));
}

std::string labels_error(const std::string& bytes, std::size_t classes = 10) {
  try {
    idx_parse_labels(bytes, classes, "labels.idx");
  } catch (const Error& e) {
    return e.what();
  }
  FAIL("parsed without error");
  return "";
}

std::string images_error(const std::string& bytes, std::size_t h = 28, std::size_t w = 28) {
  try {
    idx_parse_images(bytes, h, w, "images.idx");
  } catch (const Error& e) {
    return e.what();
  }
  FAIL("parsed without error");
  return "";
}

void check_contains(const std::string& message, std::initializer_list<const char*> parts) {
  INFO(message);
  for (const char* part : parts) CHECK(message.find(part) != std::string::npos);
}

}  // namespace

TEST_CASE("idx_parse_labels reads the count big-endian and one byte per label") {
  std::vector<std::uint8_t> labels(300);
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = i % 10;
  const std::string bytes = labels_bytes(labels);
  CHECK(bytes.substr(0, 8) == std::string("\x00\x00\x08\x01\x00\x00\x01\x2c", 8));
  const std::vector<std::int32_t> parsed = idx_parse_labels(bytes, 10, "labels.idx");
  REQUIRE(parsed.size() == 300);
  for (std::size_t i = 0; i < parsed.size(); ++i) CHECK(parsed[i] == static_cast<int>(i % 10));
}

TEST_CASE("idx_parse_images reads N, H, W big-endian and the pixels row-major") {
  const std::string bytes = images_bytes(3, 28, 28);
  CHECK(bytes.substr(0, 16) == std::string("\x00\x00\x08\x03\x00\x00\x00\x03"
                                           "\x00\x00\x00\x1c\x00\x00\x00\x1c",
                                           16));
  const IdxImages images = idx_parse_images(bytes, 28, 28, "images.idx");
  CHECK(images.count == 3);
  CHECK(images.height == 28);
  CHECK(images.width == 28);
  CHECK(images.pixels == pattern(3, 28, 28));
  // Rectangular images: H is the second size, W the third.
  const IdxImages wide = idx_parse_images(images_bytes(2, 3, 5), 3, 5, "wide.idx");
  CHECK(wide.pixels == pattern(2, 3, 5));
}

TEST_CASE("idx rejects inputs too short for the magic or the sizes") {
  check_contains(labels_error(""), {"labels.idx: truncated: 0 bytes", "0x00000801"});
  check_contains(images_error(std::string("\x00\x00\x08", 3)),
                 {"images.idx: truncated: 3 bytes", "0x00000803 (IDX images"});
  check_contains(labels_error(std::string("\x00\x00\x08\x01\x00\x00", 6)),
                 {"labels.idx: truncated: 6 bytes, but the header of labels takes 8"});
  check_contains(images_error(idx_bytes(idx_images_magic, {1, 28}, {})),
                 {"images.idx: truncated: 12 bytes, but the header of images takes 16"});
}

TEST_CASE("idx rejects a wrong magic, and says when the bytes are still gzipped") {
  const std::string images = images_bytes(1, 28, 28);
  check_contains(labels_error(images),
                 {"labels.idx: magic 0x00000803, expected 0x00000801 (IDX labels: unsigned bytes, "
                  "1 dimension)"});
  check_contains(images_error(labels_bytes({1, 2})),
                 {"images.idx: magic 0x00000801, expected 0x00000803 (IDX images: unsigned bytes, "
                  "3 dimensions)"});
  // Another element type (0x0d: float) or dimension count.
  check_contains(images_error(idx_bytes(0x00000d03, {1, 28, 28}, pattern(4, 28, 28))),
                 {"magic 0x00000d03"});
  check_contains(labels_error(idx_bytes(0x00000802, {1, 1}, {0})), {"magic 0x00000802"});
  check_contains(labels_error(std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00", 8)),
                 {"magic 0x1f8b0800", "the bytes are gzip-compressed; decompress them first"});
}

TEST_CASE("idx rejects a byte count that differs from the header's: truncated or trailing") {
  std::string labels = labels_bytes({1, 2, 3});
  labels.pop_back();
  check_contains(labels_error(labels),
                 {"labels.idx: 10 bytes, but a header and 3 labels take 8 + 3 = 11: the file is "
                  "truncated"});
  check_contains(labels_error(labels_bytes({1, 2, 3}) + "x"),
                 {"12 bytes", "8 + 3 = 11: trailing bytes"});
  std::string images = images_bytes(2, 28, 28);
  images.pop_back();
  check_contains(images_error(images),
                 {"images.idx: 1583 bytes, but a header and 2 images of 28 x 28 take 16 + 1568 = "
                  "1584: the file is truncated"});
  check_contains(images_error(images_bytes(2, 28, 28) + std::string(784, '\0')),
                 {"2368 bytes", "16 + 1568 = 1584: trailing bytes"});
}

TEST_CASE("idx rejects a header with no entries") {
  check_contains(labels_error(labels_bytes({})), {"labels.idx: the header says 0 labels"});
  check_contains(images_error(images_bytes(0, 28, 28)), {"images.idx: the header says 0 images"});
}

TEST_CASE("idx_parse_labels rejects a label outside 0 .. classes - 1") {
  check_contains(labels_error(labels_bytes({0, 9, 10, 3})),
                 {"labels.idx: label 10 at index 2: allowed is 0 .. 9"});
  check_contains(labels_error(labels_bytes({255})), {"label 255 at index 0"});
  CHECK(idx_parse_labels(labels_bytes({0, 1, 2}), 3, "x").back() == 2);
  check_contains(labels_error(labels_bytes({0, 1, 2}), 2),
                 {"label 2 at index 2: allowed is 0 .. 1"});
}

TEST_CASE("idx_parse_images rejects image sizes other than the caller's") {
  check_contains(images_error(images_bytes(1, 27, 28)),
                 {"images.idx: images of 27 x 28 pixels, expected 28 x 28"});
  check_contains(images_error(images_bytes(1, 28, 28), 8, 8),
                 {"images of 28 x 28 pixels, expected 8 x 8"});
}

TEST_CASE("idx checks a header's sizes against the bytes before allocating anything that big") {
  // 4,294,967,295 images of 28 x 28 claimed by a 16-byte file.
  largest_allocation = 0;
  check_contains(images_error(idx_bytes(idx_images_magic, {0xffffffff, 28, 28}, {})),
                 {"16 bytes, but a header and 4294967295 images of 28 x 28 take 16 + "
                  "3367254359280 = 3367254359296: the file is truncated"});
  check_contains(labels_error(idx_bytes(idx_labels_magic, {0xffffffff}, {1, 2})),
                 {"10 bytes, but a header and 4294967295 labels take 8 + 4294967295"});
  CHECK(largest_allocation < 4096);
  // Sizes whose product overflows 64 bits (only a caller expecting such images gets this far).
  check_contains(
      images_error(idx_bytes(idx_images_magic, {0xffffffff, 0xffffffff, 0xffffffff}, {}),
                   0xffffffff, 0xffffffff),
      {"4294967295 images of 4294967295 x 4294967295 pixels is not a size any file can have"});
  CHECK(largest_allocation < 4096);
}
