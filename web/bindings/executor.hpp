#pragma once
// The page's Executor: how the bindings run core work that can be split (training steps, sampling,
// the ELBO, the classifier). The single-thread module (bin/diffuse) always uses the serial
// executor. The threaded module (bin/diffuse-threads, built with -pthread and
// DIFFUSE_WASM_THREADS, docs/threads.md) uses a ThreadPool (native/support/thread_pool.hpp) whose
// size the worker sets once with setThreads(n) before it builds a run. Core results do not depend
// on the executor (core/base/executor.hpp), so both modules give the same bits.
#include <cstddef>

#include "base/executor.hpp"

namespace diffuse::web {

// The executor every binding passes to core.
const Executor& page_executor();

// How many threads page_executor() runs on (1 for the serial executor).
std::size_t page_threads();

// True in the threaded module.
bool page_threaded();

}  // namespace diffuse::web
