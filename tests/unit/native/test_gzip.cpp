// gzip decompression against gzip data made here with zlib: round trips, concatenated members,
// and every rejection (not gzip, corrupt deflate or header, CRC and length mismatches, truncation
// at every length, trailing bytes, the output limit) with the source named; the limit is reached
// by growing, never by allocating what the input claims.
#include <catch2/catch.hpp>

#include <stdlib.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "base/rng.hpp"
#include "support/allocation_counter.hpp"
#include "support/gzip.hpp"
#include "support/gzip_compress.hpp"

using namespace diffuse;
using namespace diffuse::cli;
namespace fs = std::filesystem;

namespace {

std::string random_bytes(std::size_t n) {
  Rng rng(7);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng.below(256));
  return out;
}

std::string error_of(std::string_view compressed, std::size_t max_output = gzip_max_output) {
  try {
    gzip_decompress(compressed, "data.gz", max_output);
  } catch (const Error& e) {
    return e.what();
  }
  FAIL("decompressed without error");
  return "";
}

void check_contains(const std::string& message, std::initializer_list<const char*> parts) {
  INFO(message);
  for (const char* part : parts) CHECK(message.find(part) != std::string::npos);
}

// A gzip header (RFC 1952: magic, deflate, no flags, no time, OS Unix) for hand-made members.
const std::string gzip_header("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10);

struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "diffuse-gzip-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
  std::string write(const std::string& name, const std::string& bytes) const {
    std::ofstream(path / name, std::ios::binary) << bytes;
    return (path / name).string();
  }
};

}  // namespace

TEST_CASE("gzip_decompress round-trips text, binary, empty and multi-chunk data") {
  CHECK(gzip_decompress(gzip_compress("hello, digits\n"), "x.gz") == "hello, digits\n");
  CHECK(gzip_decompress(gzip_compress(""), "x.gz").empty());
  CHECK(gzip_decompress(gzip_compress("", 0), "x.gz").empty());
  const std::string binary = random_bytes(300000);  // past the first 64 KiB of output, twice
  for (const int level : {0, 1, 9}) {
    INFO("level " << level);
    CHECK(gzip_decompress(gzip_compress(binary, 1, level), "x.gz") == binary);
  }
  const std::string repeated = gzip_compress("0,1,2,16\n", 100000);
  const std::string text = gzip_decompress(repeated, "x.gz");
  CHECK(text.size() == 900000);
  CHECK(text.substr(899991) == "0,1,2,16\n");
}

TEST_CASE("gzip_decompress joins concatenated members, as gzip -d does") {
  CHECK(gzip_decompress(gzip_compress("abc") + gzip_compress("") + gzip_compress("def"), "x.gz") ==
        "abcdef");
}

TEST_CASE("gzip_decompress rejects input that is not gzip") {
  check_contains(error_of(""), {"data.gz: empty: expected gzip data (magic 1f 8b)"});
  check_contains(error_of("0,0,5,13\n"),
                 {"data.gz: not gzip data: it starts with '0,0,5,13', expected the gzip magic "
                  "1f 8b"});
  check_contains(error_of("\x1f"), {"not gzip data: it starts with '\\x1f'"});
  // A zlib stream (RFC 1950) is deflate data too, but not gzip.
  std::string zlib(compressBound(5), '\0');
  uLongf size = zlib.size();
  REQUIRE(compress(reinterpret_cast<Bytef*>(zlib.data()), &size,
                   reinterpret_cast<const Bytef*>("hello"), 5) == Z_OK);
  zlib.resize(size);
  check_contains(error_of(zlib), {"not gzip data", "expected the gzip magic 1f 8b"});
}

TEST_CASE("gzip_decompress rejects corrupt deflate data and corrupt headers") {
  // Block type 3 is reserved (RFC 1951, 3.2.3).
  check_contains(error_of(gzip_header + std::string("\x07\x00\x00\x00\x00\x00\x00\x00\x00", 9)),
                 {"data.gz: corrupt gzip data: invalid block type"});
  std::string bad_method = gzip_compress("abc");
  bad_method[2] = 0x07;
  check_contains(error_of(bad_method), {"data.gz: corrupt gzip data: unknown compression method"});
  std::string bad_flags = gzip_compress("abc");
  bad_flags[3] = static_cast<char>(0xe0);
  check_contains(error_of(bad_flags), {"data.gz: corrupt gzip data: unknown header flags set"});
  // A stored block whose length and its complement disagree.
  check_contains(
      error_of(gzip_header + std::string("\x01\x03\x00\x00\x00", 5) + "abc" + std::string(8, '\0')),
      {"data.gz: corrupt gzip data: invalid stored block lengths"});
}

TEST_CASE("gzip_decompress checks each member's CRC-32 and length") {
  const std::string good = gzip_compress("the quick brown fox");
  std::string bad_crc = good;
  bad_crc[bad_crc.size() - 8] ^= 1;
  check_contains(error_of(bad_crc), {"data.gz: corrupt gzip data: incorrect data check"});
  std::string bad_length = good;
  bad_length[bad_length.size() - 4] ^= 1;
  check_contains(error_of(bad_length), {"data.gz: corrupt gzip data: incorrect length check"});
  // A flipped bit in the data is caught by the CRC if deflate itself does not choke on it.
  std::string flipped =
      gzip_compress(std::string(1000, 'a') + "b", 1, 0);  // stored: bits are bytes
  flipped[10 + 5 + 500] ^= 1;
  check_contains(error_of(flipped), {"incorrect data check"});
  // In the second member too.
  check_contains(error_of(good + bad_crc), {"incorrect data check"});
}

TEST_CASE("gzip_decompress rejects every truncation, even one inside the trailer") {
  const std::string whole = gzip_compress(random_bytes(2000));
  for (std::size_t n = 2; n < whole.size(); ++n) {
    INFO("first " << n << " of " << whole.size() << " bytes");
    check_contains(error_of(whole.substr(0, n)),
                   {"data.gz: truncated: the gzip data ends before its end-of-stream and "
                    "checksum"});
  }
  // A second member cut short.
  check_contains(error_of(whole + whole.substr(0, 20)), {"truncated"});
}

TEST_CASE("gzip_decompress rejects trailing bytes after the last member") {
  const std::string member = gzip_compress("abc");
  check_contains(error_of(member + "xyz"),
                 {"data.gz: 3 bytes of trailing garbage after the gzip data (at byte "});
  check_contains(error_of(member + std::string(4, '\0')), {"4 bytes of trailing garbage"});
}

TEST_CASE("gzip_decompress stops at its output limit, exactly") {
  const std::string data = random_bytes(1000);
  CHECK(gzip_decompress(gzip_compress(data), "x.gz", 1000) == data);
  check_contains(error_of(gzip_compress(data), 999),
                 {"data.gz: decompresses to more than 999 bytes, the limit for a data file"});
  check_contains(error_of(gzip_compress(data + data), 1000), {"more than 1000 bytes"});
  // The limit counts all members together.
  check_contains(error_of(gzip_compress(data) + gzip_compress("x"), 1000),
                 {"more than 1000 bytes"});
  CHECK(gzip_max_output == 64 * 1024 * 1024);
}

TEST_CASE("gzip_decompress grows its output as it decodes: a bomb never gets a big buffer") {
  // 32 MiB of zeros in about 32 KiB: the limit of 1 MiB stops it, having allocated at most about
  // twice the limit (a doubling string), whatever the trailer claims.
  const std::string zeros(1 << 20, '\0');
  const std::string bomb = gzip_compress(zeros, 32, 9);
  CHECK(bomb.size() < 64 * 1024);
  largest_allocation = 0;
  check_contains(error_of(bomb, 1 << 20), {"data.gz: decompresses to more than 1 MiB"});
  CHECK(largest_allocation <= (2u << 20) + 64);
  // The default limit: 64 MiB of output pass, 64 MiB + 1 byte do not.
  const std::string limit = gzip_compress(zeros, 64, 9);
  CHECK(gzip_decompress(limit, "x.gz").size() == gzip_max_output);
  check_contains(error_of(limit + gzip_compress(std::string(1, '\0'))),
                 {"data.gz: decompresses to more than 64 MiB"});
}

TEST_CASE("gzip_read_file names the file in every error") {
  TempDir dir;
  const std::string good = dir.write("good.gz", gzip_compress("1,2,3\n"));
  CHECK(gzip_read_file(good) == "1,2,3\n");
  const std::string missing = (dir.path / "missing.gz").string();
  CHECK_THROWS_WITH(gzip_read_file(missing), missing + ": no such file");
  CHECK_THROWS_WITH(gzip_read_file(dir.path.string()), dir.path.string() + ": not a regular file");
  const std::string plain = dir.write("plain.gz", "1,2,3\n");
  CHECK_THROWS_WITH(gzip_read_file(plain), Catch::StartsWith(plain + ": not gzip data"));
  std::string corrupt = gzip_compress("1,2,3\n");
  corrupt[corrupt.size() - 8] ^= 1;
  CHECK_THROWS_WITH(gzip_read_file(dir.write("corrupt.gz", corrupt)),
                    Catch::Contains("corrupt.gz: corrupt gzip data: incorrect data check"));
  // A file too large to decompress within the limit is refused before it is read.
  const std::string big = dir.write("big.gz", gzip_compress(random_bytes(20000), 1, 0));
  CHECK_THROWS_WITH(gzip_read_file(big, 1000),
                    Catch::Contains("big.gz: 20") &&
                        Catch::Contains("too large for a gzip file that decompresses to at most "
                                        "1000 bytes"));
}
