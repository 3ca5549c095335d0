#pragma once
// The allowed values of a setting, defined once in core (next to the config that holds it):
// validation, the CLI's flags and help, and the page's controls (through the bindings) all read the
// same numbers.
#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <string>
#include <type_traits>

#include "base/error.hpp"

namespace diffuse {

struct IntRange {
  std::int64_t min;
  std::int64_t max;
  // The page's cap, where a browser tab's memory needs a lower one than the CLI (else max).
  std::int64_t page_max;

  constexpr bool contains(std::int64_t value) const { return value >= min && value <= max; }
};

// Throws Error "<who>: <field> = <value> is out of range: allowed is <min>..<max>", the message
// every config's validation gives (an unsigned value beyond int64 is out of range too).
template <typename Int>
void require_in_range(const char* who, const char* field, Int value, const IntRange& range) {
  static_assert(std::is_integral_v<Int>, "an integer setting");
  const bool representable =
      std::is_signed_v<Int> ||
      static_cast<std::uint64_t>(value) <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (!representable || !range.contains(static_cast<std::int64_t>(value))) {
    fail(who, ": ", field, " = ", value, " is out of range: allowed is ", range.min, "..", range.max);
  }
}

// A real interval, each end open or closed; never NaN.
struct NumberRange {
  double min;
  double max;  // may be infinity (then open)
  bool min_open = false;
  bool max_open = false;

  bool contains(double value) const {
    if (std::isnan(value)) return false;
    const bool above = min_open ? value > min : value >= min;
    const bool below = max_open ? value < max : value <= max;
    return above && below && (std::isfinite(value) || !std::isfinite(max));
  }
  // "[0, 1)", "(0, 1)", ">= 0", "> 0": for messages and help texts.
  std::string text() const {
    std::ostringstream out;
    out.precision(10);
    if (std::isinf(max)) {
      out << (min_open ? "> " : ">= ") << min;
    } else {
      out << (min_open ? "(" : "[") << min << ", " << max << (max_open ? ")" : "]");
    }
    return out.str();
  }
};

inline constexpr double unbounded = std::numeric_limits<double>::infinity();

}  // namespace diffuse
