// DIFFUSE_ASSERT (base/check.hpp): release builds compile the check away (its expression is not
// even evaluated); debug and sanitizer builds evaluate it (and abort with file and line when it
// fails, which a test cannot watch without a subprocess: the debug preset's own runs do).
#include <catch2/catch.hpp>

#include "base/check.hpp"

TEST_CASE("DIFFUSE_ASSERT evaluates its condition only in debug builds") {
  int evaluated = 0;
  DIFFUSE_ASSERT(++evaluated > 0);
#ifdef NDEBUG
  CHECK(evaluated == 0);
#else
  CHECK(evaluated == 1);
#endif
}
