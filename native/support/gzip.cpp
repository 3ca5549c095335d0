#include "support/gzip.hpp"

#define ZLIB_CONST  // next_in points to const bytes
#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "base/error.hpp"

namespace diffuse::cli {
namespace {

constexpr std::size_t first_output_chunk = std::size_t{64} << 10;

// Limits beyond what any machine could hold are clamped, so that no size arithmetic overflows.
std::size_t clamp_limit(std::size_t max_output) {
  return std::min(max_output, SIZE_MAX / 4);
}

bool has_gzip_magic(std::string_view bytes) {
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
         static_cast<unsigned char>(bytes[1]) == 0x8b;
}

std::string size_text(std::size_t bytes) {
  if (bytes % (std::size_t{1} << 20) == 0) return error_message(bytes >> 20, " MiB");
  return error_message(bytes, " bytes");
}

// One zlib inflate stream in gzip-only mode; ends itself.
class Inflater {
 public:
  explicit Inflater(std::string_view source) : source_(source) {
    if (inflateInit2(&stream_, 16 + MAX_WBITS) != Z_OK) {  // 16: gzip wrapper only
      fail(source_, ": zlib could not start decompressing (out of memory?)");
    }
  }
  ~Inflater() { inflateEnd(&stream_); }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  // Decompresses one gzip member from the start of `input` onto the end of `output`; returns
  // how many input bytes it took.
  std::size_t member(std::string_view input, std::string& output, std::size_t max_output) {
    if (inflateReset(&stream_) != Z_OK) fail(source_, ": zlib could not restart");
    stream_.next_in = nullptr;  // not the previous member's leftover input
    stream_.avail_in = 0;
    std::size_t used = 0;  // bytes of `input` handed to zlib so far
    for (;;) {
      if (stream_.avail_in == 0 && used < input.size()) {
        const std::size_t chunk = std::min<std::size_t>(input.size() - used, UINT_MAX);
        stream_.next_in = reinterpret_cast<const Bytef*>(input.data() + used);
        stream_.avail_in = static_cast<uInt>(chunk);
        used += chunk;
      }
      const std::size_t produced = output.size();
      grow(output, max_output);
      stream_.next_out = reinterpret_cast<Bytef*>(output.data() + produced);
      stream_.avail_out = static_cast<uInt>(output.size() - produced);
      const int status = inflate(&stream_, Z_NO_FLUSH);
      output.resize(output.size() - stream_.avail_out);
      if (output.size() > max_output) {
        fail(source_, ": decompresses to more than ", size_text(max_output),
             ", the limit for a data file: not the file expected (or a decompression bomb)");
      }
      if (status == Z_STREAM_END) return used - stream_.avail_in;
      check(status, used == input.size(), output.size(), max_output);
    }
  }

 private:
  // Room for more output (output.size() <= max_output): doubling from 64 KiB, up to max_output + 1
  // bytes in all. The one byte beyond the limit lets a stream of exactly max_output bytes reach its
  // end, and lets a longer one show that it is longer.
  static void grow(std::string& output, std::size_t max_output) {
    const std::size_t produced = output.size();
    const std::size_t room = std::max(first_output_chunk, produced);
    const std::size_t target =
        produced + std::min({room, max_output + 1 - produced, std::size_t{UINT_MAX}});
    output.resize(target);
  }

  void check(int status, bool input_done, std::size_t produced, std::size_t max_output) const {
    if (status == Z_OK) return;
    if (status == Z_BUF_ERROR) {
      if (input_done && stream_.avail_in == 0) {
        fail(source_, ": truncated: the gzip data ends before its end-of-stream and checksum (",
             produced, " bytes decompressed so far)");
      }
      return;  // no progress possible without more room: grow() gives it or stops at the limit
    }
    if (status == Z_MEM_ERROR) fail(source_, ": out of memory while decompressing");
    const char* message = stream_.msg != nullptr ? stream_.msg : "unknown error";
    fail(source_, ": corrupt gzip data: ", message, " (zlib status ", status, ", after ", produced,
         " bytes decompressed; limit ", size_text(max_output), ")");
  }

  std::string_view source_;
  z_stream stream_{};
};

}  // namespace

std::string gzip_decompress(std::string_view compressed, std::string_view source,
                            std::size_t max_output) {
  max_output = clamp_limit(max_output);
  if (compressed.empty()) fail(source, ": empty: expected gzip data (magic 1f 8b)");
  std::string output;
  Inflater inflater(source);
  std::size_t offset = 0;
  while (offset < compressed.size()) {
    const std::string_view rest = compressed.substr(offset);
    if (!has_gzip_magic(rest)) {
      if (offset == 0) {
        fail(source, ": not gzip data: it starts with ",
             quote_text(rest.substr(0, std::min<std::size_t>(rest.size(), 8))),
             ", expected the gzip magic 1f 8b");
      }
      fail(source, ": ", rest.size(), " bytes of trailing garbage after the gzip data (at byte ",
           offset, ")");
    }
    offset += inflater.member(rest, output, max_output);
  }
  return output;
}

std::string gzip_read_file(const std::string& path, std::size_t max_output) {
  max_output = clamp_limit(max_output);
  std::error_code error;
  const auto status = std::filesystem::status(path, error);
  if (!std::filesystem::exists(status)) fail(path, ": no such file");
  if (!std::filesystem::is_regular_file(status)) fail(path, ": not a regular file");
  // Deflate's stored blocks add 5 bytes per 65,535 and a member's header and trailer 18, so a
  // larger file cannot fit the limit (short of thousands of empty members): refuse it unread.
  const std::uintmax_t size = std::filesystem::file_size(path, error);
  const std::uintmax_t largest = max_output + max_output / 8192 + 4096;
  if (!error && size > largest) {
    fail(path, ": ", size, " bytes: too large for a gzip file that decompresses to at most ",
         size_text(max_output), ", the limit for a data file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, ": cannot open it for reading");
  const std::string compressed((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
  if (in.bad()) fail(path, ": reading failed");
  return gzip_decompress(compressed, path, max_output);
}

}  // namespace diffuse::cli
