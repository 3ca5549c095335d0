// npy_write: the exact bytes of NumPy's format 1.0 (checked against numpy itself in the CLI tests).
#include <catch2/catch.hpp>

#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "support/npy.hpp"

using namespace diffuse::cli;

TEST_CASE("npy header: magic, version, length, dict, padding to 64 bytes, newline") {
  // The dict of a 2D array takes 60 characters, so with the 10-byte preamble and the newline the
  // data starts at 128, as in the files numpy writes.
  const std::vector<float> values = {1.0f, -2.5f, 0.0f, 3.25f, 1e-30f, 7.0f};
  std::ostringstream out;
  npy_write(out, values.data(), {3, 2});
  const std::string bytes = out.str();
  REQUIRE(bytes.size() == 128 + values.size() * 4);
  CHECK(bytes.substr(0, 8) == std::string("\x93NUMPY\x01\x00", 8));
  const auto header_length = static_cast<std::size_t>(static_cast<unsigned char>(bytes[8]) |
                                                      static_cast<unsigned char>(bytes[9]) << 8);
  CHECK(header_length == 128 - 10);
  const std::string header = bytes.substr(10, header_length);
  CHECK(header.rfind("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }", 0) == 0);
  CHECK(header.back() == '\n');
  float first = 0, last = 0;
  std::memcpy(&first, bytes.data() + 128, 4);
  std::memcpy(&last, bytes.data() + bytes.size() - 4, 4);
  CHECK(first == 1.0f);
  CHECK(last == 7.0f);
}

TEST_CASE("npy shapes: a 1-tuple keeps its comma; three dimensions; empty arrays; scalars") {
  const float value = 4.0f;
  std::ostringstream one, three, empty;
  npy_write(one, &value, {1});
  npy_write(three, nullptr, {0, 5, 2});
  CHECK(one.str().find("'shape': (1,), }") != std::string::npos);
  CHECK(three.str().find("'shape': (0, 5, 2), }") != std::string::npos);
  CHECK(three.str().size() == 128);
  CHECK(one.str().size() == 128 + 4);
  npy_write(empty, &value, {});  // a 0-d array holds one value
  CHECK(empty.str().find("'shape': (), }") != std::string::npos);
}

namespace {

NpyArray read_bytes(const std::string& bytes) { return npy_read(bytes, "x.npy"); }

std::string written(const std::vector<float>& values, const std::vector<std::size_t>& shape) {
  std::ostringstream out;
  npy_write(out, values.data(), shape);
  return out.str();
}

// A file with a hand-written header (version 1.0 unless major says otherwise) and raw data bytes.
std::string file_with(const std::string& dict, const std::string& data, int major = 1) {
  std::string header = dict + "\n";
  std::string out = std::string("\x93NUMPY", 6) + static_cast<char>(major) + '\0';
  const std::size_t n = header.size();
  out += static_cast<char>(n & 0xff);
  out += static_cast<char>(n >> 8);
  if (major > 1) out += std::string(2, '\0');
  return out + header + data;
}

}  // namespace

TEST_CASE("npy_read: what npy_write writes, exactly; float64 rounded; versions 2 and 3") {
  const std::vector<float> values = {1.0f, -2.5f, 1e-30f, 3.25f, 0.1f, 7.0f};
  const NpyArray a = read_bytes(written(values, {1, 3, 2}));
  CHECK(a.shape == std::vector<std::size_t>{1, 3, 2});
  CHECK(a.values == values);
  const double d[2] = {0.1, -3.0};
  const std::string f8(reinterpret_cast<const char*>(d), sizeof d);
  const NpyArray b = read_bytes(file_with("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", f8));
  CHECK(b.values == std::vector<float>{0.1f, -3.0f});
  const NpyArray c = read_bytes(file_with("{\"shape\": (2, 1), \"fortran_order\": False, \"descr\": \"<f8\"}", f8, 2));
  CHECK(c.shape == std::vector<std::size_t>{2, 1});
  CHECK(read_bytes(file_with("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }", "")).values.empty());
}

TEST_CASE("npy_read: every malformed or unsupported file is an Error naming it") {
  const std::string four(4, '\0');
  const std::pair<std::string, const char*> cases[] = {
      {"PK\x03\x04 zip", "not a .npy file"},
      {file_with("{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }", std::string(8, '\0')), "dtype '<i8' is not supported"},
      {file_with("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", four), "dtype '>f4'"},
      {file_with("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", four), "fortran_order True"},
      {file_with("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", four), "needs 8 bytes of data but the file has 4"},
      {file_with("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", four + four), "needs 4 bytes"},
      {file_with("{'descr': '<f4', 'fortran_order': False, 'shape': (999999999999, 999999999999), }", four), "needs more data"},
      {file_with("{'descr': '<f4', 'fortran_order': False, }", four), "no valid 'shape'"},
      {file_with("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1}", four), "not a .npy header"},
      {file_with("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'more': 'x'}", four), "unknown key 'more'"},
      {file_with("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", four), "not an integer"},
      {file_with("{'descr': '<f4', 'descr': '<f4', 'shape': (1,), }", four), "key 'descr' twice"},
      {file_with("{'descr': '<f4', 'fortran_order': False, 'shape': (1,2,3,4,5,6,7,8,9), }", four), "more than 8 dimensions"},
      {file_with("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", four, 4), "version 4.0 is unknown"},
      {std::string("\x93NUMPY\x01\x00\xff\x00{}", 12), "runs past the end"},
  };
  for (const auto& [bytes, message] : cases) {
    CAPTURE(message);
    CHECK_THROWS_WITH(read_bytes(bytes), Catch::Matchers::Contains("x.npy: ") && Catch::Matchers::Contains(message));
  }
}
