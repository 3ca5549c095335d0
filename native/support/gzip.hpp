#pragma once
// gzip decompression (RFC 1952) through Debian's zlib, for the data sets that ship compressed
// (digits.csv.gz, Fashion-MNIST's *-ubyte.gz). Native only: core/ is also built for WebAssembly,
// where there is no zlib to link, so it takes the decompressed bytes.
//
// What is checked, with errors naming the source and the problem:
//   - the gzip magic (1f 8b) at the start, and at the start of every further member (gzip allows
//     concatenated members and decompresses them as one stream);
//   - deflate errors, the header's own fields, and each member's CRC-32 and length (zlib's gzip
//     mode checks the trailer);
//   - truncation: the input ends before a member's trailer;
//   - the decompressed size: at most max_output bytes. The output grows as it is decoded (doubling
//     from 64 KiB, so it never holds more than about twice the limit), never sized from the input's
//     claims (the trailer's length field is only checked, not trusted), and decoding stops with an
//     error as soon as it passes the limit.
#include <cstddef>
#include <string>
#include <string_view>

namespace diffuse::cli {

// The default limit: 64 MiB, above the largest file we read (Fashion-MNIST's training images,
// 47,040,016 bytes).
inline constexpr std::size_t gzip_max_output = std::size_t{64} << 20;

// The decompressed bytes of `compressed`; `source` names it in error messages.
std::string gzip_decompress(std::string_view compressed, std::string_view source,
                            std::size_t max_output = gzip_max_output);

// The decompressed bytes of the file at `path`, with the path in every error message (a missing
// or unreadable file is an error too).
std::string gzip_read_file(const std::string& path, std::size_t max_output = gzip_max_output);

}  // namespace diffuse::cli
