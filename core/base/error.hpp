#pragma once
// diffuse::Error: what every validated edge (CLI flags, page settings, checkpoint metadata) throws.
// Messages say what was wrong, the value, and what is allowed.
#include <sstream>
#include <stdexcept>
#include <string>
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

}  // namespace diffuse
