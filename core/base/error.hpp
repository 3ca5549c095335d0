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

// Text from an input, for a message: in single quotes, control characters escaped as \xNN, cut
// to max_length characters with "..." after it if longer.
inline std::string quote_text(std::string_view text, std::size_t max_length = 40) {
  std::string out = "'";
  for (std::size_t i = 0; i < text.size() && i < max_length; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) {
      const char hex[] = "0123456789abcdef";
      out += {'\\', 'x', hex[c >> 4], hex[c & 15]};
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + (text.size() > max_length ? "...'" : "'");
}

}  // namespace diffuse
