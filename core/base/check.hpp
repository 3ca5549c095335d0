#pragma once
// DIFFUSE_ASSERT: debug-only checks for invariants inside the core (sizes that the edges already
// validated). Release builds compile them away; debug and sanitizer builds abort with file and line.
#include <cstdio>
#include <cstdlib>

#ifdef NDEBUG
#define DIFFUSE_ASSERT(cond) ((void)0)
#else
#define DIFFUSE_ASSERT(cond)                                                                   \
  ((cond) ? (void)0                                                                            \
          : (std::fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #cond), \
             std::abort()))
#endif
