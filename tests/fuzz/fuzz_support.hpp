#pragma once
// What every fuzz target asserts: a loader given any bytes returns a value or throws
// diffuse::Error. Any other exception (std::bad_alloc, a JSON library error, std::out_of_range)
// escapes LLVMFuzzerTestOneInput, terminates, and libFuzzer keeps the input as a crash; so does
// every AddressSanitizer or UndefinedBehaviorSanitizer report, and an allocation above the
// fuzzer's -malloc_limit_mb (a memory bomb).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace diffuse::fuzz {

// Runs f and returns true if it returned, false if it threw diffuse::Error.
template <typename F>
bool accepts(F&& f) {
  try {
    f();
    return true;
  } catch (const Error&) {
    return false;
  }
}

// A property of what a loader accepted: `ok` false is a bug, reported as a crash with `what`.
inline void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz: accepted input breaks a promise: %s\n", what);
    std::abort();
  }
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace diffuse::fuzz
