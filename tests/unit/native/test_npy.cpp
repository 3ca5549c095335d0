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
