#pragma once
// The allowed values of an integer setting, defined once in core (next to the config that holds
// it): validation, the CLI's flags and help, and the page's controls (through the bindings) all
// read the same numbers.
#include <cstdint>

namespace diffuse {

struct IntRange {
  std::int64_t min;
  std::int64_t max;
  // The page's cap, where a browser tab's memory needs a lower one than the CLI (else max).
  std::int64_t page_max;

  constexpr bool contains(std::int64_t value) const { return value >= min && value <= max; }
};

}  // namespace diffuse
