// IntRange / NumberRange: membership, the text of a real interval, and require_in_range's message.
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <limits>

#include "base/ranges.hpp"

using namespace diffuse;

TEST_CASE("IntRange contains its ends and nothing beyond") {
  constexpr IntRange r{1, 4, 3};
  CHECK(r.contains(1));
  CHECK(r.contains(4));
  CHECK_FALSE(r.contains(0));
  CHECK_FALSE(r.contains(5));
}

TEST_CASE("require_in_range names who, the field, the value and the range") {
  constexpr IntRange r{1, 4, 3};
  CHECK_NOTHROW(require_in_range("model config", "levels", std::size_t{4}, r));
  CHECK_THROWS_WITH(require_in_range("model config", "levels", std::size_t{5}, r),
                    "model config: levels = 5 is out of range: allowed is 1..4");
  CHECK_THROWS_WITH(require_in_range("classifier config", "layers", std::int64_t{-2}, r),
                    "classifier config: layers = -2 is out of range: allowed is 1..4");
  // An unsigned value beyond int64 must not wrap into the range.
  const std::size_t huge = std::numeric_limits<std::size_t>::max() - 1;  // -2 as int64
  constexpr IntRange negative{-3, 0, 0};
  CHECK_THROWS(require_in_range("model config", "x", huge, negative));
}

TEST_CASE("NumberRange: open and closed ends, NaN, and its text") {
  const NumberRange unit{0.0, 1.0, false, true};
  CHECK(unit.contains(0.0));
  CHECK_FALSE(unit.contains(1.0));
  CHECK_FALSE(unit.contains(std::numeric_limits<double>::quiet_NaN()));
  CHECK(unit.text() == "[0, 1)");
  const NumberRange positive{0.0, unbounded, true, true};
  CHECK(positive.contains(1e300));
  CHECK_FALSE(positive.contains(0.0));
  CHECK(positive.text() == "> 0");
}
