#pragma once
// A heap-allocation counter for "nothing allocates in steady state" tests, which also records the
// largest single request (for "nothing is sized by untrusted input" tests). It replaces the
// global operator new/delete (every form, nothrow included: Catch2 uses those) and, with glibc,
// interposes posix_memalign (xsimd's aligned allocator behind AlignedBuffer and xtensor).
// Include it from exactly one file of a test executable: replacements are per program.
#include <atomic>
#include <cstdlib>
#include <new>

#if defined(__GLIBC__)
#include <dlfcn.h>
#endif

namespace {
std::atomic<long> allocations{0};
std::atomic<std::size_t> largest_allocation{0};  // bytes; reset it to 0 before the code under test

void note_allocation(std::size_t n) {
  ++allocations;
  std::size_t largest = largest_allocation.load();
  while (n > largest && !largest_allocation.compare_exchange_weak(largest, n)) {
  }
}
}  // namespace

// These operators pair malloc with free throughout; where GCC inlines a replaced delete into code
// whose new it sees as the library's, -Wmismatched-new-delete misfires (test_checkpoint.cpp).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

void* operator new(std::size_t n) {
  note_allocation(n);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  note_allocation(n);
  return std::malloc(n == 0 ? 1 : n);
}
void* operator new[](std::size_t n, const std::nothrow_t& tag) noexcept { return operator new(n, tag); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#if defined(__GLIBC__)
extern "C" int posix_memalign(void** out, std::size_t alignment, std::size_t size) noexcept {
  using Fn = int (*)(void**, std::size_t, std::size_t);
  static const Fn real = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, "posix_memalign"));
  note_allocation(size);
  return real(out, alignment, size);
}
#endif
