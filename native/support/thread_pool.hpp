#pragma once
// ThreadPool: the native Executor. `threads` is the total concurrency: the pool starts threads - 1
// workers and the thread that calls run() works alongside them, so ThreadPool(1) runs every task
// inline on the caller. run(n, task) hands out indices 0..n-1 dynamically and returns when all have
// finished; which thread runs which index is unspecified, so tasks must be independent and write
// disjoint memory (core/base/executor.hpp).
//
// Exceptions: the first exception a task throws is rethrown by run() in the caller after every
// task already started has finished; tasks not yet started are skipped.
// Concurrent run() calls from different threads are serialized; run() called from inside a task
// of the same pool runs its tasks inline (no deadlock). Destroying the pool joins its workers; it
// must not race with a run() in progress.
#include <cstddef>
#include <functional>
#include <memory>

#include "base/executor.hpp"

namespace diffuse {

class ThreadPool final : public Executor {
 public:
  // threads >= 1 (throws diffuse::Error otherwise).
  explicit ThreadPool(std::size_t threads);
  ~ThreadPool() override;
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  void run(std::size_t n, const std::function<void(std::size_t)>& task) const override;
  std::size_t concurrency() const override;

  // std::thread::hardware_concurrency(), or 1 when unknown.
  static std::size_t hardware_threads();

 private:
  struct State;
  void stop_and_join();
  std::unique_ptr<State> state_;
};

}  // namespace diffuse
