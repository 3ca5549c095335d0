#pragma once
// diffuse::Error: what every validated edge (CLI flags, page settings, checkpoint metadata) throws.
// Messages say what was wrong, the value, and what is allowed.
#include <cstddef>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace diffuse {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Concatenates anything streamable into one string: error_message("T = ", T, " must be >= 2").
template <typename... Parts>
std::string error_message(Parts&&... parts) {
  std::ostringstream out;
  out.precision(10);
  (out << ... << std::forward<Parts>(parts));
  return out.str();
}

template <typename... Parts>
[[noreturn]] void fail(Parts&&... parts) {
  throw Error(error_message(std::forward<Parts>(parts)...));
}

// The length of the valid UTF-8 sequence starting at text[i] (RFC 3629: no overlong forms, no
// surrogates, nothing past U+10FFFF), or 0 if the bytes there are not one.
inline std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
  const unsigned char lead = byte(0);
  const std::size_t length = lead >= 0xc2 && lead <= 0xdf   ? 2
                             : lead >= 0xe0 && lead <= 0xef ? 3
                             : lead >= 0xf0 && lead <= 0xf4 ? 4
                                                            : 0;
  // The allowed range of the second byte: E0 and F0 exclude overlong forms, ED the surrogates,
  // F4 everything past U+10FFFF.
  const unsigned char low = lead == 0xe0 ? 0xa0 : lead == 0xf0 ? 0x90 : 0x80;
  const unsigned char high = lead == 0xed ? 0x9f : lead == 0xf4 ? 0x8f : 0xbf;
  if (length == 0 || i + length > text.size() || byte(1) < low || byte(1) > high) return 0;
  for (std::size_t k = 2; k < length; ++k) {
    if (byte(k) < 0x80 || byte(k) > 0xbf) return 0;
  }
  return length;
}

// Text from an input, made safe to print: control characters and bytes that are not valid UTF-8
// (a binary file's, or a truncated sequence) escaped as \xNN, so that a message is one line of
// valid text; cut after max_length bytes with "..." after it if longer.
inline std::string printable_text(std::string_view text, std::size_t max_length = 40) {
  const char hex[] = "0123456789abcdef";
  std::string out;
  std::size_t i = 0;
  for (; i < text.size() && i < max_length;) {
    const auto c = static_cast<unsigned char>(text[i]);
    const std::size_t sequence = c >= 0x80 ? utf8_sequence_length(text, i) : 1;
    if (c < 0x20 || c == 0x7f || sequence == 0) {
      out += {'\\', 'x', hex[c >> 4], hex[c & 15]};
      ++i;
    } else {
      out.append(text.substr(i, sequence));
      i += sequence;
    }
  }
  return out + (i < text.size() ? "..." : "");
}

// Text from an input, for a message: in single quotes, made printable (printable_text).
inline std::string quote_text(std::string_view text, std::size_t max_length = 40) {
  return "'" + printable_text(text, max_length) + "'";
}

}  // namespace diffuse
