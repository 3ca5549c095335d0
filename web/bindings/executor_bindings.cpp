// The page's executor (executor.hpp) and its bindings: setThreads(n) in the threaded module.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <memory>

#include "executor.hpp"
#include "guard.hpp"

#ifdef DIFFUSE_WASM_THREADS
#include "support/thread_pool.hpp"
#endif

namespace diffuse::web {
namespace {

using emscripten::val;

#ifdef DIFFUSE_WASM_THREADS
// Replaced only by setThreads(), which the worker calls between jobs (the worker is one thread:
// no core call is running then).
std::unique_ptr<ThreadPool>& pool() {
  static std::unique_ptr<ThreadPool> p;
  return p;
}
#endif

// setThreads(n): the number of threads core work is split over (1 <= n <= 64); the threaded
// module's worker pool must hold n - 1 pthreads (Module.pthreadPoolSize), since a pthread
// created beyond the pool would start only after the worker returned to its event loop. The
// single-thread module accepts n = 1 only.
val set_threads(int n) {
  return guarded([&] {
#ifdef DIFFUSE_WASM_THREADS
    const int limit = 64;
#else
    const int limit = 1;
#endif
    if (n < 1 || n > limit) fail("setThreads(n): n = ", n, " is invalid: must be in [1, ", limit, "]");
#ifdef DIFFUSE_WASM_THREADS
    if (pool() == nullptr || pool()->concurrency() != static_cast<std::size_t>(n)) {
      pool().reset();
      pool() = std::make_unique<ThreadPool>(static_cast<std::size_t>(n));
    }
#endif
    val out = val::object();
    out.set("threads", static_cast<int>(page_threads()));
    return out;
  });
}

}  // namespace

const Executor& page_executor() {
#ifdef DIFFUSE_WASM_THREADS
  if (pool() != nullptr) return *pool();
#endif
  return serial_executor();
}

std::size_t page_threads() { return page_executor().concurrency(); }

bool page_threaded() {
#ifdef DIFFUSE_WASM_THREADS
  return true;
#else
  return false;
#endif
}

}  // namespace diffuse::web

EMSCRIPTEN_BINDINGS(diffuse_executor) {
  emscripten::function("setThreads", &diffuse::web::set_threads);
}
