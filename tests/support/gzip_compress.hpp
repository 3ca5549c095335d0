#pragma once
// gzip data made with zlib's own deflate, for the native tests (which link zlib through
// diffuse_native): `repeat` copies of `data` as one gzip member.
#include <zlib.h>
#include <catch2/catch.hpp>

#include <cstddef>
#include <string>
#include <string_view>

inline std::string gzip_compress(std::string_view data, std::size_t repeat = 1, int level = 6) {
  z_stream s{};
  REQUIRE(deflateInit2(&s, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out;
  char buffer[1 << 14];
  std::size_t round = 0;
  int status = Z_OK;
  do {  // once with no input when repeat is 0
    const bool last = round + 1 >= repeat;
    s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    s.avail_in = repeat == 0 ? 0 : static_cast<uInt>(data.size());
    do {
      s.next_out = reinterpret_cast<Bytef*>(buffer);
      s.avail_out = sizeof buffer;
      status = deflate(&s, last ? Z_FINISH : Z_NO_FLUSH);
      if (status == Z_STREAM_ERROR) FAIL("deflate failed");
      out.append(buffer, sizeof buffer - s.avail_out);
    } while (s.avail_out == 0 || (last && status != Z_STREAM_END));
  } while (++round < repeat);
  deflateEnd(&s);
  return out;
}
